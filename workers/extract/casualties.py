"""Fatalities and injured in one sentence, with ACLED's conservative reading and no totals."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .classify import caseless, lowers_cleanly
from .lexicon import words
from .numbers import NUMBER, QUALIFIER, RANGE, parse_number

N = rf"{QUALIFIER}(?P<n>{RANGE}|a\s+(?:large\s+|small\s+|significant\s+|growing\s+)?number)"
# Words allowed between a number and its verb: "80 al-Qaeda linked militants were killed".
# No number and no "and" in it, so that the regex goes on to the next number: in "2 soldiers
# and 3 police killed" the match is "3 police killed", not the whole (rejected) phrase.
# Up to twelve words: "6 fighters of the National Army factions operating in the north of Aleppo are
# killed"; "and" too when no count follows it: "7 members of ISIS cells and their families".
GAP = (
    r"(?P<gap>(?:(?!and\s+(?:\d|(?:a|an|the|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"dozens|several|at|more|over|nearly|about|around|some|another|up|as)\b)|\d)"
    r"[\w'’\-]+,?\s+){0,12}?)"
)
BE = (
    r"(?:(?:were|was|have\s+been|has\s+been|had\s+been|are|is|been|got|reportedly|reported|"
    r"allegedly|confirmed|also|all|later|subsequently|feared|believed\s+to\s+have)\s+)*"
)
KILLED = (
    r"(?:killed|dead|died|die|slain|massacred|executed|murdered|assassinated|perished|shot\s+dead|"
    r"(?:shot|beaten|stabbed|burned|burnt|tortured)\s+to\s+death|found\s+dead|decapitated|"
    r"lost\s+their\s+lives|lost\s+his\s+life|lost\s+her\s+life|beheaded|burnt\s+alive|"
    r"burned\s+alive|hacked\s+to\s+death|lynched|hanged|hung\s+(?:from|on)|"
    r"bodies\s+(?:were\s+)?found)"
)
HURT = r"(?:injured|wounded|hurt|injuries|hospitali[sz]ed|maimed)"
KILL_ACTIVE = (
    r"(?:killing|killed|kills|kill|massacred|massacring|massacre|executed|executes|"
    r"execute|executing|assassinated|assassinates|assassinate|assassinating|"
    r"(?:claim|take|took)(?:s|ed|ing)?\s+the\s+lives\s+of|shot\s+dead|"
    r"shoot\s+dead|shooting\s+dead|murdered|murdering|murders|murder|gunned\s+down|"
    r"gun\s+down|guns\s+down)"
)
HURT_ACTIVE = r"(?:wounding|wounded|injuring|injured|wounds|injures|wound|injure|hurt|hurting)"
# A toll raised since the first reports: "the death toll rose to 18".
ROSE = re.compile(
    r"\btoll\s+(?:[\w.'’-]+\s+){0,4}?(?:rose|rises|rising|risen|climbed|climbs|jumped|jumps|"
    r"mounts|mounted|has\s+risen|increased|increases)\s+to\b",
    re.I,
)
TOLL = (
    r"(?:death\s+toll|toll|number\s+of\s+(?:dead|deaths|fatalities))\s+(?:[\w.'’-]+\s+){0,4}?"
    r"(?:rose|rises|rising|risen|climbed|climbs|reached|reaches|stands|stood|is|was|has\s+risen|"
    r"hit|jumped|jumps|mounts|mounted|of|to|at)\s+"
    r"(?:to\s+|at\s+)?"
)

# "N killed and injured", "N dead and wounded", "N casualties and injuries": the dead and the
# hurt together, so no count of the dead (ACLED: unknown stays null).
AND_HURT = r"(?!\s+(?:and|or)\s+(?:injur\w*|wound\w*|hurt|maimed))"
FATAL = [
    re.compile(p, re.I)
    for p in (
        rf"\b{KILL_ACTIVE}\s+{N}\b(?!\s*(?:%|per\s*cent|km|kilomet|miles|years|months|days|hours))",
        rf"\b{N}\s+{GAP}{BE}{KILLED}\b{AND_HURT}",
        rf"\b{TOLL}{N}\b",
        rf"\bclaim(?:ed|ing|s)?\s+{N}\s+(?:more\s+)?(?:lives|victims)\b",
        rf"\b{N}\s+(?:[\w-]+\s+){{0,2}}?(?:deaths|fatalities|dead|bodies|corpses|martyrs)\b"
        rf"{AND_HURT}",
        # Casualties as the dead, the way most conflict monitors count them.
        rf"\b{N}\s+(?:[\w-]+\s+){{0,2}}?casualties\b{AND_HURT}",
        rf"\b(?:remains|bodies|corpses)\s+of\s+{N}\b(?!\s*(?:%|km|kilomet|miles|years))",
        rf"\b(?:leav(?:e|es|ing)|left)\s+{N}\s+{GAP}(?:dead|killed)\b",
    )
]
INJURED = [
    re.compile(p, re.I)
    for p in (
        rf"\b{HURT_ACTIVE}\s+{N}\b(?!\s*(?:%|km|kilomet|miles|years))",
        rf"\b{N}\s+{GAP}{BE}{HURT}\b",
        rf"\b{N}\s+(?:injured|wounded|injuries)\b",
    )
]
# The same without re.I, for lower-cased text without CASE_TWINS (see classify.caseless).
FATAL_LOWER = [re.compile(p.pattern) if caseless(p.pattern) else None for p in FATAL]
INJURED_LOWER = [re.compile(p.pattern) if caseless(p.pattern) else None for p in INJURED]
# A person, in the singular (data/person_nouns.txt), or a child by age: "an 8-year-old".
PERSON = (
    rf"(?:{'|'.join(sorted(words('person_nouns.txt'), key=len, reverse=True))}|"
    r"\d+[\s-]+years?[\s-]+old)"
)
DETERMINER = r"(?:a|an|one|the|another|his|her|their|its)\s+"
# Where a headline's subject starts when it has no article: the start, or after "Place: ".
HEAD = r"(?:^|[:|]\s+|\s[-–—]\s+)"
# Adjectives that tell the person is dead: "a decapitated man", "an executed man".
DEAD_ADJ = (
    r"(?:decapitated|beheaded|dismembered|murdered|slain|dead|executed|lifeless|headless|"
    r"mutilated|tortured|bullet-riddled|charred)"
)
SINGLE = re.compile(
    rf"(?:{HEAD}|\b{DETERMINER})"
    rf"(?:[\w'-]+,?\s+){{0,3}}?{PERSON}"
    rf"\s+(?:[\w'‘’\".“”-]+\s+){{0,3}}?{BE}(?:killed|shot\s+dead|shot\s+to\s+death|found\s+dead|"
    r"murdered|assassinated|gunned\s+down|dies|died|slain|lynched|"
    r"beheaded|executed|hacked\s+to\s+death|burnt\s+alive|burned\s+alive|"
    r"found\s+(?:decapitated|beheaded|murdered|executed|hanged|strangled|dismembered|shot))\b"
    # ... or as the object: "gunmen shot dead a police officer".
    rf"|\b{KILL_ACTIVE}\s+{DETERMINER}(?:[\w'-]+\s+){{0,3}}?{PERSON}\b"
    # ... or, in a headline, with no article: "drone kills soldier in Gaza" ("kills rebel
    # fighters" is no single victim: the person word must end the phrase).
    rf"|\b{KILL_ACTIVE}\s+(?:[\w'-]+\s+){{0,3}}?{PERSON}(?=\s*(?:$|[,;:.]|\s(?:in|at|near|on|"
    r"during|after|as|while|with|and|outside|inside|who|\w+ing)\b))"
    # ... or a pronoun: "they kill him and leave his body"; "soldiers shoot man dead".
    rf"|\b{KILL_ACTIVE}\s+(?:him|her)\b"
    rf"|\b(?:shoot|shoots|shot|shooting)\s+(?:{DETERMINER})?(?:[\w'-]+\s+){{0,2}}?{PERSON}"
    rf"(?:\s+and\s+(?:{DETERMINER})?(?:[\w'-]+\s+){{0,2}}?{PERSON})?\s+(?:dead|to\s+death)\b"
    # ... or dead by its adjective, or a body: "a decapitated man", "find the body of a man".
    rf"|(?:{HEAD}|\b{DETERMINER}){DEAD_ADJ}\s+(?:[\w'-]+\s+){{0,1}}?{PERSON}\b"
    r"|\b(?:(?:find|finds|found|discover\w*|recover\w*)\s+(?:a\s+|an\s+|the\s+|one\s+)?|"
    r"(?:dump\w*|leave|leaves|left)\s+(?:a|an|the|one)\s+)(?:[\w'-]+\s+){0,2}?(?:body|corpse)\b"
    rf"|(?:{HEAD}|\b(?:a|the|one)\s+)(?:[\w'-]+\s+){{0,1}}?(?:body|corpse)\s+(?:of\s+(?:{DETERMINER})?"
    rf"(?:[\w'-]+\s+){{0,2}}?{PERSON}\b|"
    r"(?:(?:was|is|has\s+been)\s+)?(?:found|discovered|dumped|recovered|left|abandoned)\b)",
    re.I,
)
# Two victims named in the singular: "a soldier and his son", "Woman, child killed".
# (A comma before an article is an apposition: "a soldier, a father of three, was killed".)
PAIR = re.compile(
    rf"\b{PERSON}(?:\s+and\s+(?:{DETERMINER})?(?:[\w'-]+\s+){{0,2}}?|,\s+(?:[\w'-]+\s+)?)"
    rf"{PERSON}\b",
    re.I,
)
# A killing threatened, plotted, tried or wanted is no death: "threatening to assault and murder
# the mayor", "a plot to kill the president", "attempted murder of a judge".
UNREAL_KILLING = re.compile(
    r"\b(?:threat\w*|plot\w*|plan\w*|conspir\w*|attempt\w*|tr(?:y|ies|ied|ying)|vow\w*|"
    r"want\w*|intend\w*|sought|seek\w*|hire[ds]?|incit\w*|urg(?:e|es|ed|ing)|"
    r"call(?:s|ed|ing)?\s+for\s+\w+\s+|order(?:s|ed|ing)?\s+\w+\s+|failed|bid|wish\w*)\s+"
    r"to\s+(?:[\w'-]+,?\s+(?:and\s+|or\s+)?){0,3}?"
    r"(?:kill|murder|assassinate|execute|behead|massacre|shoot|lynch)\b"
    r"|\b(?:attempted|attempt\s+to)\s+(?:murder|assassinat\w*|kill)\b"
    r"|\b(?:murder|assassination|kill)\s+(?:plot|attempt|threats?|bid)\b",
    re.I,
)


# Two counts of one toll: "2 soldiers and 3 gendarmes killed" is 5 dead.
SUM = re.compile(
    rf"\b{QUALIFIER}(?P<a>{NUMBER})\s+(?P<gap_a>(?:[\w'’-]+\s+){{0,3}}?)and\s+"
    rf"{QUALIFIER}(?P<n>{NUMBER})\s+{GAP}{BE}{KILLED}\b",
    re.I,
)
# What was done to the victims before they were killed: "five tortured and executed" is five dead.
BEFORE_KILLING = re.compile(
    r"\b(?:tortured|kidnapped|abducted|raped|beaten|stabbed|shot|mutilated|tied|robbed|"
    r"attacked|ambushed|captured|detained|arrested|seized|taken)\s+and\s+(?=killed|executed|"
    r"murdered|slain|beheaded|decapitated|dismembered|burned|burnt|shot\s+dead|assassinated)",
    re.I,
)
NONE_KILLED = re.compile(
    r"\b(?:no\s+one|nobody|no\s+(?:people|person|one|lives|civilians|soldiers)|none)\s+"
    rf"(?:\w+\s+){{0,2}}?{BE}(?:killed|hurt|injured|harmed|wounded|died)\b|"
    r"\bno\s+(?:immediate\s+)?(?:reports?\s+of\s+)?(?:casualties|deaths|fatalities|loss\s+of\s+"
    r"life|injuries|one\s+hurt)\b|\bwithout\s+(?:any\s+)?casualties\b",
    re.I,
)
NONE_HURT = re.compile(
    r"\bno\s+(?:immediate\s+)?(?:reports?\s+of\s+)?(?:injuries|casualties|"
    r"one\s+(?:was\s+)?(?:hurt|injured))\b|\bnobody\s+(?:was\s+)?(?:hurt|injured)",
    re.I,
)
# The figure of a war, a month or a year is context, never the incident's own count.
TOTAL = re.compile(
    r"\bsince\s+(?:(?:the\s+)?(?:start|beginning|outbreak)|then|(?:early\s+|late\s+|mid-?)?"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|\d{4}|last\s+(?:year|month))|the\s+(?:war|conflict|uprising|crisis))|"
    r"\b(?:so\s+far\s+this|up\s+until\s+now|until\s+now|to\s+date|in\s+total|overall\s+toll|"
    r"over\s+the\s+(?:past|last)\s+(?:\w+\s+)?(?:months|years|decades?)|"
    r"in\s+(?:the\s+)?(?:past|last|recent)\s+(?:\w+\s+)?(?:months|years|decades?)|"
    r"this\s+year|last\s+year|(?:war|conflict)\s+has\s+(?:claimed|killed|left)|"
    # Figures over several days or incidents: "in three days", "since Saturday", "raising the toll".
    r"(?:in|during|over|within)\s+(?:the\s+)?(?:past\s+|last\s+)?(?:two|three|four|five|six|seven|"
    r"eight|nine|ten|several|few|\d+)\s+(?:consecutive\s+|successive\s+)?(?:days|weeks|months)|"
    r"since\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday)|"
    r"in\s+(?:just\s+)?(?:(?:over|under|less\s+than|more\s+than)\s+)?(?:a|one)\s+week\b(?!\s+ago)|"
    r"in\s+(?:a\s+)?week\s+of\b|"
    # A day's toll over a country, by kind of victim: "33 were killed yesterday including 5
    # members of the regime forces and 27 other people", "... in different circumstances".
    r"killed\s+(?:yesterday|today)\b.{0,80}?\bincluding\b.*?\bother\s+(?:people|persons|civilians|"
    r"citizens|circumstances)|(?:different|various)\s+circumstances)\b",
    re.I,
)
# A running total after the incident's own figure: "kills 14 and raises the death toll to 225".
RAISE = re.compile(
    r"\b(?:(?:rais|bring|tak|push)(?:e|es|ed|ing)\s+(?:(?:the|their|its)\s+)?"
    r"(?:\w+\s+){0,3}?(?:toll|number|total|tally)|(?:rais|bring|push)(?:e|es|ed|ing)\s+to\s+"
    r"(?=[^.;]{0,60}?\b(?:the|that)\s+(?:\w+\s+)?(?:toll|number|total|tally)))\b",
    re.I,
)
# The raised figure itself: "more casualties raise the death toll to 18", "the death of a woman
# raises to 11 the number of people killed", "raise the number 4".
RAISED_TO = re.compile(
    rf"\w+\s+(?:[^.;]{{0,160}}?\bto\s+{QUALIFIER}(?P<n>{NUMBER})\b|(?:(?:the|their|its)\s+)?"
    rf"(?:\w+\s+){{0,3}}?(?:toll|number|total|tally)\s+(?P<m>\d+)\b)",
    re.I,
)
# A death told before the raise: the raised figure counts the dead, not strikes or the displaced.
DEATH_BEFORE = re.compile(
    r"\b(?:casualt\w+|deaths?|dead|killed|killing|martyr\w*|victims?|losses|massacre\w*)\b",
    re.I,
)
NOT_PEOPLE_AFTER = re.compile(
    r"\s*(?:[\w-]+\s+)?(?:strikes|airstrikes|raids|shells|missiles|rockets|barrels|attacks|"
    r"displaced|houses|homes|km|%)",
    re.I,
)
# A past year marks an earlier event: "a 2018 earthquake ... killed more than 4,000".
YEAR = re.compile(
    r"\b(?:in|since|during|of|a|an|the|until|by)\s+(?:\w+\s+){0,2}?((?:19|20)\d\d)\b"
    r"(?!\s*(?:-|–)\s*(?:\d|$))",
    re.I,
)

YEAR_DIGITS = re.compile(r"(?:19|20)\d\d")  # in every YEAR match; starts with a digit
# A year after its month and day ("9 May 2015 gunmen killed 5") is no count of people.
MONTH_BEFORE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{1,2},?\s*)?$",
    re.I,
)


HISTORY_SPAN = 300  # longer "sentences" are unsplit lower-case text, where a year says little


# A day named relative to the report: the sentence tells of now, whatever years it also names.
RECENT = re.compile(
    r"\b(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|"
    r"yesterday|last\s+night|this\s+(?:morning|afternoon|evening|week))\b",
    re.I,
)


def historical(sentence: str, year: int | None) -> bool:
    """The sentence tells of an earlier year's event (any year when the publication's is unknown)."""
    if len(sentence) > HISTORY_SPAN or not YEAR_DIGITS.search(sentence):
        return False  # (most sentences have no year: a search for its digits alone is quicker)
    if year is None:
        return bool(YEAR.search(sentence)) and not RECENT.search(sentence)
    return any(int(y) < year for y in YEAR.findall(sentence))


VERB_IN_GAP = re.compile(
    r"\w+ed,?\s+and\b|\band\s*$|\b(?:killed|killing|kill|wounded|wounding|injured|injuring|dead|said|after|before|when|"
    r"while|but|because|"
    r"were|was|jan\w*|feb\w*|march|apr\w*|may|june?|july?|aug\w*|sept?\w*|oct\w*|nov\w*|"
    r"dec\w*)\b|\d",
    re.I,
)
DEATH_CUE = re.compile(
    r"\b(?:killed|killing|kills|died|dies|slain|massacred|massacre|murdered|"
    r"executed|shot\s+dead|(?:shot|beaten|stabbed)\s+to\s+death|beheaded|"
    r"found\s+dead|bodies|martyr(?:ed|s)?)\b",
    re.I,
)
# The dead and the hurt together: a death reported, its count unknown.
KILLED_AND_HURT = re.compile(
    r"\b(?:killed|killing|kills?|dead|deaths|casualties)\s+(?:and|or)\s+(?:injur|wound)", re.I
)
BETWEEN = re.compile(rf"\bbetween\s+({NUMBER})\s+and\s+({NUMBER})", re.I)
# Nouns that a number may count without being people.
NOT_PEOPLE = re.compile(
    r"\b(?:vehicles?|cars?|tanks?|trucks?|houses?|homes?|buildings?|km|kilomet\w+|miles?|"
    r"metres?|meters?|years?|months?|weeks?|days?|hours?|minutes?|dollars?|euros?|rupees?|rs|"
    r"tonnes?|tons?|kg|acres?|hectares?|rockets?|missiles?|shells?|bombs?|shops?|villages?|"
    r"percent|per\s+cent|cattle|cows?|animals?|goats?|sheep|positions?|weapons?|guns?|rifles?|"
    r"cases?|votes?|seats?|points?|times?)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Casualties:
    fatalities: int | None = None
    injured: int | None = None
    mentions_death: bool = False  # a death is reported even when the count is unknown
    revised: bool = False  # the figure is a toll raised since the first reports


# Every figure pattern needs a number or a quantity word: most sentences have none.
QUANTITY_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "dozen",
    "dozens",
    "tens",
    "scores",
    "hundreds",
    "thousands",
    "several",
    "few",
    "couple",
    "number",
]
HAS_NUMBER = re.compile(rf"\d|\b(?:{'|'.join(QUANTITY_WORDS)})\b", re.I)
DIGIT = re.compile(r"\d")


def has_number(text: str) -> bool:
    """Whether HAS_NUMBER occurs in text; a digit or the words' absence (as substrings of the
    lower-cased text, sound without CASE_TWINS) decide most texts without that regex's scan."""
    if DIGIT.search(text):
        return True
    if lowers_cleanly(text):
        low = text.lower()
        if not any(w in low for w in QUANTITY_WORDS):
            return False
    return HAS_NUMBER.search(text) is not None


