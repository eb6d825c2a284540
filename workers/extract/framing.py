"""How a sentence frames what it tells: a thing that happened, or a fear, a game, a study.

Cue words say what kind of event a sentence would report; these patterns say whether it
reports one at all. Each is a named pattern in data/framing.tsv.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .classify import types
from .lexicon import rows

# Codes a hedge does not undo when someone says it: a threat or a demand between states
# ("warned it would retaliate") is itself the news.
SPOKEN = frozenset({"DIPLO", "OTHER"})
DISASTERS = frozenset({"NATURAL_DISASTER", "MAN_MADE_DISASTER"})


@lru_cache(maxsize=1)
def patterns() -> dict[str, re.Pattern[str]]:
    """The patterns as written (lower case), for lower-cased text: much quicker than re.I."""
    return {name: re.compile(rx) for name, rx in rows("framing.tsv")}


@lru_cache(maxsize=4096)
def _lower(text: str) -> str:
    return text.lower()  # (one sentence is tested against several patterns in a row)


def framed(name: str, text: str) -> bool:
    return patterns()[name].search(_lower(text)) is not None


def without_idioms(text: str) -> str:
    """The sentence with event words in their idiomatic senses blanked ("a heart attack")."""
    low = _lower(text)
    idiom = patterns()["IDIOM"]
    if idiom.search(low) is None:
        return text
    if len(low) != len(text):  # lower() changed the length: offsets would not line up
        return re.compile(idiom.pattern, re.I).sub(lambda m: " " * len(m.group(0)), text)
    out = list(text)
    for m in idiom.finditer(low):
        out[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(out)


def opinion_page(title: str | None) -> bool:
    """A comment page ("Opinion | ...", "Column: ..."): it argues, it does not report incidents."""
    return bool(title) and framed("OPINION", title or "")


def reported(
    scores: dict[str, float], text: str, casualties_stated: bool, unrest: bool
) -> dict[str, float]:
    """The cues of what the sentence tells as having happened.

    A hedged sentence ("would", "if", "fears that") or one about a named past era ("Hitler",
    "World War Two") keeps only what states say to each other;
    old history keeps nothing; a game or a study told with event words keeps nothing unless
    it states casualties; a charge, a plea, a trial or a dropped inquiry keeps no violence (the
    act it is about is no incident of the day, and may be years old); one person's knife crime
    keeps no violence (see lone_crime) unless the article is about unrest; arrests of nobody
    political, in an article about no conflict or unrest (`unrest`: see arrest_context), are
    no ACLED event.
    """
    if not scores:
        return scores
    if framed("HISTORY", text):
        scores = {c: v for c, v in scores.items() if c in SPOKEN}
    if framed("HEDGE", text) or duty(text):
        kept = SPOKEN if said(text) else frozenset()
        scores = {c: v for c, v in scores.items() if c in kept}
    if framed("FURNITURE", text):
        return {}  # a related link's headline is another page's news, if any
    if long_ago(text) or (not casualties_stated and told_not_happened(text)):
        return {}
    kinds = types()
    if framed("LEGAL", text):  # (a threat tried in court is no dealing between states either)
        scores = {c: v for c, v in scores.items() if not kinds[c].violent and c != "DIPLO"}
    if lone_crime(text) and not unrest:  # (in an article about riots, the riots' stabbing)
        scores = {c: v for c, v in scores.items() if not kinds[c].violent or c in DISASTERS}
    if "ARREST" in scores and not unrest and not framed("ARREST_CONTEXT", text):
        del scores["ARREST"]
    return scores


THAT = re.compile(r"\bthat\b")


def duty(text: str) -> bool:
    """What ought to be done, in the writer's voice: no "that" before "must" or "should"."""
    m = patterns()["DUTY"].search(_lower(text))
    return m is not None and THAT.search(_lower(text), 0, m.start()) is None


def said(text: str) -> bool:
    """Whether the sentence reports what someone said, and is no question of the writer's.

    "Russia warned it would retaliate" is a statement made; "If the U.S. imposes a tariff, ..."
    or "why would they be outraged?" is the writer's own supposition.
    """
    return framed("SPEECH", text) and not text.rstrip(" \"'”’)").endswith("?")


def told_not_happened(text: str) -> bool:
    """A game or a study told in event words."""
    return framed("SPORT", text) or framed("STUDY", text)


def long_ago(text: str) -> bool:
    """History told in centuries and decades: its figures too are history."""
    return framed("PAST", text)


def lone_crime(text: str) -> bool:
    """A stabbing with no armed group, mob or unrest named: one person's crime, no ACLED event."""
    return framed("STABBING", text) and not framed("ORGANISED", text)


def disease(text: str) -> bool:
    """An epidemic or an infection told with no natural hazard: no natural disaster."""
    return framed("DISEASE", text) and not framed("HAZARD", text)


def never_an_incident(text: str) -> bool:
    """Old history, a court case, one person's knife crime or the page's furniture, whatever
    figures it states."""
    return long_ago(text) or framed("LEGAL", text) or framed("FURNITURE", text) or lone_crime(text)


def unreal(text: str) -> bool:
    """A headline that tells of no incident: hedged, a game, a study, a court case or a link."""
    return any(framed(name, text) for name in ("HEDGE", "LEGAL", "FURNITURE")) or (
        duty(text) or told_not_happened(text)
    )


def arrest_context(title: str | None, lead: list[str]) -> bool:
    """Whether the article's title or lead is about politics, armed groups or unrest."""
    return framed("ARREST_CONTEXT", " ".join([title or "", *lead]))
