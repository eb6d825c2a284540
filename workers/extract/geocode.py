"""Place mentions in a sentence, resolved against the gazetteer and the article's countries."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import fold, place_key, rows, words
from .places import ADMIN1, CITY, COUNTRY, Place, compact_key, gazetteer

# Capitalised runs, allowing Arabic-style particles: "Dara'a al-Balad", "Deir ez-Zor".
# Every run starts with a capital or with a particle's first letter, and the pattern says so
# first: the regex engine then skips ahead to those characters alone. (Written the natural
# way, (?<![\w'’])(?:al|el|...)?[A-Z], it tried every position: the same runs, 1.6 times the
# cost.) The particles by first letter: al, ad, ar, as, an, at, ash, az; el; de, del; la, le;
# san, santa; the lookbehinds let only a particle's own first letter go on to its rest.
NAME = re.compile(
    r"[A-Zadels](?<![\w'’].)(?:(?<=a)(?:l|d|r|s|n|t|sh|z)[-\s][A-Z]|(?<=e)l[-\s][A-Z]|"
    r"(?<=d)(?:e|el)[-\s][A-Z]|(?<=l)(?:a|e)[-\s][A-Z]|(?<=s)(?:an|anta)[-\s][A-Z]|(?<=[A-Z]))"
    r"(?:\.(?=\s?[A-Z])|[\w'’‘ʿ-]*)(?:\s*(?:(?:al|el|de|del|la|di|ad|ar|as|ez|es|ash|du|"
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


PLURAL = re.compile(r"(?:an|is)s$")  # plural demonyms: "Syrians", "Iraqis"


@lru_cache(maxsize=50_000)
def _run_countries(run: str) -> tuple[str, ...]:
    """The countries a capitalised run names, longest phrase first (cached: runs repeat)."""
    words, found = gazetteer().country_words, []
    tokens = run.replace("’s", "").replace("'s", "").split()
    for i in range(len(tokens)):
        for j in range(len(tokens), i, -1):
            phrase = fold(" ".join(tokens[i:j]))
            cc = words.get(phrase)
            if cc is None and PLURAL.search(phrase):
                cc = words.get(phrase[:-1])  # "Syrians", "Afghans": a country's people
            if cc and not _foreign_name_piece(tokens, i, j):
                found.append(cc)
                break
    return tuple(found)


# Particles with an article: "Prados del Sur" is one name; "Frontera de Acapulco" is in Acapulco.
ARTICLE_PARTICLE = re.compile(r"(?:del|la|las|los|des|dos|das)", re.I)


def _foreign_name_piece(tokens: list[str], i: int, j: int) -> bool:
    """Whether tokens[i:j] is a piece of a longer name: joined to it by a particle ("Sur" of
    "Prados del Sur") or beside a word in another script's letters ("Santiago Miahuatlán").
    English words are not tested: in a headline every word has a capital."""
    outside = tokens[:i] + tokens[j:]
    if (i >= 2 and ARTICLE_PARTICLE.fullmatch(tokens[i - 1])) or (
        j + 1 < len(tokens) and PARTICLE.fullmatch(tokens[j])
    ):
        return True
    return any(not w.isascii() and _name_word(w) for w in outside)


def country_context(text: str) -> Counter[str]:
    """How often each country is named or implied (demonyms, capitals) in the article."""
    found: list[str] = []  # in order, then counted at once (the same Counter, built in C)
    for m in NAME.finditer(text):
        countries = _run_countries(m.group(0))
        if countries and not SITE_AFTER.match(text[m.end() : m.end() + 20]):
            found.extend(countries)
    return Counter(found)


@lru_cache(maxsize=100_000)
def _keys(text: str) -> tuple[str, str | None]:
    """The name's gazetteer key, and its place_key where that has the article "al" inside (for
    _lookup: most names have none, and most n-grams of a run are no place, looked up again)."""
    folded = place_key(text)
    return compact_key(folded), (folded if " al " in folded else None)


def _key(text: str) -> str:
    return _keys(text)[0]


# The Arabic article before a "sun letter" takes its sound: "al-Shughur" is written "ash-Shughur".
SUN_ARTICLE = re.compile(r"\bal (?=(sh|th|dh|[tdrzsn]))")


def _lookup(text: str, key: str) -> list[Place]:
    """The places a name's key names; else, for "Jisr al-Shughur", those of "Jisr ash-Shughur"."""
    found = gazetteer().lookup(key)
    folded = _keys(text)[1]
    if found or folded is None:
        return found
    return gazetteer().lookup(SUN_ARTICLE.sub(lambda m: f"a{m.group(1)} ", folded))


RUN_WORD = re.compile(r"\S+")


