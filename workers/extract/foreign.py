"""Events from news in French, Spanish and Portuguese: a compact path beside the English one.

Each language has cue words mapped to the English path's event codes (data/foreign_cues.tsv),
casualty wording (data/foreign_casualties.tsv) and number words (data/foreign_numbers.tsv).
A sentence's cues, figures and place make a Sentence as the English path's do, and from there
the English path's grouping, place fallback and Event building are reused. Places come from the
same gazetteer: names are mostly the same in every language, only the prepositions before them
("en", "à", "dans", "em") are read as English "in" so that small places count as named sites.
The bar is the English path's: a sentence needs a strong cue, or a weaker one with an armed
actor or a death; sport, accidents, disasters and disease report nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

from ..records import Actor, Document, Event
from .actors import find_actors
from .casualties import Casualties
from .classify import caseless, lowers_cleanly
from .engine import (
    MIN_SCORE,
    SHORT_TEXT,
    Sentence,
    english_events,
    english_parts,
    fallback_place,
    group,
    split_sentences,
)
from .geocode import country_context, mentions, most_specific
from .language import detect_language, stopwords
from .lexicon import fold, rows
from .places import gazetteer

PARTS = re.compile(r";|\n+")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's cues and casualty wording, compiled."""

    lang: str
    cues: tuple[tuple[str, float, re.Pattern[str]], ...]
    any_cue: re.Pattern[str]  # all cues in one pattern: most sentences have none
    armed: re.Pattern[str]
    not_event: re.Pattern[str]
    numbers: dict[str, int | None]
    killed: tuple[re.Pattern[str], ...]  # figure patterns, the number in group "n"
    hurt: re.Pattern[str]
    one: re.Pattern[str]
    death: re.Pattern[str]
    total: re.Pattern[str]
    year: re.Pattern[str]
    place_cue: re.Pattern[str]
    site: re.Pattern[str]
    victim: re.Pattern[str]  # a kill verb and one person as its object, the person in group "w"
    not_people: re.Pattern[str]
    gap_stop: re.Pattern[str]
    part_of: re.Pattern[str]
    words: frozenset[str]  # the language's own words: capitalised, they are no place names


# The capitalised words of a name after a site word, with the particles names have in these
# languages: "colonia La Frontera", "quartier Élevage", "bairro São José do Rio".
SITE_NAME = (
    r"(?P<name>(?:(?-i:[A-ZÀ-Ý])[\w'’.-]*)(?:\s+(?:(?:de|del|la|las|los|el|du|des|da|do|dos|das)\s+)?"
    r"(?-i:[A-ZÀ-Ý])[\w'’.-]*){0,3})"
)


def _words(rx: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{rx})\b", re.I)


