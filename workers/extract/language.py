"""Cheap offline language identification by stopword counts."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .lexicon import rows

TOKEN = re.compile(r"[a-zà-öø-ÿœ']+")


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    return {lang: frozenset(ws.split()) for lang, ws in rows("stopwords.tsv")}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language whose stopwords the text uses most, or None if unsure."""
    tokens = TOKEN.findall(text[:2000].lower())
    if not tokens:
        return None
    freq = Counter(tokens)
    counts = {lang: sum(freq[w] for w in ws & freq.keys()) for lang, ws in stopwords().items()}
    lang, hits = max(counts.items(), key=lambda kv: kv[1])
    others = sorted(counts.values())[-2] if len(counts) > 1 else 0
    if hits < 2 and len(tokens) > 4:
        return None
    if hits == 0 or hits <= others:
        return None if hits == others else lang
    return lang
