"""From a document to events: sentences -> cues -> incidents (grouped by place) -> events."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ..records import Actor, Document, Event
from .actors import find_actors, has_party, seat_countries
from .casualties import (
    TOTAL,
    Casualties,
    casualties,
    context_only,
    historical,
    without_records,
)
from .classify import claimed, lowers_cleanly, matches, score, types
from .framing import (
    arrest_context,
    disease,
    framed,
    never_an_incident,
    opinion_page,
    reported,
    unreal,
    without_idioms,
)
from .geocode import Mention, country_context, group_country, mentions, most_specific
from .language import detect_language
from .lexicon import rows
from .places import COUNTRY, Place, gazetteer

# A sentence ends at [.!?] (and a closing quote or bracket) before a capital or digit, a line
# break or a semicolon. Every separator starts with a character of the first class, so the
# regex engine skips ahead to those alone: the other way round, a lookbehind first, it tried
# every position (the same splits, at half the cost).
_NEXT = r"(?=[\"“‘(]?[A-Z0-9])"
SENTENCE = re.compile(
    rf"[\s;\"”’)](?:(?<=[.!?][\"”’)])\s+{_NEXT}|(?<=[.!?]\s)\s*{_NEXT}|(?<=\n)\n*|(?<=;)\s*)"
)
ARMED = {"state forces", "rebel group", "political militia", "identity militia", "external forces"}
MIN_SCORE = 2.5  # a sentence needs this much cue weight to report an event by itself
SUMMARY = re.compile(
    r"\b(?:across|throughout|various|several\s+(?:provinces|regions|areas|cities))\b", re.I
)


@dataclass(slots=True)
class Sentence:
    text: str
    scores: dict[str, float]
    cas: Casualties
    place: Mention | None
    actors: list[Actor]
    eventful: bool


@dataclass(slots=True)
class Incident:
    sentences: list[Sentence] = field(default_factory=list)
    place: Mention | None = None

    def add(self, s: Sentence) -> None:
        self.sentences.append(s)
        if s.place and (self.place is None or s.place.place.kind > self.place.place.kind):
            self.place = s.place


LOOSE_SENTENCE = re.compile(r"\s(?<=[a-z0-9)][.!?]\s)\s*")  # whitespace first, as above
LONG_SENTENCE = 600  # lower-case text (transcripts, some archives) has no capital to split at


# Titles and name parts that end in a full stop before a capital: "St. Petersburg", "Gen. Haftar".
ABBREVIATION = re.compile(
    r"\b(?:St|Mt|Ft|Dr|Mr|Mrs|Ms|Gen|Lt|Col|Maj|Sgt|Capt|Cpl|Cmdr|Adm|Brig|Gov|Sen|Rep|Prof|Rev|"
    r"Jr|Sr|No|Cd|Sta|Sto|Pres|Insp|Supt)\.$"
)
# What the pattern needs to see of a piece: the longest abbreviation, its full stop, the
# character before it (for the \b) and a line break $ may pass; a search over the whole
# piece tried every position.
ABBREVIATION_TAIL = 7


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for s in SENTENCE.split(text):
        if s and len(s) > LONG_SENTENCE:
            out.extend(LOOSE_SENTENCE.split(s))
        elif s and out and ABBREVIATION.search(out[-1][-ABBREVIATION_TAIL:]):
            out[-1] = f"{out[-1]} {s}"  # the split after an abbreviation was no sentence end
        elif s:
            out.append(s)
    return [s for s in map(str.strip, out) if len(s) > 3]


WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _trigger_list() -> tuple[str, ...]:
    return tuple(w for r in rows("triggers.txt") for w in r[0].split())


@lru_cache(maxsize=1)
def stems() -> frozenset[str]:
    """Trigger stems: a word starting with one is a trigger."""
    return frozenset(w for w in _trigger_list() if not w.endswith("="))


@lru_cache(maxsize=1)
def exact_triggers() -> frozenset[str]:
    """Triggers written "coup=": only the word itself ("couple" is no trigger)."""
    return frozenset(w[:-1] for w in _trigger_list() if w.endswith("="))


@lru_cache(maxsize=200_000)
def _trigger_word(w: str) -> bool:
    st = stems()
    return w in exact_triggers() or any(w[:k] in st for k in range(3, min(len(w), 12) + 1))


@lru_cache(maxsize=1)
def stem_heads() -> frozenset[str]:
    return frozenset(s[:3] for s in stems() | exact_triggers())


def trigger_words(text: str) -> re.Pattern[str] | None:
    """A small pattern of the document's own trigger words, or None when it has none."""
    heads = stem_heads()  # a trigger word starts with a stem's first three letters: a cheap test
    found = {w for w in set(WORD.findall(text.lower())) if w[:3] in heads and _trigger_word(w)}
    if not found:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(found, key=len, reverse=True)) + r")\b", re.I)


