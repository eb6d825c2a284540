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
    heads: frozenset[str] | None   # first three letters of every possible match; None if unknown


def _split_top(rx: str) -> list[str]:
    """Top-level alternatives of a regex."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(rx):
        ch = rx[i]
        if ch == "\\":
            i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(rx[start:i]); start = i + 1
        i += 1
    return parts + [rx[start:]]


HEAD_WORD = re.compile(r"[a-z0-9]+")


def heads_of(prefixes: list[str] | None) -> frozenset[str] | None:
    return frozenset(p[:3] for p in prefixes) if prefixes else None


def word_heads(text: str) -> frozenset[str]:
    """First three letters of each word: what a cue's heads are checked against."""
    return frozenset(w[:3] for w in HEAD_WORD.findall(text.lower()))


def literal_prefixes(rx: str) -> list[str] | None:
    """The literal text every match of rx starts with (one per alternative), or None."""
    out = []
    for alt in _split_top(rx):
        if alt.startswith("(?:"):
            depth, j = 0, 0
            for j, ch in enumerate(alt):
                depth += (ch == "(") - (ch == ")")
                if depth == 0:
                    break
            if alt[j + 1:j + 2] in ("?", "*"):
                return None
            inner = literal_prefixes(alt[3:j])
            if inner is None:
                return None
            out.extend(inner)
            continue
        m = re.match(r"[a-z0-9 '\-]+", alt.lower())
        lit = m.group(0) if m else ""
        if m and m.end() < len(alt) and alt[m.end()] in "?*{":
            lit = lit[:-1]       # the last letter is optional: "rockets?"
        if len(lit) < 2:
            return None
        out.append(lit)
    return out


@lru_cache(maxsize=1)
def types() -> dict[str, EventType]:
    return {code: EventType(code, et, sub or None, violent == "1")
            for code, et, sub, violent in rows("types.tsv")}


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    out = []
    for code, w, rx in rows("keywords.tsv"):
        pre = literal_prefixes(rx)
        out.append(Cue(code, float(w), re.compile(rf"\b(?:{rx})\b", re.I), heads_of(pre)))
    return tuple(out)


def score(text: str) -> dict[str, float]:
    """Sum of cue weights per code; a cue counts once per text, plus a little per repeat."""
    scores: dict[str, float] = {}
    present = word_heads(text)
    for cue in cues():
        if cue.heads is not None and not cue.heads & present:
            continue     # a set intersection spares most regex scans
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
