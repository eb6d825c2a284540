"""Numbers as news writes them, read the conservative way ACLED codes casualties."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "couple": 2,
}
SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "lakh": 100_000,
    "crore": 10_000_000,
}
# Vague quantities, ACLED's conventions: the most conservative credible reading.
VAGUE = {
    "dozens": 12,
    "dozen": 12,
    "tens": 10,
    "scores": 20,
    "hundreds": 100,
    "thousands": 1000,
    "several": 3,
    "few": 3,
    "some": None,
    "many": None,
    "number": None,
    "numerous": None,
}
WORD_NUMBER = (
    r"(?!and\b)(?:(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|and|a)"
    r"(?:[\s-]+|\b))+"
)
NUMBER = (
    # "a couple", "a few", "a dozen" before the number words, whose "a" would match alone.
    r"(?:a\s+dozen|a\s+few|a\s+couple(?:\s+of)?|"
    rf"\d{{1,3}}(?:,\d{{2,3}})+|\d+(?:\.\d+)?(?:\s+(?:thousand|million))?|{WORD_NUMBER}|"
    r"dozens|tens|scores|hundreds|thousands|several)"
)
QUALIFIER = (
    r"(?:(?:at\s+least|more\s+than|over|nearly|near|almost|about|around|some|roughly|"
    r"approximately|up\s+to|as\s+many\s+as|an\s+estimated|a\s+total\s+of|another|"
    r"upwards\s+of|close\s+to|fewer\s+than|less\s+than|an?\s+additional)\s+)?"
)
RANGE = rf"{NUMBER}(?:\s*(?:-|–|to|or)\s*{NUMBER})?"
QUANTITY = re.compile(rf"\b{QUALIFIER}(?P<n>{RANGE})(?:\s+of)?\b", re.I)


def parse_words(text: str) -> int | None:
    """'two hundred and five' -> 205; None when the words are not a number."""
    total, current, seen = 0, 0, False
    for w in re.split(r"[\s-]+", text.lower().strip()):
        if w in ("and", ""):
            continue
        if w in UNITS:
            current += UNITS[w]
        elif w in SCALES:
            current = max(current, 1) * SCALES[w]
            if SCALES[w] >= 1000:
                total, current = total + current, 0
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_number(text: str) -> int | None:
    """One number, a range (lower bound) or a vague quantity; None when unknown."""
    text = text.strip().lower()
    first = re.split(r"\s*(?:\s-\s|-(?=\d)|–|\bto\b|\bor\b)\s*", text, maxsplit=1)[0].strip()
    first = re.sub(r"\s+of$", "", first)
    first = re.sub(r"^(a|an)\s+(?=few|couple|dozen)", "", first)
    if first in VAGUE:
        return VAGUE[first]
    if first in ("couple",):
        return 2
    if m := re.fullmatch(r"([\d,]+(?:\.\d+)?)(?:\s+(thousand|million))?", first):
        value = float(m.group(1).replace(",", ""))
        return int(value * SCALES.get(m.group(2) or "", 1))
    if first in ("a", "an"):
        return None
    return parse_words(first)
