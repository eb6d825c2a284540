"""Place mentions in a sentence, resolved against the gazetteer and the article's countries."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import fold, place_key
from .places import ADMIN1, CITY, COUNTRY, Place, compact_key, gazetteer

# Capitalised runs, allowing Arabic-style particles: "Dara'a al-Balad", "Deir ez-Zor".
NAME = re.compile(
    r"(?<![\w'’])(?:(?:al|el|ad|ar|as|an|at|ash|az|ad|de|del|la|le|san|santa)[-\s])?"
    r"[A-Z](?:\.(?=\s?[A-Z])|[\w'’‘ʿ-]*)(?:\s*(?:(?:al|el|de|del|la|di|ad|ar|as|ez|es|ash|du|"
    r"des|of)[-\s]+)?(?<=[\s.-])[A-Z](?:\.(?=\s?[A-Z])|[\w'’‘ʿ-]*)){0,3}"
)
CUE_BEFORE = re.compile(
    r"\b(?:in|near|at|outside|around|of|into|to|towards|on|across|through|throughout|within|along|"
    r"inside|village|town|city|district|province|region|area|state)\s+"
    r"(?:the\s+)?(?:[\w'’-]+\s+){0,3}$",
    re.I,
)
ADMIN_AFTER = re.compile(
    r"^\s*(?:province|governorate|state|region|department|prefecture|"
    r"oblast|county)\b",
    re.I,
)
ADMIN_BEFORE = re.compile(
    r"\b(?:province|governorate|state|region|department|prefecture)\s+of\s+$", re.I
)
REFERENCE = re.compile(
    r"(?:\b(?:km|kms|kilomet(?:er|re)s?|miles?)\b[^.;]{0,40}?\b(?:of|from)\s+"
    r"(?:the\s+)?(?:\w+\s*,?\s+){0,2}$)",
    re.I,
)
# A street, neighbourhood or building named after something: "the El Fresno neighborhood".
SITE_AFTER = re.compile(
    r"^\s*(?:neighbou?rhood|subdivision|colonia|street|avenue|boulevard|"
    r"viaduct|highway|bridge|hotel|restaurant|bar|mall|stadium)\b",
    re.I,
)
MEDIA_AFTER = re.compile(
    r"^\s*(?:satellite\s+)?(?:channel|tv|television|news|agency|newspaper|radio|"
    r"daily|website|times|post|herald|tribune)\b",
    re.I,
)
# "militants from Uzbekistan and Chechnya": where people come from is not where it happened.
ORIGIN = re.compile(
    r"\b(?:from|native\s+of|citizens?\s+of|nationals?\s+of)\s+(?:the\s+)?"
    r"(?:[\w'’-]+\s+(?:and\s+)?)?$",
    re.I,
)
SMALL_TOWN = 15000
FOREIGN_TOWN = 100000


@dataclass(frozen=True, slots=True)
class Mention:
    place: Place
    start: int
    text: str
    cued: bool = False  # "in X", "near X", "village of X": named as where things happened
    name: str | None = None  # the name as written, where it is more specific than the gazetteer's


# "Dara'a al-Balad", "Mosul al-Jadida": a quarter of a known town, named after it.
QUARTER = re.compile(r"\s+(?:al|el)-[A-Z][\w'’]+")


@lru_cache(maxsize=50_000)
def _run_countries(run: str) -> tuple[str, ...]:
    """The countries a capitalised run names, longest phrase first (cached: runs repeat)."""
    words, found = gazetteer().country_words, []
    tokens = run.replace("’s", "").replace("'s", "").split()
    for i in range(len(tokens)):
        for j in range(len(tokens), i, -1):
            cc = words.get(fold(" ".join(tokens[i:j])))
            if cc:
                found.append(cc)
                break
    return tuple(found)


def country_context(text: str) -> Counter[str]:
    """How often each country is named or implied (demonyms, capitals) in the article."""
    counts = Counter[str]()
    for m in NAME.finditer(text):
        if SITE_AFTER.match(text[m.end() : m.end() + 20]):
            continue
        counts.update(_run_countries(m.group(0)))
    return counts


@lru_cache(maxsize=100_000)
def _key(text: str) -> str:
    return compact_key(place_key(text))


def _candidates(run: str) -> list[tuple[int, int, str]]:
    """Word n-grams of a capitalised run, longest first: (start offset, end offset, text)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", run)]
    out = []
    for n in range(len(spans), 0, -1):
        for i in range(len(spans) - n + 1):
            s, e = spans[i][0], spans[i + n - 1][1]
            out.append((s, e, run[s:e].rstrip(",.;:’'")))
    return out