def _candidates(run: str) -> list[tuple[int, int, str]]:
    """Word n-grams of a capitalised run, longest first: (start offset, end offset, text)."""
    spans = [m.span() for m in RUN_WORD.finditer(run)]
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
    before, after, inside = run[:s].split(), run[e:].split(), run[s:e].split()
    return bool(
        (before and PARTICLE.fullmatch(before[-1]) and len(before) >= 2)
        or (after and PARTICLE.fullmatch(after[0]) and len(after) >= 2)
        or (before and PARTICLE.fullmatch(inside[0]))  # "del Sur" of "Prados del Sur"
        or (after and PARTICLE.fullmatch(inside[-1]))
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


# Venues after a place's name: named after a small place, but in a town: "an Acapulco bar".
VENUE_AFTER = re.compile(r"^\s*(?:hotel|restaurant|bar|mall|stadium)\b", re.I)
ARTICLE = re.compile(r"(?:al|el|ad|ar|as|an|at|ash|az|ez|es)(?:-.*)?", re.I)


def _demonym_only(text: str, places: list[Place]) -> bool:
    """A demonym that is also a place abroad: "Somali forces" are no forces of Ethiopia's Somali
    region ("Georgia", "Kabul": the country's own places are kept)."""
    cc = gazetteer().country_words.get(fold(text))
    return cc is not None and all(p.cc != cc for p in places)


POSSESSIVE = re.compile(r"['’]s$")


@lru_cache(maxsize=20_000)
def _name_word(word: str) -> bool:
    """Whether a capitalised word beside a place's name in one run makes the run the name of
    another place: a word that is itself part of a town's name ("Villas", "Miahuatlán") or not
    English. Generic words ("City", "Countryside", "Police"), demonyms, areas ("Reynosa
    Tamaulipas", "Myanmar's Rakhine"), particles and plain English ("Cop") leave the place."""
    g = gazetteer()
    word = POSSESSIVE.sub("", word.strip(",.;:’'()"))
    folded = fold(word)
    if not folded or PARTICLE.fullmatch(word) or ARTICLE.fullmatch(word):
        return False
    if folded in g.stop or folded in g.generic or folded in g.country_words:
        return False
    places = g.lookup(_key(word)) if len(folded) >= 3 else []
    if any(p.kind != CITY for p in places):
        return False
    return bool(places) or any(c.isalpha() and not c.isascii() for c in word)


def _fragment(run: str, s: int, e: int, run_starts_sentence: bool) -> bool:
    """Whether run[s:e] is a piece of a longer name the gazetteer does not know: "Santiago" of
    "Santiago Miahuatlán", "Cancun" of "Villas Cancun". No place is better than a wrong one.
    "Culiacan City", "Reynosa Tamaulipas", "Governor of Sinaloa" and "Northern Aleppo" stand.
    """
    before, after = run[:s].split(), run[e:].split()
    if not before and not after:
        return False
    if before and before[-1].lower() == "of":
        before = []  # "the Governor of Sinaloa": Sinaloa is the place named
    if run_starts_sentence and before:
        before = before[1:]  # the sentence's first word is capitalised whatever it is
    return any(_name_word(w) for w in before + after)


AGE_AFTER = re.compile(r",?\s*\(?\d{1,3}\)?,")  # "Clyde Savage, 45, was shot": a person


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    return words("given_names.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    return words("common_words.txt")


def not_the_town(run: str, s: int, text: str, before: str, after: str, place: Place) -> bool:
    """Whether a town's name here names something else: a person's surname after a given name
    ("Michael Savage") or before an age ("Savage, 45,"), or a common English word ("the Store",
    "Capital One") where the text does not say it is a place ("in Nice") or the town is small.
    No place is better than a wrong one."""
    previous = run[:s].split()[-1:]
    if previous and fold(previous[0]) in given_names():
        return True
    if AGE_AFTER.match(after):
        return True
    if " " in text or fold(text) not in common_words():
        return False
    cued = bool(TIGHT_CUE.search(before))
    if place.kind != CITY:
        return not cued  # an area named by a common word ("Store", a Slovene municipality)
    return place.population < (SMALL_TOWN if cued else FOREIGN_TOWN)


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
            if start < taken_until or not text:
                continue
            key = _key(text)
            if not key or key in g.stop or len(key) < 3:
                continue
            places = _lookup(text, key)
            if not places or _inside_name(run.group(0), s, e):
                continue  # most n-grams name no place: skip the context checks below
            end = run.start() + e
            after, before = sentence[end : end + 30], sentence[max(0, start - 60) : start]
            venue = bool(VENUE_AFTER.match(after))
            if (
                after.startswith("-based")
                or MEDIA_AFTER.match(after)
                or (SITE_AFTER.match(after) and not venue)
                or REFERENCE.search(before)
                or ORIGIN.search(before)
                or _demonym_only(text, places)
                or (not capitals_say_nothing and _fragment(run.group(0), s, e, run.start() == 0))
            ):
                continue
            want_admin = bool(ADMIN_AFTER.match(after) or ADMIN_BEFORE.search(before))
            cued = bool(CUE_BEFORE.search(before))
            place = _choose(places, context, want_admin, cued, key)
            if venue and place and place.kind == CITY and place.population < SMALL_TOWN:
                continue  # "the Santa Fe hotel" is named after a place; "an Acapulco bar" is in it
            if (
                place
                and place.kind != COUNTRY
                and not_the_town(run.group(0), s, text, before, after, place)
            ):
                continue
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
    """The incident's place: the most specific kind; among equals the one named as where
    ("in Afghanistan", not the "United States" of its service members), then the first."""
    if not found:
        return None
    return max(
        found, key=lambda m: (m.cued or m.place.kind == COUNTRY, m.place.kind, m.cued, -m.start)
    )


@lru_cache(maxsize=1)
def _group_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Group names as two patterns, one exact (capitals) and one in any case, and name -> ISO2."""
    table = {name: cc for name, cc in rows("group_countries.tsv")}
    exact = [n for n in table if n.upper() == n]
    loose = [n for n in table if n.upper() != n]

    def alt(names: list[str], flags: int) -> re.Pattern[str]:
        names = sorted(names, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)", flags)

    folded = {fold(n): cc for n, cc in table.items()}
    return alt(exact, 0), alt(loose, re.I), folded


def group_country(text: str) -> str | None:
    """The one country the groups a text names belong to ("Anti-Balaka", "CJNG"), else None.

    Capitals match only outside a text in capitals throughout ("CAR BOMB KILLS" names no country).
    """
    exact, loose, table = _group_patterns()
    found = [m.group(0) for m in loose.finditer(text)]
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) < 0.5 * len(letters):
        found += [m.group(0) for m in exact.finditer(text)]
    countries = {table[fold(name)] for name in found}
    return countries.pop() if len(countries) == 1 else None
