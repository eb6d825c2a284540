"""Event type by keyword scoring: each sub-type's cues (data/keywords.tsv) add up per text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import rows


@dataclass(frozen=True, slots=True)
class EventType:
    code: str
    event_type: str
    sub_event_type: str | None
    violent: bool


@dataclass(frozen=True, slots=True)
class Cue:
    code: str
    weight: float
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def types() -> dict[str, EventType]:
    return {code: EventType(code, et, sub or None, violent == "1")
            for code, et, sub, violent in rows("types.tsv")}


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    return tuple(Cue(code, float(w), re.compile(rf"\b(?:{rx})\b", re.I))
                 for code, w, rx in rows("keywords.tsv"))


def score(text: str) -> dict[str, float]:
    """Sum of cue weights per code; a cue counts once per text, plus a little per repeat."""
    scores: dict[str, float] = {}
    for cue in cues():
        hits = len(cue.pattern.findall(text))
        if hits:
            scores[cue.code] = scores.get(cue.code, 0.0) + cue.weight * (1 + 0.25 * min(hits - 1, 2))
    return _adjust(text, scores)


CLAIM = re.compile(r"\bclaim(?:ed|s|ing)? (?:\w+ )?responsibility\b", re.I)
PROTEST = re.compile(r"\b(?:protest\w*|demonstrat\w*|rall(?:y|ies))\b", re.I)


def _adjust(text: str, s: dict[str, float]) -> dict[str, float]:
    """Interactions between cues that one weight per cue cannot express."""
    if CLAIM.search(text):
        s["OTHER"] = s.get("OTHER", 0.0) + 6
    if not PROTEST.search(text):
        # Tear gas or live fire only make a protest sub-type when there is a protest.
        for code in ("PROTEST_WITH_INTER", "FORCE_AGAINST_PROTEST"):
            s.pop(code, None)
    elif "PEACE_PROTEST" in s:
        for code in ("PROTEST_WITH_INTER", "FORCE_AGAINST_PROTEST", "VIOL_DEMONSTR"):
            if code in s:
                s[code] += 1.5
    return s


def best(scores: dict[str, float]) -> tuple[EventType, float] | None:
    if not scores:
        return None
    code = max(scores, key=lambda c: scores[c])
    return types()[code], scores[code]
