"""Event type by keyword scoring: each sub-type's cues (data/keywords.tsv) add up per text.

Interactions the single weights cannot express live in _adjust: how a protest went (riot,
excessive force, intervention, peaceful), which side took a place (data/sides.tsv), claims and
denials of responsibility, weapons found rather than used, explosions that are accidents.
Every type has a sub_event_type string; the non-conflict types repeat their name (types.tsv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from .lexicon import rows


@dataclass(frozen=True, slots=True)
class EventType:
    code: str
    event_type: str
    sub_event_type: str
    violent: bool


@dataclass(frozen=True, slots=True)
class Cue:
    code: str
    weight: float
    pattern: re.Pattern[str]
    heads: frozenset[str] | None  # first three letters of every possible match; None if unknown
    literals: tuple[str, ...] | None  # text every match starts with (lower case); None if unknown
    # The literals by their head (see _by_head), for the sharper test of _first_literal.
    by_head: dict[str, tuple[str, ...]] | None
    # The pattern without re.I, for lower-cased text (see caseless); None when it cannot be.
    lower_pattern: re.Pattern[str] | None


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
            parts.append(rx[start:i])
            start = i + 1
        i += 1
    return [*parts, rx[start:]]


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
            for j, ch in enumerate(alt):  # noqa: B007 (j is read after the loop)
                depth += (ch == "(") - (ch == ")")
                if depth == 0:
                    break
            inner = literal_prefixes(alt[3:j])
            if alt[j + 1 : j + 2] in ("?", "*", "{"):  # an optional group: "(?:warm )?welcome"
                inner = _optional_group(inner, alt[j + 1 :])
            if inner is None:
                return None
            out.extend(inner)
            continue
        m = re.match(r"[a-z0-9 '\-]+", alt.lower())
        lit = m.group(0) if m else ""
        if m and m.end() < len(alt) and alt[m.end()] in "?*{":
            lit = lit[:-1]  # the last letter is optional: "rockets?"
        if len(lit) < 2:
            return None
        out.append(lit)
    return out


def _optional_group(inner: list[str] | None, quantified: str) -> list[str] | None:
    """The literals a match starts with when the group before quantified may be left out: the
    group's or those of what follows it. None where that is unknown, and where a literal's
    first three characters are not all letters or digits: the users of heads_of take the first
    three characters of a literal for those of the word a match starts (which they are when
    they are letters or digits), and literals here are a speed-up, so none may be missed."""
    rest = quantified[quantified.find("}") + 1 :] if quantified[0] == "{" else quantified[1:]
    after = literal_prefixes(rest) if rest else None
    if inner is None or after is None:
        return None
    both = [*inner, *after]
    return both if all(WHOLE_HEAD.fullmatch(lit[:3]) for lit in both) else None


@lru_cache(maxsize=1)
def types() -> dict[str, EventType]:
    return {
        code: EventType(code, et, sub or et, violent == "1")
        for code, et, sub, violent in rows("types.tsv")
    }


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    out = []
    for code, w, rx in rows("keywords.tsv"):
        pre = literal_prefixes(rx)
        lits = tuple(sorted(set(pre))) if pre else None
        out.append(
            Cue(
                code,
                float(w),
                re.compile(rf"\b(?:{rx})\b", re.I),
                heads_of(pre),
                lits,
                _by_head(lits) if lits else None,
                re.compile(rf"\b(?:{rx})\b") if caseless(rx) else None,
            )
        )
    return tuple(out)


_SYNTAX = re.compile(r"\\.|\(\?P[<=]\w+>?|\(\?(?:[:=!]|<[=!])")


def caseless(rx: str) -> bool:
    """Whether rx without re.I over lower-cased text finds what it finds with re.I over the text.

    So it does for text without CASE_TWINS (lower() then keeps every offset, and what \\w, \\s
    and \\d match) when rx has no upper-case letter to match and no inline flags. Matching
    without re.I is more than twice as fast.
    """
    bare = _SYNTAX.sub("", rx)
    return bare == bare.lower() and "(?" not in bare


WHOLE_HEAD = re.compile(r"[a-z0-9]{3}")
# The only characters outside ASCII that a case-insensitive pattern lets match an ASCII letter
# (checked over all of Unicode) and that lower() does not turn into that letter.
CASE_TWINS = re.compile("[\u0130\u0131\u017f\u212a]")


def lowers_cleanly(text: str) -> bool:
    """Whether text has no CASE_TWINS: then a caseless pattern over text.lower() finds what it
    finds with re.I over the text, at the same offsets."""
    return text.isascii() or CASE_TWINS.search(text) is None


ANY_HEAD = ""  # key of the literals whose head is no word's head ("al-", "rp"): always tested


def _by_head(literals: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for lit in literals:
        head = lit[:3] if WHOLE_HEAD.fullmatch(lit[:3]) else ANY_HEAD
        groups.setdefault(head, []).append(lit)
    return {h: tuple(ls) for h, ls in groups.items()}


def _first_literal(cue: Cue, present: frozenset[str], low: str) -> int:
    """Where the cue's first literal that can start a match is in low; -1 when there is none.

    Sound for text without CASE_TWINS: there a match of the cue's word-bounded pattern starts
    a word, lower-cased it is the literal, so the literal's head is that word's head (in present)
    and the literal is in low. Literals whose head no word has cannot start a match, so only
    the rest are looked for, and no match can start before the first of them.
    """
    assert cue.by_head is not None
    first = -1
    for head in cue.by_head.keys() & present:
        for lit in cue.by_head[head]:
            i = low.find(lit)
            if i >= 0 and (first < 0 or i < first):
                first = i
    for lit in cue.by_head.get(ANY_HEAD, ()):
        i = low.find(lit)
        if i >= 0 and (first < 0 or i < first):
            first = i
    return first


@dataclass(frozen=True, slots=True)
class CueIndex:
    """The cues by the words their literals start, for one pass over a text's words (_plain).

    A literal of letters and digits only starts a word; one that goes on after its first word
    (a space, hyphen or apostrophe follows) is that whole word.
    """

    # word head -> (key, key is the whole word, literal, cue number)
    by_head: dict[str, tuple[tuple[str, bool, str, int], ...]]
    # Cues with literals whose first three characters are not all letters or digits ("al-",
    # "on strike"): those literals are looked for anywhere (cue number, literals).
    anywhere: tuple[tuple[int, tuple[str, ...]], ...]
    always: tuple[int, ...]  # cues with no literals: always scanned
    # For the cues in anywhere: a word with one of a cue's heads lets its literals count
    # (head -> cue numbers; see _plain).
    headed: dict[str, tuple[int, ...]]


LEAD_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def cue_index() -> CueIndex:
    by_head: dict[str, list[tuple[str, bool, str, int]]] = {}
    anywhere, always, headed = [], [], dict[str, list[int]]()
    for i, cue in enumerate(cues()):
        if cue.by_head is None:
            always.append(i)
            continue
        for head, lits in cue.by_head.items():
            if head == ANY_HEAD:
                anywhere.append((i, lits))
                for h in cue.heads or ():
                    headed.setdefault(h, []).append(i)
                continue
            for lit in lits:
                word = LEAD_WORD.match(lit)
                assert word is not None  # the literal's head is three letters or digits
                whole = word.end() < len(lit)
                by_head.setdefault(head, []).append((word.group(0), whole, lit, i))
    return CueIndex(
        {h: tuple(v) for h, v in by_head.items()},
        tuple(anywhere),
        tuple(always),
        {h: tuple(v) for h, v in headed.items()},
    )


HEADED = ""  # in place of a literal: the word has a head of the cue (CueIndex.headed)


@lru_cache(maxsize=20_000)
def _word_literals(word: str) -> tuple[tuple[str, int], ...]:
    """(literal, cue number) for the literals that may start at the word (see CueIndex), and
    (HEADED, cue number) for the anywhere cues it has a head of; for most words none.
    Cached: the words of a text are mostly words of the texts before it."""
    idx, head = cue_index(), word[:3]
    found = [
        (lit, i)
        for key, whole, lit, i in idx.by_head.get(head, ())
        if (word == key if whole else word.startswith(key))
    ]
    found.extend((HEADED, i) for i in idx.headed.get(head, ()))
    return tuple(found)


# (cue number, where to start scanning, the literals a match may start with or None: any)
Scan = tuple[int, int, tuple[str, ...] | None]


def _plain(low: str, ascii_text: bool) -> list[Scan]:
    """The cues that can match a text without CASE_TWINS, with where to start scanning, in order.

    One pass over the text's distinct words: a match starts a word with one of its cue's
    literals (see _first_literal), so a cue none of whose literals starts a word, or is one,
    has no match; no match starts before the first of the literals that does, nor anywhere
    but at one of those literals (the cues of idx.anywhere aside: they are scanned).
    """
    idx, words = cue_index(), set(HEAD_WORD.findall(low))
    starts: dict[int, list[int]] = {}
    found_lits: dict[int, list[str]] = {}
    headed: set[int] = set()
    # (filter and map run in C: most words start no literal, and cost no Python step.)
    for found in filter(None, map(_word_literals, words)):
        for lit, i in found:
            if lit == HEADED:
                headed.add(i)
                continue
            at = low.find(lit)  # a literal of several words may still be missing
            if at >= 0:
                starts.setdefault(i, []).append(at)
                found_lits.setdefault(i, []).append(lit)
    scanned: set[int] = set()
    for i, lits in idx.anywhere:
        # As score() always did: such a cue needs one of its heads among the word heads.
        if i not in starts and i not in headed and cues()[i].heads is not None:
            continue
        where = [a for a in map(low.find, lits) if a >= 0]
        if where:
            starts.setdefault(i, []).extend(where)
            scanned.add(i)
    out: list[Scan] = [
        (i, min(at) if ascii_text else 0, None if i in scanned else tuple(found_lits[i]))
        for i, at in starts.items()
    ]
    out.extend((i, 0, None) for i in idx.always)
    return sorted(out, key=itemgetter(0))


MAX_HITS = 3  # score() tells one, two, and three or more matches of a cue apart


def _hits_at(pattern: re.Pattern[str], low: str, lits: tuple[str, ...]) -> int:
    """len(pattern.findall(low)), counted up to MAX_HITS, for a pattern every match of which
    starts with one of lits: tried where they are, not at every position of the text."""
    places: set[int] = set()
    for lit in lits:
        at = low.find(lit)
        while at >= 0:
            places.add(at)
            at = low.find(lit, at + 1)
    hits, end = 0, 0
    for at in sorted(places):
        if at < end:
            continue  # inside the last match: findall goes on after it
        m = pattern.match(low, at)  # (\b still looks at the character before at)
        if m:
            hits += 1
            if hits == MAX_HITS:
                break
            end = m.end()  # (no match is empty: each starts with a literal)
    return hits


def _other(text: str, low: str) -> list[Scan]:
    """The cues that may match a text with CASE_TWINS (lower() may move offsets): a looser test."""
    present = word_heads(text)
    out: list[Scan] = []
    for i, cue in enumerate(cues()):
        if cue.heads is not None and cue.heads.isdisjoint(present):
            continue
        if cue.literals is None or any(lit in low for lit in cue.literals):
            out.append((i, 0, None))
    return out


def score(text: str) -> dict[str, float]:
    """Sum of cue weights per code; a cue counts once per text, plus a little per repeat."""
    scores: dict[str, float] = {}
    low = text.lower()
    ascii_text = text.isascii()  # then low's offsets are text's
    plain = lowers_cleanly(text)
    all_cues = cues()
    # (\b at start still looks at the character before it, so the matches are the same.)
    for i, start, lits in _plain(low, ascii_text) if plain else _other(text, low):
        cue = all_cues[i]
        if plain and cue.lower_pattern is not None and lits is not None:
            hits = _hits_at(cue.lower_pattern, low, lits)
        elif plain and cue.lower_pattern is not None:
            hits = len(cue.lower_pattern.findall(low, start))
        else:
            hits = len(cue.pattern.findall(text, start))
        if hits:
            bonus = 1 + 0.25 * min(hits - 1, 2)
            scores[cue.code] = scores.get(cue.code, 0.0) + cue.weight * bonus
    if "ORG_CRIME" in scores and "ARREST" in scores:
        # Arrests for trafficking, forgery or robbery told in the same sentence are news of
        # organised crime; the Arrests sub-type is for political and conflict arrests.
        scores["ORG_CRIME"] = max(scores["ORG_CRIME"], scores["ARREST"] + 0.5)
    return _adjust(text, scores)


PROTEST_CODES = ("PEACE_PROTEST", "PROTEST_WITH_INTER", "FORCE_AGAINST_PROTEST", "VIOL_DEMONSTR")
WEAPON_CODES = ("GRENADE", "ART_MISS_ATTACK", "REM_EXPLOS", "AIR_STRIKE", "CHEM_WEAP", "SUIC_BOMB")
TERRITORY = ("GOV_REGAINS_TERIT", "NON_STATE_ACTOR_OVERTAKES_TER")


@lru_cache(maxsize=1)
def patterns() -> dict[str, re.Pattern[str]]:
    """The interaction patterns of data/interactions.tsv by name."""
    return {name: re.compile(rx, re.I) for name, rx in rows("interactions.tsv")}


@lru_cache(maxsize=1)
def pattern_literals() -> dict[str, tuple[str, ...] | None]:
    """For each interaction pattern, the text every match starts with (lower case), or None."""
    out: dict[str, tuple[str, ...] | None] = {}
    for name, rx in rows("interactions.tsv"):
        lits: list[str] | None = []
        for alt in _split_top(rx):
            pre = literal_prefixes(alt.removeprefix(r"\b"))  # \b moves no match's start
            if pre is None or lits is None:
                lits = None
                continue
            lits.extend(pre)
        out[name] = tuple(dict.fromkeys(lits)) if lits else None
    return out


def matches(name: str, text: str) -> bool:
    """Whether the named interaction pattern occurs in text."""
    lits = pattern_literals()[name]
    if lowers_cleanly(text):
        low = text.lower()
        # A match starts with one of the literals, lower-cased: most texts have none of them.
        if lits is not None and not any(map(low.__contains__, lits)):
            return False
        lower = lower_patterns()[name]
        if lower is not None:
            return lower.search(low) is not None
    return patterns()[name].search(text) is not None


@lru_cache(maxsize=1)
def lower_patterns() -> dict[str, re.Pattern[str] | None]:
    """The interaction patterns without re.I, for lower-cased text, where that finds the same."""
    return {name: re.compile(rx) if caseless(rx) else None for name, rx in rows("interactions.tsv")}


PASSIVE = re.compile(r"\b(?:was|were|been|being)\s+(?:\w+\s+)?$", re.I)


@lru_cache(maxsize=1)
def sides() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((side, re.compile(rf"\b(?:{rx})\b", re.I)) for side, rx in rows("sides.tsv"))


def _side(text: str) -> str | None:
    """Who took the place: the last actor word before the first capture verb, or after 'by'."""
    verb = patterns()["TERRITORY_VERB"].search(text)
    if verb is None:
        return None
    before = text[max(0, verb.start() - 120) : verb.start()]
    if PASSIVE.search(before):
        after = re.match(r"\W*(?:\w+\W+){0,6}?by\s+(.{0,80})", text[verb.end() :])
        return _first_side(after.group(1)) if after else None
    # The subject: the first actor word of the clause that ends at the verb ("Afghan forces in a
    # crackdown on Taliban militants recaptured ..." is the forces' doing).
    clause = re.split(r"[,;:]\s|\s(?:after|as|while|when|and)\s", before)[-1]
    found = _first_side(clause)
    if found:
        return found
    best: tuple[int, str] | None = None
    for side, rx in sides():
        for m in rx.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), side)
    return best[1] if best else None


def _first_side(text: str) -> str | None:
    found = [(m.start(), side) for side, rx in sides() for m in [rx.search(text)] if m]
    return min(found)[1] if found else None


# Someone said to be responsible ("Iran is responsible for", "denied its planes were responsible
# for"), not officials described by their duties ("officials responsible for security").
HELD_RESPONSIBLE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|held|hold|holds|holding)\s(?:\w+\s){0,2}$", re.I
)
WHO = re.compile(r"\bwho(?:'s)?\s(?:\w+\s){0,1}$", re.I)


def claimed(text: str) -> bool:
    """A claim, denial or accusation of responsibility (data/interactions.tsv CLAIM)."""
    if matches("CLAIM", text):
        return True
    low = text.lower()
    at = low.find("responsible for")  # a literal first: most texts have none
    while at >= 0:
        before = low[max(0, at - 40) : at]
        if HELD_RESPONSIBLE.search(before) and not WHO.search(before):
            return True
        at = low.find("responsible for", at + 1)
    return False


def _adjust(text: str, s: dict[str, float], claim: bool | None = None) -> dict[str, float]:
    """Interactions between cues that one weight per cue cannot express."""
    if claim is None:
        claim = claimed(text)
    if claim:
        # A claim, denial or accusation of responsibility is the news, also when it is
        # worded as one state accusing another.
        s["OTHER"] = max(s.get("OTHER", 0.0) + 6, s.get("DIPLO", 0.0) + 0.5)
    protest = matches("PROTEST", text)
    if protest and s.keys() - PROTEST_CODES and matches("PROTEST_AHEAD", text):
        # Arrests or troops ahead of a protest (or of its organisers) are the news.
        for code in PROTEST_CODES:
            s.pop(code, None)
    if any(c in s for c in PROTEST_CODES) and (protest or matches("CROWD", text)):
        _protest(text, s, protest)
    else:
        # Tear gas or live fire only make a protest sub-type when there is a protest.
        for code in ("PROTEST_WITH_INTER", "FORCE_AGAINST_PROTEST"):
            s.pop(code, None)
    if any(c in s for c in TERRITORY):
        _territory(text, s)
    if "DISR_WEAP" in s:
        _disrupted(text, s)
    used = max((s[c] for c in WEAPON_CODES if c in s), default=0.0)
    if used >= 3 and "ATTACK" in s:
        # An attack made with explosives or from afar is coded by its means (ACLED).
        s["ATTACK"] = min(s["ATTACK"], used - 0.5)
    if "DIPLO" in s and not claim and matches("SANCTIONS", text):
        s["DIPLO"] = max(s.values()) + 0.5  # sanctions over an attack are the news, not the attack
    if "ORG_CRIME" in s and matches("CRIME_SETTING", text):
        # A grenade or a shooting in a robbery or a gang feud: the crime is the event.
        s["ORG_CRIME"] = max(s.values()) + 0.5
    if (s.keys() - {"AGREEMENT", "DIPLO"}) and matches("TALKS_AHEAD", text):
        # Talks still to come only date what happened ("seized two towns ahead of peace talks").
        for code in ("AGREEMENT", "DIPLO"):
            s.pop(code, None)
    disaster = max((s[c] for c in ("NATURAL_DISASTER", "MAN_MADE_DISASTER") if c in s), default=0)
    if disaster and "CHANGE_TO_GROUP_ACT" in s and matches("DISASTER_RELIEF", text):
        # Troops mobilised to help flood victims: the disaster is the news, not the deployment.
        s["CHANGE_TO_GROUP_ACT"] = min(s["CHANGE_TO_GROUP_ACT"], disaster - 0.5)
    if "MOB_VIOL" in s and matches("ACCUSED", text):
        # A mob that punished someone accused of rape or theft: the crime is the pretext.
        s["MOB_VIOL"] = max(s.values()) + 0.5
    if "ARREST" in s and matches("NO_ARREST", text):
        s.pop("ARREST")
    accident = "MAN_MADE_DISASTER" in s and ("REM_EXPLOS" in s or "CHEM_WEAP" in s)
    if accident and not matches("HOSTILE", text):
        # A plant or depot blowing up, a chlorine leak: accidents.
        for code in ("REM_EXPLOS", "CHEM_WEAP"):
            s["MAN_MADE_DISASTER"] += s.pop(code, 0.0)
    return s


def _disrupted(text: str, s: dict[str, float]) -> None:
    """Weapons found, defused or seized against weapons used: which one the text reports."""
    used = max((s[c] for c in WEAPON_CODES if c in s), default=0.0)
    if matches("INTERCEPTED", text):
        # Missiles shot down over a city, whoever fired them: ACLED's disrupted weapons use.
        s["DISR_WEAP"] = max(s["DISR_WEAP"], used + 0.5)
    elif used and matches("LAUNCHED", text):
        # Forces that launched missiles and destroyed the enemy's guns used their weapons.
        s["DISR_WEAP"] = min(s["DISR_WEAP"], used - 0.5)
    elif not matches("WEAPON_USED", text):
        # Grenades or mortars that were found, seized or destroyed were not used; but aircraft
        # that destroyed a depot carried out an air strike.
        for code in WEAPON_CODES:
            if code in s and code != "AIR_STRIKE":
                s[code] = min(s[code], s["DISR_WEAP"] - 0.5)
        if s.get("AIR_STRIKE", 0.0) >= 3.5:
            s["DISR_WEAP"] = min(s["DISR_WEAP"], s["AIR_STRIKE"] - 0.5)
    elif matches("WENT_OFF", text):
        # A bomb that went off while being defused: the explosion is the event.
        if used:
            s["DISR_WEAP"] = min(s["DISR_WEAP"], used - 0.5)
        else:
            # (an explosive named by no weapon cue: "a container full of explosives blew up")
            s["REM_EXPLOS"] = s["DISR_WEAP"] + 0.5


def _protest(text: str, s: dict[str, float], named: bool) -> None:
    """One protest sub-type carries the weight of all protest cues (see PROTEST_* above).

    A protest named as such (not only a crowd or a rally) weighs more, and the arrests made
    at it are its intervention.
    """
    weight = max(s.pop(c, 0.0) for c in PROTEST_CODES) + (1.5 if named else 0.0)
    peaceful = matches("PROTEST_PEACEFUL", text)
    harm = matches("PROTEST_HARM", text)
    if matches("PROTEST_VIOLENCE", text) and not (peaceful and harm):
        code = "VIOL_DEMONSTR"
    elif harm:
        code = "FORCE_AGAINST_PROTEST"
    elif matches("PROTEST_INTERVENTION", text):
        code = "PROTEST_WITH_INTER"
    else:
        code = "PEACE_PROTEST"
    s[code] = weight
    if named and "ARREST" in s and code in ("PROTEST_WITH_INTER", "FORCE_AGAINST_PROTEST"):
        s["ARREST"] = min(s["ARREST"], weight - 1)  # arrests at a protest are its intervention


def _territory(text: str, s: dict[str, float]) -> None:
    """A place changing hands: the side that took it decides the sub-type; no fight, no battle."""
    weight = max(s.pop(c, 0.0) for c in TERRITORY)
    side = _side(text)
    code = {"state": TERRITORY[0], "rebel": TERRITORY[1]}.get(side or "", TERRITORY[0])
    if "NON_VIOL_TERRIT_TRANSFER" in s:
        s["NON_VIOL_TERRIT_TRANSFER"] += weight
    elif weight >= 3:
        # Fighting that ends with a place taken is coded by who took it, not as a clash.
        # So is a place taken after shelling or air strikes: the taking is the event.
        means = ("ARMED_CLASH", "PEACE_PROTEST", "ATTACK", *WEAPON_CODES)
        s[code] = max(weight, *(s.get(c, 0.0) + 0.5 for c in means))
    else:
        s[code] = weight


def classify_texts(
    texts: list[str], scores: list[dict[str, float]], kinds: list[str | None], armed: set[str]
) -> tuple[EventType, float] | None:
    """An incident's type: its sentences' cues summed, interactions read over all its text."""
    total: dict[str, float] = {}
    for sc in scores:
        for code, v in sc.items():
            total[code] = total.get(code, 0.0) + v
    if len(texts) > 1:
        act = _act_before_claim(texts, scores)
        total = _adjust(" ".join(texts), total, claim=False if act else None)
        rest = [v for c, v in total.items() if c != "OTHER"]
        if act and "OTHER" in total and rest:
            # (_adjust may have merged the lead's code into another: protests into one sub-type)
            total["OTHER"] = min(total["OTHER"], total.get(act, max(rest)) - 0.5)
    found = best(total)
    if found is None:
        return None
    etype, value = found
    if etype.code == "ATTACK" and len(kinds) == 2 and all(k in armed for k in kinds):
        etype = types()["ARMED_CLASH"]  # two armed sides fighting is a battle, not an attack
    return etype, value


def _act_before_claim(texts: list[str], scores: list[dict[str, float]]) -> str | None:
    """The act an incident's lead tells when a claim or denial only follows it, else None.

    A claim in the lead is the news (ACLED's attributions); one that follows the attack it is
    about ("... killed 40. The group denied any responsibility") is that attack's aftermath.
    """
    lead = {c: v for c, v in scores[0].items() if c != "OTHER"}
    if not lead or claimed(texts[0]) or not any(claimed(t) for t in texts[1:]):
        return None
    return max(lead, key=lambda c: lead[c])


def best(scores: dict[str, float]) -> tuple[EventType, float] | None:
    if not scores:
        return None
    code = max(scores, key=lambda c: scores[c])
    return types()[code], scores[code]