# Particles that join the words of one name: "Prados del Sur", "San Nicolás de los Garza".
PARTICLE = re.compile(r"(?:de|del|la|las|los|di|du|des|da|do|dos|das)", re.I)


def _inside_name(run: str, s: int, e: int) -> bool:
    """Whether run[s:e] is a piece of a longer name, joined to the rest by a particle:
    "Sur" of "Prados del Sur" is no town of its own, nor is "Prados"."""
    before, after = run[:s].split(), run[e:].split()
    return bool(
        (before and PARTICLE.fullmatch(before[-1]) and len(before) >= 2)
        or (after and PARTICLE.fullmatch(after[0]) and len(after) >= 2)
    )


def _choose(
    places: list[Place], context: Counter[str], want_admin: bool, cued: bool, key: str
) -> Place | None:
    def own_name(p: Place) -> bool:
        """Named by its own name, not one of its other names ("Cancun" is a name of Changchun)."""
        return p.kind != CITY or _key(p.name) == key

    def rank(p: Place) -> tuple[float, ...]:
        in_context = context.get(p.cc, 0)
        admin_bonus = 1 if (p.kind == ADMIN1) == want_admin else 0
        return (in_context > 0, admin_bonus, p.kind == COUNTRY, p.population)

    def plausible(p: Place) -> bool:
        if p.kind == COUNTRY or context.get(p.cc) or not context:
            return p.kind != CITY or p.population >= SMALL_TOWN or cued
        # A town abroad, in an article about elsewhere, needs to be a big one, named by its name.
        return p.kind == ADMIN1 or (p.population >= FOREIGN_TOWN and own_name(p))

    usable = [p for p in places if plausible(p)]
    return max(usable, key=rank) if usable else None


# "Saltillo: bodies found", "Magdalena, Sonora: ...": a place set before the news it heads.
DATELINE = re.compile(r"\s*(?:[:—–]|-\s|,\s*[A-Z][\w.]*\s*[:—–])")
HEADLINE_WORD = re.compile(r"[A-Za-z][\w'’-]{2,}")
# In a headline-cased sentence a cue must touch the name: "in Chin State Capital Kill" is no cue.
TIGHT_CUE = re.compile(r"\b(?:in|near|at|outside|around|into|inside)\s+(?:the\s+)?$", re.I)


def headline_case(text: str) -> bool:
    """Title Case or capitals throughout ("Gunmen Kill 4 Relatives"): capitals name nothing."""
    long = HEADLINE_WORD.findall(text)
    return len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.7 * len(long)


def mentions(sentence: str, context: Counter[str]) -> list[Mention]:
    """Places named in the sentence, reference points ("80 km north of X") left out.

    In a headline-cased sentence every word is capitalised, so a one-word town counts only
    where it is cued ("in X") or in a country the article names: "Man Found Dead" is no place.
    """
    g, out = gazetteer(), []
    capitals_say_nothing = headline_case(sentence)
    for run in NAME.finditer(sentence):
        taken_until = -1
        for s, e, text in _candidates(run.group(0)):
            start = run.start() + s
            if start < taken_until or not text or _inside_name(run.group(0), s, e):
                continue
            key = _key(text)
            if not key or key in g.stop or len(key) < 3:
                continue
            places = g.lookup(key)
            if not places:
                continue  # most n-grams name no place: skip the context checks below
            end = run.start() + e
            after, before = sentence[end : end + 30], sentence[max(0, start - 60) : start]
            if (
                after.startswith("-based")
                or MEDIA_AFTER.match(after)
                or SITE_AFTER.match(after)
                or REFERENCE.search(before)
                or ORIGIN.search(before)
            ):
                continue
            want_admin = bool(ADMIN_AFTER.match(after) or ADMIN_BEFORE.search(before))
            cued = bool(CUE_BEFORE.search(before))
            place = _choose(places, context, want_admin, cued, key)
            if (
                place
                and capitals_say_nothing
                and place.kind == CITY
                and " " not in text
                and not TIGHT_CUE.search(before)
                and not DATELINE.match(after)
                and not context.get(place.cc)
            ):
                continue
            if place:
                quarter = QUARTER.match(run.group(0), e) if place.kind == CITY else None
                name = text + quarter.group(0) if quarter else None
                out.append(Mention(place, start, text, cued, name))
                taken_until = end
    return out


def most_specific(found: list[Mention]) -> Mention | None:
    """The incident's place: the most specific kind, the first named among equals."""
    if not found:
        return None
    return max(found, key=lambda m: (m.cued or m.place.kind == COUNTRY, m.place.kind, -m.start))