LETTERS = re.compile(r"[a-z]+")


Trie = dict[str, "Trie"]  # next letter -> the rest; "" -> {} where a word ends


def _trie(words: list[str]) -> str:
    """words as one regex of nested alternatives by common prefix ("ab(?:c|d)"): the regex
    engine tries the next letter once, not every word that shares the letters before it."""
    root: Trie = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def alternatives(node: Trie) -> str:
        alts = [re.escape(ch) + alternatives(rest) for ch, rest in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"
        return f"(?:{body})?" if "" in node else body

    return alternatives(root)


@lru_cache(maxsize=1)
def trigger_pattern() -> re.Pattern[str]:
    """A trigger word (a word of the letters a-z that starts with a stem of 3 to 12 letters, as
    _trigger_word reads them, or is an exact trigger) in lower-cased text."""
    usable = [s for s in stems() if 3 <= len(s) <= 12 and LETTERS.fullmatch(s)]
    shortest = [s for s in usable if not any(s != t and s.startswith(t) for t in usable)]
    exact = [w for w in exact_triggers() if LETTERS.fullmatch(w)]
    return re.compile(rf"\b(?:{_trie(shortest)})[a-z]*\b|\b(?:{_trie(exact)})\b")


def has_trigger(sentence: str) -> bool:
    """Whether one of the sentence's words is a trigger word (see trigger_sentences).

    One search of one pattern: the same answer as a test of each word of the letters a-z
    (\b[a-z]+\b) with _trigger_word, at two thirds of the cost.
    """
    return trigger_pattern().search(sentence.lower()) is not None


def trigger_sentences(text: str, parts: list[str]) -> list[str]:
    """The sentences of text with a trigger word, as trigger_words(text) would find them.

    That pattern matches a whole word of a-z letters in any case: one such word of a sentence,
    lower-cased, is one of the document's words (a sentence is bounded by spaces and
    punctuation), so each sentence can be tested on its own, with no pattern compiled per
    document. Not with CASE_TWINS in the text: re.I matches them as ASCII letters.
    """
    if not lowers_cleanly(text):
        trig = trigger_words(text)
        return [] if trig is None else [t for t in parts if trig.search(t)]
    return [t for t in parts if has_trigger(t)]


ARMED_WORDS = re.compile(
    r"\b(?:army|soldiers|troops|forces|police|militants|rebels|insurgents|"
    r"terrorists|fighters|militia\w*|gunmen|jihadists)\b",
    re.I,
)


DISASTERS = ("NATURAL_DISASTER", "MAN_MADE_DISASTER")
# A border named after the countries it divides ("the U.S.-Mexico border", "the southern U.S.
# border") is one place, not two states.
BORDER_NAME = re.compile(r"\S+\s+(?:border|frontier)s?\b", re.I)


def supported(scores: dict[str, float], text: str) -> dict[str, float]:
    """Drop the cues whose kind of event the sentence gives no ground for.

    Diplomacy is between states: two countries (names, demonyms, capitals, seats of government
    such as "the Kremlin") or one country and an international body, and someone who acts for
    one of them (a government, an official, a state named as the subject): two place names are
    no diplomacy, nor is sending migrants home. A disaster must have done something (IMPACT):
    "hurricane" in a sports score or a stock-market "crash" is no event; an epidemic is no
    natural disaster; a rocket or shell must have been fired (FIRED), not built or found.
    Organized crime must be an incident (a seizure, a raid, arrests, a robbery, a killing), not
    drug prices or a trend.
    """
    if "DIPLO" in scores:
        intl = matches("INTERNATIONAL", text)
        named = set(country_context(BORDER_NAME.sub(" ", text))) | seat_countries(text)
        states = len(named) + intl
        if states < 2 or not (intl or has_party(text)) or framed("DEPORTATION", text):
            scores.pop("DIPLO")
    if "ORG_CRIME" in scores and not framed("CRIME_INCIDENT", text):
        scores.pop("ORG_CRIME")  # drugs, trafficking or fraud as a topic: no incident
    if any(c in scores for c in DISASTERS) and not matches("IMPACT", text):
        for code in DISASTERS:
            scores.pop(code, None)
    if "ART_MISS_ATTACK" in scores and not framed("FIRED", text):
        scores.pop("ART_MISS_ATTACK")  # a rocket that was not fired: a launcher, a programme
    if "NATURAL_DISASTER" in scores and disease(text):
        scores.pop("NATURAL_DISASTER")  # a caseload or an outbreak is in no type of the taxonomy
    return scores


LIST_GAP = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or)\s+|&\s*)(?:the\s+)?")


