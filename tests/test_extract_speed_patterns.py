"""The rewritten patterns and lookups find what the plain ones find: place-name runs, trigger
words, cue literals, lower-cased patterns and the cue counts of score()."""

from __future__ import annotations

import random
import re

from workers.extract import casualties, classify, engine, foreign, geocode
from workers.extract.lexicon import rows

from .test_extract_speed import SEED, TRICKY

# The place-name pattern as first written: a lookbehind at every position.
NATURAL_NAME = re.compile(
    r"(?<![\w'’])(?:(?:al|el|ad|ar|as|an|at|ash|az|ad|de|del|la|le|san|santa)[-\s])?"
    r"[A-Z](?:\.(?=\s?[A-Z])|[\w'’‘ʿ-]*)(?:\s*(?:(?:al|el|de|del|la|di|ad|ar|as|ez|es|ash|du|"
    r"des|of)[-\s]+)?(?<=[\s.-])[A-Z](?:\.(?=\s?[A-Z])|[\w'’‘ʿ-]*)){0,3}"
)
PIECES = [
    "al-Balad", "Deir ez-Zor", "santa Ana", "San Nicolás de los Garza", "as-Sham", "ash-Shughur",
    "U.S.", "Kabul", "el Fasher", "del Sur", "la Paz", "killed", "a", "x", "'s", "’", "1st",
    "São Paulo", "İdlib", "Dara'a", "of", "le Monde", "Anti-Balaka", "de", "an", "at", "Az",
]  # fmt: skip
SEPARATORS = [" ", " ", "-", ", ", ". ", "\n", "'", "’", "(", "_", "é"]


def random_texts(pieces: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(pieces) + rng.choice(SEPARATORS) for _ in range(rng.randint(1, 12)))
        for _ in range(n)
    ]


def test_place_name_runs_are_those_of_the_natural_pattern():
    texts = [SEED.read_text(encoding="utf-8"), *TRICKY, *random_texts(PIECES, 4000, 5)]
    for text in texts:
        got = [m.span() for m in geocode.NAME.finditer(text)]
        assert got == [m.span() for m in NATURAL_NAME.finditer(text)], repr(text)


def per_word_trigger(sentence: str) -> bool:
    heads = engine.stem_heads()
    words = re.findall(r"\b[a-z]+\b", sentence.lower())
    return any(w[:3] in heads and engine._trigger_word(w) for w in words)


def test_trigger_pattern_is_the_test_of_each_word():
    stems = sorted(engine.stems() | engine.exact_triggers())
    pieces = [*stems, *(s + "s" for s in stems), *(s[:-1] for s in stems), "skill", "x", "2"]
    pieces += ["reinforcements", "sit-in", "coupled", "Killed", "\u212ailled", "attacké", "_war"]
    texts = [*engine.split_sentences(SEED.read_text(encoding="utf-8")), *TRICKY]
    for text in [*texts, *random_texts(pieces, 4000, 9)]:
        assert engine.has_trigger(text) == per_word_trigger(text), repr(text)


def test_an_optional_leading_group_gives_its_literals_and_those_after_it():
    assert classify.literal_prefixes("(?:warm )?welcome|hosted") == ["warm ", "welcome", "hosted"]
    assert classify.literal_prefixes("(?:pre)*take") == ["pre", "take"]
    # A literal whose first three characters are no word's head stays unknown.
    assert classify.literal_prefixes("(?:a )?bomb") is None
    assert classify.literal_prefixes("(?:re)*take") is None
    assert classify.literal_prefixes("(?:warm )?") is None


def test_lowered_patterns_keep_escapes_and_refuse_capitals_in_classes():
    assert foreign._lowered(r"FACA|\W+Été") == r"faca|\W+été"
    assert foreign._lowered(r"[A-Z]x") is None
    assert foreign._lowered(r"(?P<N>x)") is None
    assert foreign._lower_pattern(re.compile("FACA")) is None  # no re.I: case matters


def test_foreign_cue_scores_are_those_of_the_patterns_with_re_i():
    sentences = [
        "Les FACA ont attaqué les positions des rebelles à Bambari, tuant trois civils.",
        "ATAQUE armado: mataron a dos policías en Culiacán y hubo enfrentamientos.",
        "Homens armados atacaram a aldeia; explosões e TIROTEIOS deixaram mortos.",
        "Trois \u212ailled",
        *TRICKY,
    ]
    for lex in foreign.lexicons().values():
        for text in sentences:
            want: dict[str, float] = {}
            for code, weight, pattern in lex.cues:
                hits = len(pattern.findall(text))
                if hits:
                    want[code] = want.get(code, 0.0) + weight * (1 + 0.25 * min(hits - 1, 2))
            assert foreign.score(lex, text) == want
            assert foreign._has_cue(lex.any_cue, text) == bool(lex.any_cue.search(text))


def full_scan_score(text: str) -> dict[str, float]:
    """score() with every cue scanned over the whole text (brute_score, with the arrests for
    organised crime of score() and its test of the cue's heads among the words' heads)."""
    scores = {}
    present = classify.word_heads(text)
    for cue in classify.cues():
        if cue.heads is not None and cue.heads.isdisjoint(present):
            continue
        hits = len(cue.pattern.findall(text))
        if hits:
            bonus = 1 + 0.25 * min(hits - 1, 2)
            scores[cue.code] = scores.get(cue.code, 0.0) + cue.weight * bonus
    if "ORG_CRIME" in scores and "ARREST" in scores:
        scores["ORG_CRIME"] = max(scores["ORG_CRIME"], scores["ARREST"] + 0.5)
    return classify._adjust(text, scores)


def test_cue_scores_are_those_of_every_cue_over_the_whole_text():
    literals = sorted({lit.strip() for c in classify.cues() for lit in c.literals or ()})
    pieces = [*literals, "the", "police", "in", "Kabul", "al-Shabaab", "phone call", "x", "2"]
    texts = [*random_texts(pieces, 3000, 13), *TRICKY]
    for text in texts:
        assert classify.score(text) == full_scan_score(text), repr(text)


def test_hits_at_literals_count_the_matches_up_to_three():
    pattern = re.compile(r"\b(?:kill(?:ed|s)?|shot)\b")
    low = "killed, kills, skill, shot and killed; killing"
    assert classify._hits_at(pattern, low, ("kill", "shot")) == 3
    assert classify._hits_at(pattern, "skills and killing", ("kill",)) == 0
    assert classify._hits_at(pattern, "shot", ("shot",)) == 1


def test_context_only_and_interactions_are_those_of_re_i():
    texts = [*engine.split_sentences(SEED.read_text(encoding="utf-8")), *TRICKY]
    texts += ["Since the START of the war, 40 died", "It RAISES THE TOLL to 225 since 2012"]
    names = [name for name, _ in rows("interactions.tsv")]
    for text in texts:
        own = casualties.own_part(text)
        assert casualties.context_only(text) == bool(casualties.TOTAL.search(own))
        for name in names:
            assert classify.matches(name, text) == bool(classify.patterns()[name].search(text))