def _figures(
    patterns: list[re.Pattern[str]],
    lowered: list[re.Pattern[str] | None],
    text: str,
    low: str | None,
) -> tuple[list[int], bool]:
    """Figures of the patterns in text; over low (text lower-cased, when it has no CASE_TWINS)
    with the lowered patterns where there are some: the same offsets, number words in lower case.
    """
    values: list[int] = []
    seen = False
    for pattern, lower in zip(patterns, lowered, strict=True):
        for m in lower.finditer(low) if lower and low is not None else pattern.finditer(text):
            gap = m.groupdict().get("gap") or ""
            if NOT_PEOPLE.search(gap) or VERB_IN_GAP.search(gap) or _is_age_or_money(text, m):
                continue
            if re.search(
                r"\bincluding\s+$|\bamong\s+them\s+$",
                text[max(0, m.start() - 14) : m.start()],
                re.I,
            ):
                continue
            seen = True
            value = parse_number(m.group("n"))
            if value is not None:
                values.append(value)
    return values, seen


def _is_age_or_money(text: str, m: re.Match[str]) -> bool:
    before = text[max(0, m.start("n") - 12) : m.start("n")]
    after = text[m.end("n") : m.end("n") + 10]
    return bool(
        re.search(r"[$€£₹]|rs\.?\s*$", before[-4:], re.I)
        or (YEAR_DIGITS.fullmatch(m.group("n")) and MONTH_BEFORE.search(before))
        or re.match(r"\s*(?:-?\s*years?[\s-]+old|-year|%|per\s*cent)", after, re.I)
    )


