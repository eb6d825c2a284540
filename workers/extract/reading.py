"""What the model reads in a sentence, put to the rules' use: which family of incident a
report tells (conflict or disaster), so that a cue word's other sense ("open fire" at a mosque is
no blaze) does not set the type, and so that a short report the rules' thresholds miss is still
found.
"""

from __future__ import annotations

import re
from collections import Counter

from .actors import find_actors
from .casualties import casualties, context_only, historical, without_records
from .classify import score, types
from .engine import Incident, Sentence, split_sentences
from .framing import never_an_incident, unreal
from .geocode import mentions, most_specific
from .model import topics

DISASTER_CODES = frozenset({"NATURAL_DISASTER", "MAN_MADE_DISASTER"})
NOT_VIOLENT = frozenset({"DIPLO", "ORG_CRIME", "OTHER"}) | DISASTER_CODES
# The codes a conflict report keeps: all but diplomacy and the disasters (a cartel's killing
# is organised crime, a ceasefire a strategic development).
NOT_CONFLICT = DISASTER_CODES | {"DIPLO"}
RETYPE = 0.6  # the model's share for a family that overrides the cues' type
FIND = 0.8  # ... and that makes a short text's sentence an incident the cues missed
NATURAL = re.compile(
    r"\b(?:earthquakes?|quakes?|floods?|flooding|storms?|cyclones?|hurricanes?|typhoons?|"
    r"tornado\w*|landslides?|mudslides?|avalanche\w*|wildfires?|bush ?fires?|forest fires?|"
    r"drought|heat ?waves?|tsunami|volcan\w*|eruption|rains?|monsoon|lightning|blizzards?|"
    r"snow\w*|magnitude)\b",
    re.I,
)


def family(text: str) -> str | None:
    """ "conflict" or "disaster" when the model reads the text as such a report, else None."""
    p = topics(text)
    for name in ("disaster", "conflict"):
        if p.get(name, 0.0) >= RETYPE:
            return name
    return None


def family_scores(text: str, name: str) -> dict[str, float]:
    """The cue scores of the family's own types; a default type where the cues give none."""
    scores = score(text)
    if name == "disaster":
        kept = {c: v for c, v in scores.items() if c in DISASTER_CODES}
        default = "NATURAL_DISASTER" if NATURAL.search(text) else "MAN_MADE_DISASTER"
    else:
        kept = {c: v for c, v in scores.items() if c not in NOT_VIOLENT and types()[c].violent}
        default = "ATTACK"
    return kept or {default: 3.0}


def retyped(inc: Incident) -> Incident:
    """The incident typed within the family the model reads in its first sentence."""
    lead = inc.sentences[0]
    name = family(lead.text)
    if name is None:
        return inc
    total: Counter[str] = Counter()
    for s in inc.sentences:
        total.update(s.scores)
    top = max(total, key=lambda c: total[c], default=None)
    fits = top in DISASTER_CODES if name == "disaster" else top not in NOT_CONFLICT
    if top is not None and fits:
        return inc  # the cues' type is of the family the model reads: theirs is finer
    for s in inc.sentences:
        s.scores = family_scores(s.text, name) if s is lead else {}
    return inc


def missed(text: str, context: Counter[str], year: int | None) -> list[Incident]:
    """The sentence of a short text (a headline, or several joined by ';') that the model
    reads, with confidence, as a report of a conflict or disaster incident, when the cues
    found none."""
    best: tuple[float, str, str] | None = None
    for t in split_sentences(text):
        p = topics(t)
        name = max(("conflict", "disaster"), key=lambda n: p.get(n, 0.0))
        if p.get(name, 0.0) >= FIND and (best is None or p[name] > best[0]):
            best = (p[name], name, t)
    if best is None:
        return []
    _, name, t = best
    plain = without_records(t)
    # A disaster's toll over the days it struck is its own; a conflict's is a running total.
    spans = name == "conflict" and context_only(plain)
    if spans or historical(plain, year) or never_an_incident(t) or unreal(t):
        return []
    found = mentions(t, context)
    s = Sentence(
        t, family_scores(t, name), casualties(plain), most_specific(found), find_actors(t), True
    )
    inc = Incident()
    inc.add(s)
    return [inc]