def listed_areas(text: str, found: list[Mention]) -> int:
    """Distinct areas in the longest list of places ("in Aleppo, Idlib and Hama"): a round-up.

    Only a list counts: places named apart from each other are one incident's surroundings,
    and names of people that happen to be places ("Brown, Eric Gardner") break the list.
    """
    below = sorted((m for m in found if m.place.kind != COUNTRY), key=lambda m: m.start)
    best, chain = 0, set[tuple[str, str]]()
    for prev, m in zip([None, *below], below):
        area = (m.place.cc, m.place.admin1)
        gap = text[prev.start + len(prev.text) : m.start] if prev else ""
        chain = chain | {area} if prev and LIST_GAP.fullmatch(gap) else {area}
        best = max(best, len(chain))
    return best


# The day a single incident happened: "on Tuesday", "early Sunday", "yesterday", "on 8 August".
# Not "since Monday" (a span) nor "said Tuesday" (the day of the report).
ONE_DAY = re.compile(
    r"(?<!since )(?<!said )(?<!reported )(?<!told )(?<!announced )(?<!says )"
    r"\b(?:(?:on|early|late|last) )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|today|overnight|last night|this morning)\b",
    re.I,
)


# A span of a few days: "during the past two days", "in the past few days", "over the last 48 hours".
FEW_DAYS = re.compile(
    r"\b(?:in|during|over|within) the (?:past|last) (?:two|three|few|couple of|\d{1,2}) "
    r"(?:days|hours)\b",
    re.I,
)
# Casualties counted over the span make it a running total, not one act.
HARM = re.compile(r"\b(?:kill\w*|dead|deaths?|died|injur\w*|wounded|casualt\w*|toll)\b", re.I)


def _one_incident(text: str) -> bool:
    """Whether a sentence with a span of time (casualties.TOTAL) still tells of one incident.

    So it does when it names the day, or when it is a claim or denial of responsibility: that is
    news when made, whenever the act it is about took place. So does an act with no casualties
    over the last few days (arrests in raids, troops deployed where others withdrew): a
    campaign of days is reported as one act, where a toll over the same days is a running total.
    """
    if ONE_DAY.search(text) is not None or claimed(text):
        return True
    return FEW_DAYS.search(text) is not None and HARM.search(text) is None