GATE = (
    "kill",
    "dead",
    "death",
    "die",
    "injur",
    "wound",
    "hurt",
    "casualt",
    "lives",
    "toll",
    "bod",
    "slain",
    "massacr",
    "execut",
    "murder",
    "perish",
    "shot",
    "behead",
    "lynch",
    "burn",
    "hack",
    "no one",
    "nobody",
    "life",
    "hospital",
    "maim",
    "martyr",
    "hanged",
    "hung ",
    "remains of",
    "victims",
    "assassin",
    "corpse",
    "gunned",
    "decapitat",
    "dismember",
)


def own_part(sentence: str) -> str:
    """The sentence up to a running total: "kills 14 and raises the toll to 225 in 8 days"."""
    raised = RAISE.search(sentence)
    return sentence[: raised.start()] if raised else sentence


def raised_toll(sentence: str) -> int | None:
    """The incident's toll as raised by later deaths, when the sentence states no other figure
    and no span of time: "more casualties raise the death toll to 18 in Yarmouk camp"."""
    raised = RAISE.search(sentence)
    if (
        raised is None
        or TOTAL.search(sentence)
        or not DEATH_BEFORE.search(sentence, 0, raised.start())
    ):
        return None
    m = RAISED_TO.match(sentence, raised.start())
    if m is None or NOT_PEOPLE_AFTER.match(sentence, m.end()):
        return None
    return parse_number(m.group("n") or m.group("m"))


