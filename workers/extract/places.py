"""Offline gazetteer: GeoNames towns (>1000 people), admin1 areas and countries, by spelling key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import DATA, fold, place_key, rows, words

CITY, ADMIN1, COUNTRY = 3, 2, 1      # kinds, ordered by how specific they are
ADMIN1_WORDS = re.compile(
    r"\s+(governorate|province|region|state|department|prefecture|district|division|oblast|"
    r"county|territory|municipality|parish)$", re.I)


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: int
    cc: str
    admin1: str          # admin1 code within the country ("" for a country)
    lat: float
    lon: float
    population: int


class Gazetteer:
    """Spelling key -> places. Town rows stay raw strings until looked up: loading stays fast."""

    def __init__(self) -> None:
        self.entries: list[Place | str] = []
        self.by_key: dict[str, list[int]] = {}
        self.admin1: dict[tuple[str, str], Place] = {}
        self.countries: dict[str, Place] = {}          # iso2 -> country
        self.country_words: dict[str, str] = {}        # folded name, demonym or city -> iso2
        self.iso3: dict[str, str] = {}                 # iso3 -> iso2
        self.stop = words("place_stop.txt")

    def lookup(self, key: str) -> list[Place]:
        out = []
        for i in self.by_key.get(key, ()):
            entry = self.entries[i]
            if isinstance(entry, str):
                entry = self.entries[i] = _parse_town(entry)
            out.append(entry)
        return out

    def add(self, name: str, place: Place) -> None:
        key = place_key(name)
        if key:
            self.entries.append(place)
            self.by_key.setdefault(key, []).append(len(self.entries) - 1)

    def admin1_name(self, place: Place) -> str | None:
        if place.kind == COUNTRY:
            return None
        a1 = self.admin1.get((place.cc, place.admin1))
        return a1.name if a1 else None


def _parse_town(line: str) -> Place:
    name, cc, a1, lat, lon, pop, _ = line.split("\t")
    return Place(name, CITY, cc, a1, float(lat), float(lon), int(pop))


def _load_towns(g: Gazetteer) -> None:
    """Towns; the last column of places.tsv already holds their spelling keys."""
    with (DATA / "places.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            g.entries.append(line)
            i = len(g.entries) - 1
            for key in line[line.rindex("\t") + 1:].rstrip("\n").split("|"):
                g.by_key.setdefault(key, []).append(i)
    for name, cc, a1, lat, lon, pop, alts in rows("places_extra.tsv"):
        place = Place(name, CITY, cc, a1, float(lat), float(lon), int(pop))
        for alt in [name, *alts.split("|")]:
            g.add(alt, place)


def _load_admin1(g: Gazetteer) -> None:
    for cc, code, name, lat, lon, pop in rows("admin1.tsv"):
        place = Place(name, ADMIN1, cc, code, float(lat), float(lon), int(pop))
        g.admin1[(cc, code)] = place
        g.add(name, place)
        g.add(ADMIN1_WORDS.sub("", name.replace("-", " ")), place)


def _load_countries(g: Gazetteer) -> None:
    for iso2, code3, name, lat, lon in rows("countries.tsv"):
        place = Place(name, COUNTRY, iso2, "", float(lat), float(lon), 10**7)
        g.countries[iso2], g.iso3[code3] = place, iso2
        g.add(name, place)
        g.country_words[fold(name)] = iso2
    for phrase, code3 in rows("country_names.tsv"):
        if code3 in g.iso3:
            g.country_words.setdefault(fold(phrase), g.iso3[code3])
    for name, code3 in rows("country_aliases.tsv"):
        if code3 in g.iso3:
            g.country_words[fold(name)] = g.iso3[code3]
            g.add(name, g.countries[g.iso3[code3]])


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, built on first use and kept for the life of the process."""
    g = Gazetteer()
    _load_towns(g)
    _load_admin1(g)
    _load_countries(g)
    return g
