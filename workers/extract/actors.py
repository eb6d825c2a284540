"""Actors as the text names them, with a coarse kind, a country, and who acted on whom.

Three kinds of mention are found: actor words and named groups from data/actors.tsv, with a
demonym or country before them ("Syrian army", "Kabul police"); named states, organisations and
armed groups (data/actor_names.tsv, the gazetteer's country names, plural demonyms such as
"Palestinians"); and titles with a personal name ("President Abdelaziz Bouteflika"). Roles
come from a few surface cues: whoever a passive verb's "by" names, or whose "firing" or
"air strike" it was, acted; whoever "was killed" or "were arrested" was acted on; whoever only
"said" or "reported" is a source, not an actor. Otherwise the first mention acted on the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..records import Actor
from .classify import heads_of, literal_prefixes, word_heads
from .lexicon import fold, rows
from .places import gazetteer

TITLE = "title"  # a personal name may follow the phrase
NEEDS_COUNTRY = "country"  # the phrase names an actor only with a demonym or country before it


@dataclass(frozen=True, slots=True)
class ActorWord:
    pattern: re.Pattern[str]
    heads: frozenset[str] | None  # a sentence without any of these words has no match
    kind: str | None
    country: str | None
    flag: str


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    name: str
    kind: str | None
    country: str | None
    agent: bool = False  # named as the one who acted: "by police", "police firing"
    victim: bool = False  # named as acted on: "three soldiers were killed"
    oblique: bool = False  # after a preposition: "against Israel", "with the army"


@lru_cache(maxsize=1)
def actor_words() -> tuple[ActorWord, ...]:
    """The rows of actors.tsv, each with the first letters its matches can start with."""
    out = []
    for rx, kind, *rest in rows("actors.tsv"):
        cc, flag = (rest + ["", ""])[:2]
        # Matched against the lower-cased sentence: a case-sensitive pattern runs much faster.
        # The rows use no \\W, \\S or \\D, which lower-casing would change.
        pattern = re.compile(rf"\b(?:{rx.lower()})\b")
        heads = heads_of(literal_prefixes(rx))
        out.append(ActorWord(pattern, heads, kind or None, cc or None, flag))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Names:
    """Proper names that denote actors, by folded spelling: (kind, ISO2 or None)."""

    table: dict[str, tuple[str | None, str | None]]
    longest: int  # words in the longest name
    acronyms_only: frozenset[str]  # one-word names of organisations: matched in capitals only
    states: frozenset[str]  # country names: not actors where they only say where


@lru_cache(maxsize=1)
def names() -> Names:
    g = gazetteer()
    table: dict[str, tuple[str | None, str | None]] = {}
    single: set[str] = set()
    for name, kind, iso3 in rows("actor_names.tsv"):
        key = fold(name)
        table.setdefault(key, (kind, g.iso3.get(iso3)))
        if " " not in key:
            single.add(key)
    states = {fold(p.name) for p in g.countries.values()}
    states |= {fold(name) for name, code3 in rows("country_aliases.tsv") if code3 in g.iso3}
    states -= {fold(r[0]) for r in rows("actor_places.txt")}
    for key in states:
        table[key] = ("state forces", g.country_words.get(key))
    single -= states
    # Plural demonyms ("Palestinians", "Iraqis") name a country's people.
    spelled = {fold(phrase): code3 for phrase, code3 in rows("country_names.tsv")}
    for key, code3 in spelled.items():
        if key.endswith("s") and spelled.get(key[:-1]) == code3 and code3 in g.iso3:
            table.setdefault(key, ("civilians", g.iso3[code3]))
            single.discard(key)
    longest = max(len(k.split()) for k in table)
    return Names(table, longest, frozenset(single), frozenset(states))


def _country(prefix: str) -> tuple[str | None, int]:
    """The country a demonym or name just before an actor word gives, and where that name starts."""
    words = gazetteer().country_words
    tokens = list(re.finditer(r"\S+", prefix))
    for i in range(len(tokens)):
        phrase = re.sub(r"['’]s$", "", prefix[tokens[i].start() :].strip())
        cc = words.get(fold(phrase))
        if cc:
            return cc, tokens[i].start()
    return None, 0


# ---- finding mentions ---------------------------------------------------------------------

PREFIX = re.compile(r"(?<![\w'’.-])(?:(?-i:[A-Z])[\w'’.-]+\s+){1,2}$")
PERSONAL_NAME = re.compile(
    r"(?:\s+(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|"
    r"March|April|May|June|July|August|September|October|November|December)\b)"
    r"(?-i:[A-Z])[\w'’.-]*(?:-(?-i:[A-Z])[\w'’.-]*)?){1,3}"
)
OF_NAME = re.compile(r"\s+of\s+(?:the\s+)?(?-i:[A-Z])")


def _word_mentions(sentence: str) -> list[Mention]:
    """Actor words and named groups from actors.tsv, each with the demonym before it, if any."""
    found: list[Mention] = []
    lower = sentence.lower()
    if len(lower) != len(sentence):  # a few letters change length in lower case: "İ"
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in sentence)
    present = word_heads(lower)
    for word, m in (
        (w, m)
        for w in actor_words()
        if w.heads is None or w.heads & present
        for m in w.pattern.finditer(lower)
    ):
        start, end = m.start(), m.end()
        # A demonym or country name may stand before the actor word: "Syrian army".
        pre = PREFIX.search(sentence, max(0, start - 40), start)
        cc, offset = _country(pre.group()) if pre else (None, 0)
        if cc and pre:
            start = pre.start() + offset
        if word.flag == NEEDS_COUNTRY and not cc:
            continue
        if word.flag == TITLE:
            person = PERSONAL_NAME.match(sentence, end)
            if person:
                end = person.end()
            elif not cc and not OF_NAME.match(sentence, end):
                continue  # "general strike", "the king's speech": no one named
        name = sentence[start:end].rstrip(".,")
        found.append(Mention(start, start + len(name), name, word.kind, cc or word.country))
    return found


POSSESSIVE_END = re.compile(r"['’]s?$")
NAME_WORD = re.compile(r"[A-Za-z][\w'’.&/-]*")


# A name is a run of capitalised words, joined by "of", "the", "al" and the like.
CAPITAL_RUN = re.compile(
    r"[A-Z][\w'’.&/-]*(?:\s+(?:(?:of|the|for|and|de|al|el|du|des|la|on|in)\s+)*[A-Z][\w'’.&/-]*)*"
)


def _name_mentions(sentence: str) -> list[Mention]:
    """Named states, organisations and groups: the longest run of capitalised words known."""
    n = names()
    found: list[Mention] = []
    for run in CAPITAL_RUN.finditer(sentence):
        words = list(NAME_WORD.finditer(sentence, run.start(), run.end()))
        i = 0
        while i < len(words):
            hit = _longest_name(sentence, words[i : i + n.longest], n)
            if hit is None:
                i += 1
                continue
            size, text, key = hit
            start = words[i].start()
            kind, cc = n.table[key]
            if not (key in n.states and _where(sentence, start)):
                found.append(Mention(start, start + len(text), text, kind, cc))
            i += size
    return found


def _longest_name(sentence: str, run: list[re.Match[str]], n: Names) -> tuple[int, str, str] | None:
    """(words, text, key) of the longest known name the run starts with."""
    if not run[0].group()[0].isupper():
        return None
    for j in range(len(run), 0, -1):
        last = run[j - 1].group()
        if not last[0].isupper():
            continue
        text = POSSESSIVE_END.sub("", sentence[run[0].start() : run[j - 1].end()])
        key = fold(text)
        if key not in n.table or (key in n.acronyms_only and not (last.isupper() or "-" in last)):
            continue
        if not re.search(r"\.\w", text):
            text = text.rstrip(".")
        return j, text, key
    return None


LOCATIVE = re.compile(
    r"\b(?:in|at|near|into|inside|outside|across|throughout|from|to|towards?|within|around|"
    r"of|via|over|off|north|south|east|west|northern|southern|eastern|western|central|"
    r"borders?\s+with|bordering|war-torn|neighbou?ring|fled|fleeing|flee|entered|left|leaving|"
    # The same in the other languages read (foreign.py): "en Centrafrique", "au Mali", "em Angola".
    r"en|à|au|aux|dans|vers|em|no|na|nos|nas|hacia|desde|del|du|des)"
    r"\s+(?:the\s+|la\s+|le\s+|el\s+|o\s+|l['’])?$",
    re.I,
)


def _where(sentence: str, start: int) -> bool:
    """A country named after "in", "to" or "from" says where something happened, not who did it."""
    return bool(LOCATIVE.search(sentence, max(0, start - 20), start))


def _merge(found: list[Mention], sentence: str) -> list[Mention]:
    """Non-overlapping mentions, longest first; "Iraq's interim government" as one mention."""
    kept: list[Mention] = []
    for m in sorted(found, key=lambda m: (m.start - m.end, m.start)):
        if all(m.end <= k.start or k.end <= m.start for k in kept):
            kept.append(m)
    kept.sort(key=lambda m: m.start)
    out: list[Mention] = []
    for m in kept:
        prev = out[-1] if out else None
        if prev and not sentence[prev.end : m.start].strip():
            # "Al-Nusra Front fighters", "Red Cross officials": the name says whose they are.
            named = prev.country is None or fold(prev.name) not in names().states
            out[-1] = replace(
                prev if named else m,
                start=prev.start,
                end=m.end,
                name=sentence[prev.start : m.end],
                country=prev.country or m.country,
            )
            continue
        if (
            prev
            and prev.country
            and not m.country
            and POSSESSIVE.fullmatch(sentence[prev.end : m.start])
        ):
            out[-1] = replace(
                m, start=prev.start, name=sentence[prev.start : m.end], country=prev.country
            )
            continue
        if (
            prev
            and not prev.country
            and m.country
            and OF_LINK.fullmatch(sentence[prev.end : m.start])
        ):
            out[-1] = replace(prev, end=m.end, name=sentence[prev.start : m.end], country=m.country)
            continue
        out.append(m)
    return out


POSSESSIVE = re.compile(r"['’]s\s+(?:[a-z][\w-]*\s+){0,2}")
OF_LINK = re.compile(r"\s+of\s+(?:the\s+)?")


# ---- roles --------------------------------------------------------------------------------

SPEECH = (
    r"\W{0,2}\s*(?:(?:sources?|officials?|spokes(?:man|woman|person)|statement|also|had|has|have|"
    r"today|\w+day|late|later|earlier)\s+){0,2}"
)
REPORTS = re.compile(
    SPEECH + r"(?:said|says|say|saying|told|tell|reported|reports|suspects?|suspected|"
    r"believes?|believed|quoted|sources)\b",
    re.I,
)
# "announced" or "confirmed" only reports when it closes the sentence: "..., an official confirmed."
CLOSING = re.compile(SPEECH + r"(?:announced|confirmed|added|stated|claimed)\b[^,;:]{0,30}$", re.I)
ACCORDING = re.compile(r"\baccording\s+to\s+(?:the\s+|a\s+)?$", re.I)
ACTED_ON = (
    r"(?:killed|shot|gunned down|injured|wounded|hurt|arrested|detained|held|abducted|"
    r"kidnapped|attacked|targeted|lynched|burnt|burned|charred|stabbed|hacked|beaten|"
    r"massacred|executed|murdered|slain|rounded up|dispersed|fired (?:up)?on|hit|seized|"
    r"captured|taken hostage|taken into custody|booked|nabbed|picked up)"
)
PASSIVE = re.compile(
    r"\s+(?:dead\b|(?P<aux>(?:were|was|have been|has been|had been|are|is|being|got|get)\s+)"
    r"(?:\w+ly\s+|all\s+|feared\s+|also\s+)?"
    + ACTED_ON
    + r"|"
    + ACTED_ON
    + r"(?=\s+(?:dead\b|by\b|in\b|at\b|on\b|as\b|when\b|after\b|during\b|near\b|while\b|and\b"
    r"|allegedly\b|yesterday\b|today\b|\w+day\b)|\s*[,.;:]|\s*$))"
    r"(?:\s+(?:to death|dead|alive))?",
    re.I,
)
BY_AGENT = re.compile(r"\s+by\s+(?:the\s+|a\s+|an\s+|suspected\s+|unidentified\s+)?", re.I)
AGENT_NOUN = re.compile(
    r"\s+(?:firing|fire|shooting|action|raids?|attacks?|air\s*strikes?|airstrikes?|shelling|"
    r"crackdown|operations?|offensive|bombardment|assault|lathi[- ]?charge|gunfire|bullets?|"
    r"ambush|sniper)\b",
    re.I,
)
PREPOSITION = re.compile(
    r"\b(?:against|with|on|upon|at|for|to|into|from|of|near|in)\s+"
    r"(?:the\s+|a\s+|an\s+|\d+\s+|some\s+|several\s+)?$",
    re.I,
)


def _speaker(sentence: str, m: Mention) -> bool:
    """Only the source of the report: "police said", "according to officials"."""
    return bool(REPORTS.match(sentence, m.end) or CLOSING.match(sentence, m.end)) or bool(
        ACCORDING.search(sentence, max(0, m.start - 25), m.start)
    )


def _roles(sentence: str, found: list[Mention]) -> list[Mention]:
    """Mentions marked as agent, victim or oblique; sources of the report dropped."""
    out = []
    for m in found:
        if _speaker(sentence, m):
            continue
        passive = PASSIVE.match(sentence, m.end)
        out.append(
            replace(
                m,
                victim=bool(passive),
                agent=bool(AGENT_NOUN.match(sentence, m.end)),
                oblique=bool(PREPOSITION.search(sentence, max(0, m.start - 12), m.start)),
            )
        )
    # "... were killed by gunmen": whoever "by" names acted.
    for m in out:
        passive = PASSIVE.match(sentence, m.end) if m.victim else None
        by = passive and BY_AGENT.match(sentence, passive.end())
        if by:
            for j, other in enumerate(out):
                if other.start == by.end():
                    out[j] = replace(other, agent=True, oblique=False)
    return out


def _pick(found: list[Mention]) -> tuple[Mention | None, Mention | None]:
    """Who acted and on whom, from the marked mentions."""
    agents = [m for m in found if m.agent and not m.victim]
    subjects = [m for m in found if not m.victim and not m.oblique]
    others = [m for m in found if not m.victim]
    first = next(iter(agents or subjects or others), None)
    rest = [m for m in found if m is not first and _same(m, first) is False]
    victims = [m for m in rest if m.victim]
    later = [m for m in rest if first is None or m.start > first.start]
    second = next(iter(victims or later or rest), None)
    return first, second


def _same(a: Mention, b: Mention | None) -> bool:
    return b is not None and (a.kind, fold(a.name)) == (b.kind, fold(b.name))


@lru_cache(maxsize=1)
def _seats() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern over data/actor_seats.tsv, a named group per row, and each group's country."""
    table = rows("actor_seats.tsv")
    groups = "|".join(rf"(?P<s{i}>{rx})" for i, (rx, _) in enumerate(table))
    return re.compile(rf"\b(?:{groups})\b"), {f"s{i}": cc for i, (_, cc) in enumerate(table)}