# The same without re.I, for lower-cased text without CASE_TWINS (see classify.caseless):
# context_only reads every candidate sentence, and these run twice as fast.
TOTAL_LOWER = re.compile(TOTAL.pattern) if caseless(TOTAL.pattern) else None
RAISE_LOWER = re.compile(RAISE.pattern) if caseless(RAISE.pattern) else None


# A record the incident sets ("the deadliest avalanche since 1962", "the first time since 2010"):
# its year dates the comparison, not the incident, and starts no span.
RECORD = re.compile(
    r"\b(?:\w+est|worst|first|most\s+\w+)\s+(?:[\w-]+\s+){0,4}?since\s+(?:the\s+)?"
    r"(?:\d{4}s?|records\s+began)\b",
    re.I,
)


def without_records(sentence: str) -> str:
    """The sentence less the records it says the incident set (see RECORD)."""
    return RECORD.sub(" ", sentence) if "since" in sentence.lower() else sentence


def context_only(sentence: str) -> bool:
    """The sentence gives a total over days, months or a war, not one incident's figure."""
    if TOTAL_LOWER is None or RAISE_LOWER is None or not lowers_cleanly(sentence):
        return TOTAL.search(own_part(sentence)) is not None
    low = sentence.lower()  # (its offsets are the sentence's: an end is the own part's end)
    raised = RAISE_LOWER.search(low)
    return TOTAL_LOWER.search(low, 0, raised.start() if raised else len(low)) is not None