def _lowered(rx: str) -> str | None:
    """rx with its capitals in lower case, where they are plain letters to match: not in an
    escape ("\\W"), a class ("[A-Z]" is no "[a-z]" once outside ASCII) or a group's name;
    None where they are not. Under re.I a capital matches what its lower case matches."""
    if "(?P" in rx:
        return None
    out, i, in_class = [], 0, False
    while i < len(rx):
        ch = rx[i]
        if ch == "\\":
            out.append(rx[i : i + 2])
            i += 2
            continue
        if ch.lower() != ch and in_class:
            return None
        in_class = (in_class and ch != "]") or (not in_class and ch == "[")
        out.append(ch.lower())
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)  # the lexicons' patterns: a few dozen
def _lower_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The pattern without re.I, for lower-cased text, where that finds the same (caseless):
    its capitals, if any, lower-cased (see _lowered)."""
    if pattern.flags & ~(re.I | re.U) or not pattern.flags & re.I:
        return None  # (flags the pattern below would not have; case that matters)
    lowered = _lowered(pattern.pattern)
    return re.compile(lowered) if lowered is not None and caseless(lowered) else None


def _has_cue(pattern: re.Pattern[str], sentence: str) -> bool:
    """pattern.search(sentence), on the lower-cased sentence where that is the same and quicker."""
    low = _lower_pattern(pattern)
    if low is None or not lowers_cleanly(sentence):
        return pattern.search(sentence) is not None
    return low.search(sentence.lower()) is not None


@lru_cache(maxsize=1)
def lexicons() -> dict[str, Lexicon]:
    cues: dict[str, list[tuple[str, float, str]]] = {}
    for lang, code, weight, rx in rows("foreign_cues.tsv"):
        cues.setdefault(lang, []).append((code, float(weight), rx))
    wording: dict[str, dict[str, list[str]]] = {}
    for lang, kind, rx in rows("foreign_casualties.tsv"):
        wording.setdefault(lang, {}).setdefault(kind, []).append(rx)
    numbers: dict[str, dict[str, int | None]] = {}
    for lang, value, alternatives in rows("foreign_numbers.tsv"):
        for phrase in alternatives.split("|"):
            numbers.setdefault(lang, {})[phrase.lower()] = int(value) if value else None
    return {
        lang: _compile(lang, cues[lang], wording[lang], numbers[lang])
        for lang in cues.keys() & wording.keys() & numbers.keys()
    }


def _compile(
    lang: str,
    cues: list[tuple[str, float, str]],
    w: dict[str, list[str]],
    numbers: dict[str, int | None],
) -> Lexicon:
    def alt(kind: str) -> str:
        return "|".join(w.get(kind, ["(?!x)x"]))

    word = "|".join(re.escape(p) for p in sorted(numbers, key=len, reverse=True))
    # A number: digits, or number words joined by hyphens or "and" ("vingt-cinq", "treinta y dos").
    number = rf"(?:\d+(?:[.,]\d{{3}})*|(?:{word})(?:(?:-|\s+(?:et|y|e)\s+)(?:{word}))*)"
    n = rf"(?:(?:{alt('QUALIFIER')})\s*)?(?P<n>{number})"
    gap = r"(?P<gap>(?:[\w'’-]+,?\s+){0,3}?)"
    manner = rf"(?:\s+(?:{alt('MANNER')}))?"
    killed = (
        rf"\b{n}\s+{gap}(?:(?:{alt('KILLED')}))\b",
        rf"\b(?:{alt('KILL_ACTIVE')}){manner}(?:\s+|(?<=['’]))(?:(?:a|à)\s+)?{n}\b",
    )
    plain = [(code, weight, rx) for code, weight, rx in cues if code not in ("ARMED", "NOT_EVENT")]
    return Lexicon(
        lang=lang,
        cues=tuple((code, weight, _words(rx)) for code, weight, rx in plain),
        any_cue=_words("|".join(rx for _, _, rx in plain)),
        armed=_words("|".join(rx for code, _, rx in cues if code == "ARMED") or "(?!x)x"),
        not_event=_words("|".join(rx for code, _, rx in cues if code == "NOT_EVENT") or "(?!x)x"),
        numbers=numbers,
        killed=tuple(re.compile(p, re.I) for p in killed),
        hurt=re.compile(rf"\b{n}\s+{gap}(?:{alt('HURT')})\b", re.I),
        one=_words(alt("ONE")),
        death=_words(alt("DEATH")),
        total=_words(alt("TOTAL")),
        year=re.compile(rf"\b(?:{alt('YEAR')})\s+(?:\w+\s+){{0,2}}?((?:19|20)\d\d)\b", re.I),
        place_cue=re.compile(rf"(?<![\w'’])(?:{alt('PLACE_CUE')})(?=\s)", re.I),
        site=re.compile(rf"\b(?:{alt('SITE')})\s+{SITE_NAME}", re.I),
        victim=re.compile(
            rf"\b(?:{alt('KILL_ACTIVE')}){manner}(?:\s+en\s+\S+)?\s+(?:{alt('VICTIM_MARK')})\s+"
            r"(?P<w>[^\W\d_]+)\b",
            re.I,
        ),
        not_people=_words(alt("NOT_PEOPLE")),
        gap_stop=_words(alt("GAP_STOP")),
        part_of=_words(alt("PART_OF")),
        words=stopwords().get(lang, frozenset()),
    )


def languages() -> frozenset[str]:
    """The languages this path reads."""
    return frozenset(lexicons())


# ---- one sentence -------------------------------------------------------------------------


def score(lex: Lexicon, text: str) -> dict[str, float]:
    """Sum of cue weights per code, a cue counting once plus a little per repeat (as classify)."""
    scores: dict[str, float] = {}
    # Lower-cased, with patterns to match (see _has_cue): the same matches, found sooner.
    low = text.lower() if lowers_cleanly(text) else None
    for code, weight, pattern in lex.cues:
        lower = _lower_pattern(pattern) if low is not None else None
        if lower is not None and low is not None:
            hits = len(lower.findall(low))
        else:
            hits = len(pattern.findall(text))
        if hits:
            scores[code] = scores.get(code, 0.0) + weight * (1 + 0.25 * min(hits - 1, 2))
    return scores


SEPARATORS = re.compile(r"[.,]")  # of thousands: "1.200"
NUMBER_JOIN = re.compile(r"-|\s+(?:et|y|e)\s+")
DIGIT = re.compile(r"\d")
PERCENT_OR_AGE = re.compile(r"\s*(?:%|ans\b|años\b|anos\b)")


def parse_number(lex: Lexicon, text: str) -> int | None:
    """'vingt-cinq' -> 25, 'treinta y dos' -> 32, '1.200' -> 1200; None for 'des', 'muchos'."""
    text = text.strip().lower()
    if text[:1].isdigit():
        return int(SEPARATORS.sub("", text))
    if text in lex.numbers:
        return lex.numbers[text]
    total = 0
    for part in NUMBER_JOIN.split(text):
        value = lex.numbers.get(part)
        if value is None:
            return None
        total = total * value if value in (100, 1000) and total else total + value
    return total


def _figures(lex: Lexicon, patterns: tuple[re.Pattern[str], ...], text: str) -> list[int | None]:
    out: list[int | None] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            gap = m.groupdict().get("gap") or ""
            if DIGIT.search(gap) or lex.gap_stop.search(gap) or lex.not_people.search(gap):
                continue
            after = text[m.end("n") : m.end("n") + 12]
            if lex.not_people.match(after.strip()) or PERCENT_OR_AGE.match(after):
                continue  # "15 têtes de bœufs abattus", "un joven de 20 años"
            if lex.part_of.search(text[: m.start()].rsplit(",", 1)[-1]):
                continue  # "dont deux enfants": already in the count before it
            out.append(parse_number(lex, m.group("n")))
    return out


def casualties(lex: Lexicon, text: str) -> Casualties:
    """The sentence's own figures: killed, injured, and whether it reports a death at all."""
    death = bool(lex.death.search(text))
    if lex.total.search(text):
        return Casualties(None, None, death)  # a figure over days or months is no incident's
    dead = [v for v in _figures(lex, lex.killed, text) if v is not None]
    hurt = [v for v in _figures(lex, (lex.hurt,), text) if v is not None]
    fatalities = max(dead) if dead else None
    if fatalities is None and (lex.one.search(text) or _one_victim(lex, text)):
        fatalities = 1  # "Homem é assassinado", "un homme abattu": one victim, no number
    return Casualties(fatalities, max(hurt) if hurt else None, death or bool(fatalities))