def _seat_mentions(sentence: str) -> list[Mention]:
    """Seats of government that stand for their state: "the Kremlin", "the Biden administration"."""
    pattern, country = _seats()
    return [
        Mention(m.start(), m.end(), m.group(), "state forces", country[m.lastgroup or ""])
        for m in pattern.finditer(sentence)
    ]


def seat_countries(sentence: str) -> frozenset[str]:
    """The states the sentence names by a seat of their government ("Downing Street": GB)."""
    return frozenset(m.country for m in _seat_mentions(sentence) if m.country)


def find_actors(sentence: str) -> list[Actor]:
    """Who acted (actor1) and on whom (actor2), as the sentence names them."""
    found = _word_mentions(sentence) + _name_mentions(sentence) + _seat_mentions(sentence)
    found = _merge(found, sentence)
    first, second = _pick(_roles(sentence, found))
    actors = []
    if first is not None:
        actors.append(Actor(first.name, "actor1", first.kind, first.country))
    if second is not None:
        actors.append(Actor(second.name, "actor2", second.kind, second.country))
    return actors


# Kinds of actor that can speak or act for a state or a side: a people named by its demonym
# ("Palestinians") counts too, a common noun such as "residents" or "migrants" does not.
PARTY_KINDS = frozenset({"state forces", "rebel group", "political militia", "external forces"})


def has_party(sentence: str) -> bool:
    """Whether the sentence names a state, a government (or its seat: "the Kremlin") or its
    officials, or an organised group.

    Place names alone do not: "visited a settlement in the West Bank" names two territories and
    no one who acts for either.
    """
    if any(m.kind in PARTY_KINDS for m in _word_mentions(sentence)):
        return True
    return bool(_name_mentions(sentence) or _seat_mentions(sentence))
