"""Actors as the text names them, with a coarse kind and a country from a demonym nearby."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..records import Actor
from .classify import heads_of, literal_prefixes, word_heads
from .lexicon import fold, rows
from .places import gazetteer


@dataclass(frozen=True, slots=True)
class ActorPattern:
    pattern: re.Pattern[str]
    kind: str
    country: str | None
    heads: frozenset[str] | None


@lru_cache(maxsize=1)
def patterns() -> tuple[ActorPattern, ...]:
    out = []
    for rx, kind, *cc in rows("actors.tsv"):
        # A demonym or country name may stand before the actor word: "Syrian army".
        full = rf"\b(?P<pre>(?:(?-i:[A-Z])[\w'’.-]+\s+){{0,2}})(?P<core>{rx})\b"
        out.append(
            ActorPattern(
                re.compile(full, re.I),
                kind,
                (cc[0] if cc and cc[0] else None),
                heads_of(literal_prefixes(rx)),
            )
        )
    return tuple(out)


def _country(prefix: str) -> str | None:
    words = gazetteer().country_words
    tokens = prefix.split()
    for i in range(len(tokens), 0, -1):
        cc = words.get(fold(" ".join(tokens[:i])))
        if cc:
            return cc
    return None


def find_actors(sentence: str) -> list[Actor]:
    """Actor mentions in textual order; the first is taken as who acted, the next as on whom."""
    found: list[tuple[int, str, str, str | None]] = []
    taken: list[tuple[int, int]] = []
    present = word_heads(sentence)
    for ap in patterns():
        if ap.heads is not None and not ap.heads & present:
            continue
        for m in ap.pattern.finditer(sentence):
            start, end = m.start("core"), m.end()
            if any(s < end and start < e for s, e in taken):
                continue
            prefix = m.group("pre").strip()
            cc = _country(prefix) if prefix else None
            name = (f"{prefix} {m.group('core')}" if cc else m.group("core")).strip()
            taken.append((start, end))
            found.append((start, name, ap.kind, cc or ap.country))
    found.sort()
    verb = VERB.search(sentence)
    if verb:
        # Who acted stands before the verb, on whom after it.
        before = [f for f in found if f[0] < verb.start()][:1]
        after = [f for f in found if f[0] > verb.start()][:1]
        found = before + after if before and after else found
    actors: list[Actor] = []
    kinds: set[tuple[str, str]] = set()
    for _, name, kind, cc in found:
        if (kind, fold(name)) in kinds or len(actors) == 2:
            continue
        kinds.add((kind, fold(name)))
        role = "actor1" if not actors else "actor2"
        actors.append(Actor(name=name, role=role, kind=kind, country=cc))
    return _passive(sentence, actors)


VERB = re.compile(
    r"\b(?:kill\w*|attack\w*|clash\w*|shell\w*|bomb\w*|arrest\w*|abduct\w*|"
    r"kidnap\w*|shot|shoot\w*|fought|fight\w*|raid\w*|ambush\w*|target\w*|"
    r"captur\w*|seiz\w*|repel\w*|struck|strik\w*|detain\w*|"
    r"disperse\w*|fired|protest\w*|demonstrat\w*)\b",
    re.I,
)
PASSIVE_BY = re.compile(
    r"\b(?:were|was|been)\s+(?:\w+\s+)?(?:killed|attacked|shot|arrested|"
    r"abducted|kidnapped|injured|wounded|targeted)\s+by\b",
    re.I,
)


def _passive(sentence: str, actors: list[Actor]) -> list[Actor]:
    """ "Civilians were killed by gunmen": the agent after "by" is the one who acted."""
    if len(actors) == 2 and PASSIVE_BY.search(sentence):
        a, b = actors
        return [
            Actor(b.name, "actor1", b.kind, b.country),
            Actor(a.name, "actor2", a.kind, a.country),
        ]
    return actors