def _one_victim(lex: Lexicon, text: str) -> bool:
    """A kill verb whose object is one person: "matan a hombre", not "matan a policías"."""
    for m in lex.victim.finditer(text):
        w = m.group("w").lower()
        if w not in lex.numbers and not w.endswith("s"):
            return True
    return False


ELISION = re.compile(r"(?<![\w])[lLdD]['’](?=[A-ZÀ-Ý])")
CAPITALISED = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][^\W\d_]+")


def place_view(lex: Lexicon, text: str) -> str:
    """The sentence as the gazetteer's matcher reads it: prepositions as "in", no elisions,
    the language's own capitalised words ("Hallan", "Centrafrique :" aside) in lower case."""
    text = ELISION.sub("  ", text)
    text = lex.site.sub(lambda m: m.group(0).lower(), text)
    text = lex.place_cue.sub(lambda m: "in".ljust(len(m.group(0))), text)
    return CAPITALISED.sub(
        lambda m: m.group(0).lower() if m.group(0).lower() in lex.words else m.group(0), text
    )


def historical(lex: Lexicon, text: str, year: int | None) -> bool:
    """The sentence places itself in an earlier year ("en 2017" in a 2019 report)."""
    return year is not None and any(int(y) < year for y in lex.year.findall(text))


def read_sentence(
    lex: Lexicon, text: str, context: Counter[str], year: int | None, short: bool
) -> Sentence | None:
    """A sentence that reports an event, or None (no cue, sport, accidents, an earlier year)."""
    scores = score(lex, text)
    top = max(scores.values(), default=0.0)
    if top < 1 or lex.not_event.search(text) or historical(lex, text, year):
        return None
    cas = casualties(lex, text)
    # A place abroad in a text about known countries is a namesake ("Sido" is no "Sidon").
    found = [
        m for m in mentions(place_view(lex, text), context) if not context or context[m.place.cc]
    ]
    place = most_specific(found)
    armed = bool(lex.armed.search(text))
    if short:
        eventful = (
            top >= MIN_SCORE
            or (top >= 1.5 and armed)
            or (cas.mentions_death and top >= 1)
            # A headline with a violence cue and a place named as where it happened.
            or (place is not None and place.cued)
        )
    else:
        # In an article a bare death or weapon word is mostly background (a trial, a
        # weapons programme, an obituary): a sentence needs a specific cue, a figure or an
        # armed actor, and a place named as where it happened.
        figure = cas.fatalities is not None or cas.injured is not None
        eventful = top >= 2 and place is not None and place.cued and (figure or armed)
    if not eventful:
        return None
    return Sentence(text, scores, cas, place, _actors(text), True)


