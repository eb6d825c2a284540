"""The extractor's shortcuts give what the plain way gives: every cue scanned over the whole
sentence, sentences split with the lookbehind-first regexes."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from workers.extract import casualties, classify, engine

SEED = Path(__file__).resolve().parent.parent / "seeds" / "syria_idlib_clashes.txt"
TRICKY = [
    "Al-Shabaab militants seized the town; al Shabaab fighters stormed Baidoa.",
    "Workers went on strike at the port while the UN General Assembly met.",
    "The carried-out raid: troops exchanged fire, gun battles and a gunbattle followed.",
    "A KILLED man, RIOTS and TEAR GAS: the police dispersed the protesters in Paris.",
    "Cañones y ataques: an attack on the café killed two in Bogotá.",
    # CASE_TWINS: the Kelvin sign and the long s match k and s under re.I.
    "Three people were \u212ailled and a \u017fhooting followed in İstanbul.",
    "Suicide bombers blew themselves up; no one was hurt, the rpg was defused.",
    "New leader appointed; set on fire to homes, a new military base was built.",
]


def brute_score(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for cue in classify.cues():
        hits = len(cue.pattern.findall(text))
        if hits:
            bonus = 1 + 0.25 * min(hits - 1, 2)
            scores[cue.code] = scores.get(cue.code, 0.0) + cue.weight * bonus
    return classify._adjust(text, scores)


def sentences() -> list[str]:
    return engine.split_sentences(SEED.read_text(encoding="utf-8")) + TRICKY


@pytest.mark.parametrize("text", sentences())
def test_score_is_every_cue_scanned_in_full(text):
    assert classify.score(text) == brute_score(text)


def test_score_finds_cues_of_several_words_and_odd_heads():
    assert "NON_STATE_ACTOR_OVERTAKES_TER" in classify.score(TRICKY[0])
    assert "PEACE_PROTEST" in classify.score(TRICKY[1])
    assert "ATTACK" in classify.score(TRICKY[5])  # "killed" spelt with the Kelvin sign


OLD_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n+|;\s*")
OLD_LOOSE = re.compile(r"(?<=[a-z0-9)][.!?])\s+")


def test_sentence_regexes_split_as_the_lookbehind_first_ones():
    rng = random.Random(7)
    alphabet = list('aB1 \n;.!?"”’)(“‘\tx') + ["\u00a0", "\u2029", ". ", '." A', "; "]
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert engine.SENTENCE.split(s) == OLD_SENTENCE.split(s), repr(s)
        assert engine.LOOSE_SENTENCE.split(s) == OLD_LOOSE.split(s), repr(s)


@pytest.mark.parametrize("text", sentences())
def test_interaction_matches_are_the_patterns_searches(text):
    for name, pattern in classify.patterns().items():
        assert classify.matches(name, text) == (pattern.search(text) is not None), name


def test_interaction_literals_are_read_from_the_patterns():
    lits = classify.pattern_literals()
    assert "protest" in (lits["PROTEST"] or ())
    assert lits["TERRITORY_VERB"] is None  # "(?:re)?" first: no literal every match starts with


@pytest.mark.parametrize(
    "text",
    [
        *TRICKY,
        "Dozens were hurt",
        "a dozen",
        "SEVENTEEN",
        "\u017feven men",  # long s: the regex's case-insensitive match, not the substring test
        "\u0663 people",  # an Arabic-Indic digit is a digit
        "tenfold",
        "no figure here",
    ],
)
def test_has_number_is_the_regex_search(text):
    assert casualties.has_number(text) == (casualties.HAS_NUMBER.search(text) is not None)


def per_document_pattern(text: str) -> list[str]:
    trig = engine.trigger_words(text)
    parts = engine.split_sentences(text)
    return [] if trig is None else [t for t in parts if trig.search(t)]


def test_trigger_sentences_are_those_of_the_document_pattern():
    words = [
        "killed", "KILLED", "Killed2", "kill_er", "killé", "éattack", "sit-in", "riots",
        "Attack", "calm", "town", "the", "gunfire", "a", "\u212ailled", "\u017fhot", "İstanbul",
        "shelling", "bombé", "9bomb", "rally", "x",
    ]  # fmt: skip
    seps = [" ", " ", " ", ". ", "; ", "\n", ", ", "! ", "-", "’ "]
    rng = random.Random(11)
    texts = [SEED.read_text(encoding="utf-8"), *TRICKY]
    for _ in range(3000):
        pieces = [rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.5:
            pieces = [p.capitalize() for p in pieces]
        texts.append("".join(pieces))
    assert sum(bool(per_document_pattern(t)) for t in texts) > 1000  # a real mix of both
    for text in texts:
        got = engine.trigger_sentences(text, engine.split_sentences(text))
        assert got == per_document_pattern(text), repr(text)


def test_caseless_patterns_are_those_without_capitals_or_flags():
    assert classify.caseless(r"(?P<n>\d+)\W+killed(?=\s)(?<!x)")
    assert not classify.caseless(r"(?-i:[A-Z])\w+")
    assert not classify.caseless(r"UN\b")
    assert not classify.caseless(r"(?i)x")


FIGURES = [
    "At least TWELVE people were killed and 30 others wounded in the blast.",
    "Gunmen KILLED Three Soldiers, wounding two, and left 5 dead; the toll rose to 40.",
    "A 45-year-old man was shot dead, police said; \u212ailled were 3 and \u017feven hurt.",
    "Between 10 and 20 fighters died, including 4 commanders, over Rs 5 lakh seized.",
]


@pytest.mark.parametrize("text", FIGURES + sentences())
def test_figures_over_lowered_text_are_those_of_the_text(text):
    plain = classify.lowers_cleanly(text)
    for patterns, lowered in (
        (casualties.FATAL, casualties.FATAL_LOWER),
        (casualties.INJURED, casualties.INJURED_LOWER),
    ):
        direct = casualties._figures(patterns, [None] * len(patterns), text, None)
        low = text.lower() if plain else None
        assert casualties._figures(patterns, lowered, text, low) == direct
