"""Loading of the data files under data/: read once per process, cached."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
_APOS = re.compile(r"[’‘ʿʾ`´'\u02bb]")
_NONWORD = re.compile(r"[^a-z0-9]+")
_ARTICLE = re.compile(r"^(al|el|ad|ar|as|an|at|ash|az) ")
_AL = re.compile(r"\b(al|el)(?= )")
_DOUBLED = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower case, accents and apostrophes dropped, other punctuation as single spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOS.sub("", text.lower())
    return _NONWORD.sub(" ", text).strip()


def place_key(name: str) -> str:
    """A spelling-tolerant key: folded, article prefixes dropped, doubled letters collapsed.

    Transliterated names vary ("Dara'a", "Dar`a", "Daraa"); collapsing them to one key trades
    a few false matches for far more hits.
    """
    key = fold(name)
    key = _ARTICLE.sub("", key)
    key = _AL.sub("al", key)
    return _DOUBLED.sub(r"\1", key)


def rows(name: str) -> list[list[str]]:
    """Tab-separated rows of a data file, comments and blank lines skipped."""
    out = []
    with (DATA / name).open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            out.append(line.rstrip("\n").split("\t"))
    return out


@cache
def words(name: str) -> frozenset[str]:
    """A one-word-per-line (or whitespace separated) list as a folded set."""
    return frozenset(w for r in rows(name) for part in r for w in fold(part).split() if w)