def _sums(sentence: str) -> list[int]:
    out = []
    for m in SUM.finditer(sentence):
        gaps = m.group("gap_a") + (m.group("gap") or "")
        if NOT_PEOPLE.search(gaps) or VERB_IN_GAP.search(gaps) or _is_age_or_money(sentence, m):
            continue
        a, b = _count(m.group("a")), _count(m.group("n"))
        if a is not None and b is not None:
            out.append(a + b)
    return out


def _count(words: str) -> int | None:
    """A number, where "a" or "an" before a person counts one: "two soldiers and a civilian"."""
    return 1 if words.strip().lower() in ("a", "an") else parse_number(words)


def casualties(sentence: str) -> Casualties:
    """The incident figures a sentence states, or nothing when it only gives a total."""
    low = sentence.lower()
    if not any(g in low for g in GATE):
        return Casualties()
    if context_only(sentence):
        return Casualties()
    whole, sentence = sentence, own_part(sentence)
    sentence = BEFORE_KILLING.sub("", BETWEEN.sub(r"\1 to \2", sentence))
    if "to " in sentence or "attempt" in sentence or "plot" in sentence:
        sentence = UNREAL_KILLING.sub(lambda m: " " * len(m.group(0)), sentence)
    original, negated = sentence, NONE_KILLED.search(sentence)
    if negated:
        sentence = NONE_KILLED.sub(lambda m: " " * len(m.group(0)), sentence)
    dead: list[int] = []
    hurt: list[int] = []
    fatal = False
    if has_number(sentence):  # every figure pattern needs one
        lowered = sentence.lower() if lowers_cleanly(sentence) else None
        dead, fatal = _figures(FATAL, FATAL_LOWER, sentence, lowered)
        if fatal and " and " in sentence:  # (a sum ends in a count of its own)
            dead += _sums(sentence)
        hurt, _ = _figures(INJURED, INJURED_LOWER, sentence, lowered)
    if not dead and (single := SINGLE.search(sentence)):
        # "a soldier and his son were killed": two people, each named in the singular.
        dead, fatal = [2 if PAIR.search(single.group(0)) else 1], True
    revised = False
    if not dead and whole is not sentence and (toll := raised_toll(whole)) is not None:
        dead, fatal, revised = [toll], True, True
    fatalities = max(dead) if dead else None
    injured = max(hurt) if hurt else None
    revised = revised or (fatalities is not None and ROSE.search(sentence) is not None)
    if fatalities is None and negated:
        fatalities = 0
    if injured is None and NONE_HURT.search(original):
        injured = 0
    fatal = (
        fatal
        or bool(fatalities)
        or bool(DEATH_CUE.search(sentence))
        or bool(KILLED_AND_HURT.search(sentence))
    )
    return Casualties(fatalities, injured, fatal, revised)