def _sentence(
    text: str, context: Counter[str], year: int | None = None, unrest: bool = False
) -> Sentence | None:
    """A sentence's cues, or None when it only gives context (war totals, summaries, past years)."""
    dated = without_records(text)
    if context_only(dated):
        if not _one_incident(dated):
            return None
        dated = TOTAL.sub(" ", dated)  # the year of "since 2012" starts the span, not the incident
    if historical(dated, year):
        return None
    scores = supported(score(without_idioms(text)), text)
    top = max(scores.values(), default=0.0)
    if top < 1:
        return None  # not eventful whatever its casualties: spare their (costly) reading
    cas = casualties(without_records(text))
    stated = cas.fatalities is not None or cas.injured is not None or cas.mentions_death
    scores = reported(scores, text, stated, unrest)
    top = max(scores.values(), default=0.0)
    eventful = (
        top >= MIN_SCORE
        or (top >= 1.5 and bool(ARMED_WORDS.search(text)))
        or (cas.mentions_death and top >= 1)
    )
    if not eventful:
        return None
    found = mentions(text, context)
    distinct = {(m.place.cc, m.place.admin1) for m in found if m.place.kind != COUNTRY}
    if listed_areas(text, found) >= 3 or (len(distinct) >= 2 and SUMMARY.search(text)):
        return None  # a round-up over several places is no single incident
    return Sentence(text, scores, cas, most_specific(found), find_actors(text), True)


SHORT_TEXT = 1000  # headlines and snippets: a violence cue and a place are enough for an event
VIOLENCE = re.compile(
    r"\b(?:kill\w*|dead|deaths?|died|dies?|murder\w*|slain|massacre\w*|execut\w*|"
    r"shot|shoot\w*|gun\w*|attack\w*|clash\w*|fighting|fought|battles?|ambush\w*|"
    r"bomb\w*|blast|explosion|shell\w*|air\s*strikes?|airstrikes?|raids?|offensive|"
    r"martyr\w*|casualt\w*|bodies|body|corpses?|behead\w*|decapitat\w*|dismember\w*|"
    r"homicides?|assassinat\w*|"
    r"abduct\w*|kidnap\w*|wound\w*|injur\w*|violence|armed\s+men|"
    r"militants?|insurgents?|rebels?|jihadists?|cartel|sicarios?)\b",
    re.I,
)


HEADLINES = re.compile(r";|\n+")


def english_parts(text: str, default: str | None = None) -> str:
    """The parts of a short multi-part text (headlines joined by ';') that are in English, or
    in no clear language when the default is English; "" for one part or a long text."""
    if len(text) > SHORT_TEXT:
        return ""
    parts = [p for p in HEADLINES.split(text) if p.strip()]
    if len(parts) < 2:
        return ""
    return "; ".join(p for p in parts if (detect_language(p) or default) == "en")


def fallback(candidates: list[str], context: Counter[str], year: int | None) -> list[Incident]:
    """A short text (a headline) with a violence cue and a place, but no sentence strong enough."""
    inc = Incident()
    for text in candidates:
        if context_only(text) or historical(text, year):
            continue
        if not VIOLENCE.search(without_idioms(text)):
            continue
        found = mentions(text, context)
        cas = casualties(text)
        if not found and not context and not cas.fatalities:
            continue  # (a stated toll is worth reporting even where the place is unknown)
        if never_an_incident(text) or (not cas.fatalities and not cas.injured and unreal(text)):
            continue
        inc.add(Sentence(text, score(text), cas, most_specific(found), find_actors(text), True))
    return [inc] if inc.sentences else []


def fallback_place(title: str, lead: list[str], context: Counter[str]) -> Mention | None:
    """For an incident with no place of its own: the title's or lead's, else the article's
    country, else the one country the armed groups it names belong to ("Anti-Balaka")."""
    for text in [title, *lead]:
        found = [m for m in mentions(text, context) if not context or context.get(m.place.cc)]
        if found:
            return most_specific(found)
    cc = context.most_common(1)[0][0] if context else group_country("\n".join([title, *lead]))
    if cc:
        country = gazetteer().countries.get(cc)
        if country:
            return Mention(country, -1, country.name)
    return None


def _compatible(a: Place, b: Place) -> bool:
    """Same country and, below country level, the same admin1 area."""
    if a.cc != b.cc:
        return False
    return a.kind == COUNTRY or b.kind == COUNTRY or a.admin1 == b.admin1


