"""From a document to events: sentences -> cues -> incidents (grouped by place) -> events."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ..records import Actor, Document, Event
from .actors import find_actors
from .casualties import TOTAL, Casualties, casualties
from .classify import score
from .geocode import Mention, country_context, mentions, most_specific
from .language import detect_language
from .lexicon import rows
from .places import COUNTRY, Place

SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n+|;\s+")
ARMED = {"state forces", "rebel group", "political militia", "identity militia", "external forces"}
MIN_SCORE = 2.5          # a sentence needs this much cue weight to report an event by itself
SUMMARY = re.compile(r"\b(?:across|throughout|various|several\s+(?:provinces|regions|areas|cities))\b", re.I)


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


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s and len(s.strip()) > 3]


WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def stems() -> frozenset[str]:
    return frozenset(w for r in rows("triggers.txt") for w in r[0].split())


@lru_cache(maxsize=200_000)
def _trigger_word(w: str) -> bool:
    st = stems()
    return any(w[:k] in st for k in range(3, min(len(w), 12) + 1))


def trigger_words(text: str) -> re.Pattern[str] | None:
    """A small pattern of the document's own trigger words, or None when it has none."""
    found = {w for w in set(WORD.findall(text.lower())) if _trigger_word(w)}
    if not found:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(found, key=len, reverse=True)) + r")\b", re.I)


ARMED_WORDS = re.compile(r"\b(?:army|soldiers|troops|forces|police|militants|rebels|insurgents|"
                         r"terrorists|fighters|militia\w*|gunmen|jihadists)\b", re.I)


def _sentence(text: str, context: Counter[str]) -> Sentence | None:
    """A sentence's cues, or None when it only gives context (war totals, summaries)."""
    if TOTAL.search(text):
        return None
    scores, cas = score(text), casualties(text)
    top = max(scores.values(), default=0.0)
    eventful = top >= MIN_SCORE or (top >= 1.5 and bool(ARMED_WORDS.search(text))) or \
        (cas.mentions_death and top >= 1)
    if not eventful:
        return None
    found = mentions(text, context)
    distinct = {(m.place.cc, m.place.admin1) for m in found if m.place.kind != COUNTRY}
    if len(distinct) >= 3 or (len(distinct) >= 2 and SUMMARY.search(text)):
        return None     # a round-up over several places is no single incident
    return Sentence(text, scores, cas, most_specific(found), find_actors(text), True)


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
        if s.place and current and current.place and not _compatible(s.place.place, current.place.place):
            earlier = [i for i in incidents if i.place and _same_place(i.place.place, s.place.place)]
            if earlier and s.eventful:
                earlier[0].add(s)
            elif s.eventful:
                incidents.append(Incident())
                incidents[-1].add(s)
            continue
        if current is not None and (s.eventful or (s.place and current.place is None)):
            current.add(s)
        elif s.eventful:
            incidents.append(Incident())
            incidents[-1].add(s)
    return incidents


def _same_place(a: Place, b: Place) -> bool:
    return a.cc == b.cc and a.admin1 == b.admin1 and a.kind == b.kind and a.name == b.name


def extract_events(doc: Document) -> list[Event]:
    """The incidents an English news document reports, as events; [] for anything else."""
    from .build import to_event

    text = doc.text or ""
    language = doc.language or detect_language(text)
    if language not in (None, "en") or not text.strip():
        return []
    trig = trigger_words(text)
    if trig is None:
        return []
    parts = split_sentences(text)
    candidates = [t for t in parts if trig.search(t)]   # most sentences of most articles stop here
    # The article's countries, from its title, lead and the sentences that may report events.
    context = country_context("\n".join([doc.title or "", *parts[:2], *candidates]))
    sentences = [s for s in (_sentence(t, context) for t in candidates) if s]
    incidents = [i for i in group(sentences) if any(s.eventful for s in i.sentences)]
    return [to_event(doc, inc, n, language or "en") for n, inc in enumerate(incidents)]
