"""Cheap offline language identification from distinctive words and letters.

A headline has five to ten words, several of them names, so every word has to count for what
it tells: a word that several languages use ("in", "die", "un", "a") is split evenly between
them, a word only one language uses (data/stopwords.tsv) or a letter only a few write
(data/letters.tsv) counts fully. The language with the most evidence wins when it leads clearly.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .lexicon import rows

TOKEN = re.compile(r"[^\W\d_]+")  # runs of letters: "l'armée" is "l" and "armée"
MIN_EVIDENCE = 1.0  # less than one distinctive word's worth: say nothing
MARGIN = 0.5  # the winner must lead the runner-up by half a distinctive word


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    """Each language's listed words (several rows of a language are merged)."""
    out: dict[str, set[str]] = {}
    for lang, ws in rows("stopwords.tsv"):
        out.setdefault(lang, set()).update(ws.split())
    return {lang: frozenset(ws) for lang, ws in out.items()}


@lru_cache(maxsize=1)
def _word_languages() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for lang, ws in stopwords().items():
        for w in ws:
            found.setdefault(w, []).append(lang)
    return {w: tuple(sorted(langs)) for w, langs in found.items()}


@lru_cache(maxsize=1)
def _letter_languages() -> dict[str, frozenset[str]]:
    return {letter: frozenset(langs.split()) for letter, langs in rows("letters.tsv")}


@lru_cache(maxsize=50_000)
def evidence(word: str) -> tuple[tuple[str, float], ...]:
    """What one lower-case word says: (language, weight) pairs, each source summing to 1."""
    out: dict[str, float] = {}
    langs = _word_languages().get(word)
    if langs:
        for lang in langs:
            out[lang] = out.get(lang, 0.0) + 1 / len(langs)
    if not word.isascii():
        table = _letter_languages()
        sets = [table[ch] for ch in set(word) if ch in table]
        if sets:
            # The languages that write all of the word's letters, else any of them.
            shared = frozenset.intersection(*sets) or frozenset.union(*sets)
            for lang in shared:
                out[lang] = out.get(lang, 0.0) + 1 / len(shared)
    return tuple(out.items())


def language_scores(text: str) -> dict[str, float]:
    """Evidence per language over the text's first 2000 characters."""
    scores: dict[str, float] = {}
    for word, n in Counter(TOKEN.findall(text[:2000].lower())).items():
        for lang, w in evidence(word):
            scores[lang] = scores.get(lang, 0.0) + w * n
    return scores


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language the text clearly is in, or None if unsure."""
    ranked = sorted(language_scores(text).items(), key=lambda kv: kv[1], reverse=True)[:2]
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return None
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0] if ranked[0][1] - runner_up >= MARGIN else None