def group(sentences: list[Sentence]) -> list[Incident]:
    """Consecutive sentences about one place form one incident; a new place starts another."""
    incidents: list[Incident] = []
    for s in sentences:
        current = incidents[-1] if incidents else None
        if (
            s.place
            and current
            and current.place
            and not _compatible(s.place.place, current.place.place)
        ):
            earlier = [
                i for i in incidents if i.place and _same_place(i.place.place, s.place.place)
            ]
            if earlier and s.eventful:
                earlier[0].add(s)
            elif s.eventful:
                incidents.append(Incident())
                incidents[-1].add(s)
            continue
        if current is not None and _story(s) * _story(current.sentences[-1]) < 0:
            current = None  # arrests after a killing, a coup report before one: another story
        if current is not None and (s.eventful or (s.place and current.place is None)):
            current.add(s)
        elif s.eventful:
            incidents.append(Incident())
            incidents[-1].add(s)
    return incidents


POLITICAL = frozenset({"ARREST", "AGREEMENT", "CHANGE_TO_GROUP_ACT", "DIPLO"})


def _story(s: Sentence) -> int:
    """-1 for a political act (arrest, deal, coup, diplomacy), 1 for violence, 0 for the rest."""
    code = max(s.scores, key=lambda c: s.scores[c], default=None)
    if code is None:
        return 0
    return -1 if code in POLITICAL else int(types()[code].violent)


def _same_place(a: Place, b: Place) -> bool:
    return a.cc == b.cc and a.admin1 == b.admin1 and a.kind == b.kind and a.name == b.name


def document_language(doc: Document, text: str) -> str | None:
    """The text's own language; the page's declared one (often a template default) is a hint."""
    found = detect_language(text)
    if found is None and doc.language:
        return doc.language.split("-")[0].split("_")[0].lower() or None
    return found


def extract_events(doc: Document) -> list[Event]:
    """The incidents a news document reports, as events with the model's confidence in each."""
    from .judge import judged

    return judged(doc, rule_events(doc))


def rule_events(doc: Document) -> list[Event]:
    """The incidents the rules find in a document, with the rules' own confidence; [] for a
    language they cannot read."""
    text = doc.text or ""
    if not text.strip():
        return []
    if opinion_page(doc.title):
        return []
    language = document_language(doc, text)
    if language not in (None, "en"):
        from .foreign import other_language_events

        return other_language_events(doc, text, language)
    if language is None and english_parts(text, "en") not in ("", text):
        from .foreign import other_language_events

        # Headlines in several languages, none of them the text's: each read in its own.
        return other_language_events(doc, text, "en")
    return english_events(doc, text, language or "en")


def english_events(doc: Document, text: str, language: str) -> list[Event]:
    """The incidents an English text reports, as events."""
    from .build import to_event

    if not text.strip():
        return []
    from .reading import missed, retyped

    parts = split_sentences(text)
    candidates = trigger_sentences(text, parts)  # most sentences of most articles stop here
    short = len(text) <= SHORT_TEXT
    if not candidates and not short:
        return []  # (what the steps below make of no candidates)
    # The article's countries, from its title, lead and the sentences that may report events.
    context = country_context("\n".join([doc.title or "", *parts[:2], *candidates]))
    year = int(doc.published[:4]) if doc.published and doc.published[:4].isdigit() else None
    unrest = arrest_context(doc.title, parts[:3])
    sentences = [s for s in (_sentence(t, context, year, unrest) for t in candidates) if s]
    incidents = [retyped(i) for i in group(sentences) if any(s.eventful for s in i.sentences)]
    if not incidents and short:
        incidents = [retyped(i) for i in fallback(candidates, context, year)]
        incidents = incidents or missed(text, context, year)
    for inc in incidents:
        if inc.place is None:
            inc.place = fallback_place(doc.title or "", parts[:2], context)
    return [to_event(doc, inc, n, language) for n, inc in enumerate(incidents)]