def _actors(text: str) -> list[Actor]:
    """The English actor finder's actors, less bare country names: in these languages it cannot
    tell "Mexico" the state acting from "en Veracruz, México" the place."""
    words = gazetteer().country_words
    return [a for a in find_actors(text) if fold(a.name) not in words]


# ---- a document ---------------------------------------------------------------------------


def _parts(text: str, language: str) -> list[tuple[str, str]]:
    """(language, sentence) for the sentences this path reads: each ';'-part of a short text
    in its own language when it is clearly one, else in the document's."""
    known = languages()
    if len(text) > SHORT_TEXT:
        return [(language, s) for s in split_sentences(text)] if language in known else []
    out: list[tuple[str, str]] = []
    for part in PARTS.split(text):
        lang = detect_language(part) or language
        if lang in known:
            out.extend((lang, s) for s in split_sentences(part))
    return out


def other_language_events(doc: Document, text: str, language: str) -> list[Event]:
    """Events of a document in a language other than English: those of its English headlines
    (a list of headlines may mix languages) and of its French, Spanish or Portuguese."""
    from .build import base_id

    english: list[Event] = []
    if parts_en := english_parts(text, language):
        english = english_events(doc, parts_en, "en")
    # Headlines in several languages: the events of each; the most confident is the main one.
    found = english + _own_language_events(doc, text, language)
    return [replace(e, id=f"{base_id(doc)}:{n}") for n, e in enumerate(found)]


def _own_language_events(doc: Document, text: str, language: str) -> list[Event]:
    from .build import to_event

    parts = _parts(text, language)
    lexes = lexicons()
    candidates = [(lang, s) for lang, s in parts if _has_cue(lexes[lang].any_cue, s)]
    if not candidates:
        return []
    # The article's countries, from its title, lead and the sentences that may report events.
    lead = [s for _, s in parts[:2]]
    short = len(text) <= SHORT_TEXT
    # (Headlines in other languages beside these name the country as well: "CAR; RCA : ...".)
    seen = [text] if short else [doc.title or "", *lead, *(s for _, s in candidates)]
    context = country_context("\n".join(seen))
    year = int(doc.published[:4]) if doc.published and doc.published[:4].isdigit() else None
    read = [(lang, read_sentence(lexes[lang], s, context, year, short)) for lang, s in candidates]
    sentences = [s for _, s in read if s]
    if not sentences:
        return []
    langs = {id(s): lang for lang, s in read if s}
    out = []
    for n, inc in enumerate(group(sentences)):
        if inc.place is None:
            inc.place = fallback_place(doc.title or "", lead, context)
        out.append(to_event(doc, inc, n, langs[id(inc.sentences[0])]))
    return out
