"""Offline gazetteer: GeoNames towns (>1000 people), admin1 areas and countries, by spelling key."""

from __future__ import annotations

import io
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import DATA, fold, place_key, rows, words

CITY, ADMIN1, COUNTRY = 3, 2, 1  # kinds, ordered by how specific they are
ADMIN1_WORDS = re.compile(
    r"\s+(governorate|province|region|state|department|prefecture|district|division|oblast|"
    r"county|territory|municipality|parish)$",
    re.I,
)
_DOUBLE = re.compile(r"(.)\1+")


def compact_key(key: str) -> str:
    """A place_key() with its spaces dropped: 'Deir ez-Zor', 'Deir Ezzor' and 'Deirezzor' meet."""
    if " " not in key:
        return key
    return _DOUBLE.sub(r"\1", key.replace(" ", ""))


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: int
    cc: str
    admin1: str  # admin1 code within the country ("" for a country)
    lat: float
    lon: float
    population: int


class Gazetteer:
    """Compact spelling key -> places.

    The 170,000 town rows stay one string with an offset table and are parsed only when a key
    names them; a key maps to an int (one place) or a tuple of ints, not a list. This keeps a
    worker process small and its start fast.
    """

    def __init__(self) -> None:
        self._towns = b""  # places.tsv rows, UTF-8, one per line
        self._starts = array("I")  # row i starts at _starts[i]
        self._parsed: dict[int, Place] = {}
        self.extra: list[Place] = []  # index -1 - i in by_key
        self._extra_index: dict[Place, int] = {}
        self.by_key: dict[str, int | tuple[int, ...]] = {}
        self.admin1: dict[tuple[str, str], Place] = {}
        self.countries: dict[str, Place] = {}  # iso2 -> country
        self.country_words: dict[str, str] = {}  # folded name, demonym or city -> iso2
        self.iso3: dict[str, str] = {}  # iso3 -> iso2
        stop = words("place_stop.txt")
        self.stop = stop | {compact_key(place_key(w)) for w in stop}
        self.generic = words("place_generic.txt")  # words beside a name that leave it the place

    def lookup(self, key: str) -> list[Place]:
        """Places whose spelling key is key (a place_key() or compact_key())."""
        found = self.by_key.get(compact_key(key))
        if found is None:
            return []
        return [self._place(i) for i in ((found,) if isinstance(found, int) else found)]

    def _place(self, i: int) -> Place:
        if i < 0:
            return self.extra[-1 - i]
        place = self._parsed.get(i)
        if place is None:
            end = self._starts[i + 1] - 1 if i + 1 < len(self._starts) else len(self._towns)
            place = self._parsed[i] = _parse_town(self._towns[self._starts[i] : end].decode())
        return place

    def _index(self, key: str, i: int) -> None:
        key = compact_key(key)
        old = self.by_key.get(key)
        if old is None:
            self.by_key[key] = i
        elif isinstance(old, int):
            if old != i:
                self.by_key[key] = (old, i)
        elif i not in old:
            self.by_key[key] = (*old, i)

    def add(self, name: str, place: Place) -> None:
        key = place_key(name)
        if key:
            self.add_key(key, place)

    def add_key(self, key: str, place: Place) -> None:
        """Index place under a spelling key already made (build_tables.py writes some)."""
        i = self._extra_index.get(place)
        if i is None:
            self.extra.append(place)
            i = self._extra_index[place] = -len(self.extra)
        self._index(key, i)

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
    data = (DATA / "places.tsv").read_bytes()
    if data.startswith(b"#"):
        data = data[data.index(b"\n") + 1 :]
    data = data.rstrip(b"\n")
    g._towns = data
    starts, by_key, pos = g._starts, g.by_key, 0
    for i, line in enumerate(io.BytesIO(data)):  # one line at a time: no peak of 170,000
        starts.append(pos)
        pos += len(line)
        for key in line[line.rindex(b"\t") + 1 :].rstrip().decode("ascii").split("|"):
            old = by_key.get(key)  # inlined _index(): this loop is most of the start-up time
            if old is None:
                by_key[key] = i
            elif isinstance(old, int):
                by_key[key] = (old, i)
            else:
                by_key[key] = (*old, i)
    for name, cc, a1, lat, lon, pop, alts in rows("places_extra.tsv"):
        place = Place(name, CITY, cc, a1, float(lat), float(lon), int(pop))
        for alt in [name, *alts.split("|")]:
            g.add(alt, place)


def _load_admin1(g: Gazetteer) -> None:
    names = {(cc, code): (name, alts) for cc, code, name, alts in rows("admin1_names.tsv")}
    for cc, code, name, lat, lon, pop, keys in rows("admin1.tsv"):
        better, alts = names.get((cc, code), (name, ""))
        place = Place(better, ADMIN1, cc, code, float(lat), float(lon), int(pop))
        g.admin1[(cc, code)] = place
        for key in filter(None, keys.split("|")):  # other names, keyed by build_tables.py
            g.add_key(key, place)
        for alias in dict.fromkeys(filter(None, [name, better, *alts.split("|")])):
            g.add(alias, place)
            g.add(ADMIN1_WORDS.sub("", alias.replace("-", " ")), place)


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
