"""Regenerate given_names.txt and common_words.txt in this folder (run by hand; not imported at
run time).

Usage: pip install -e '.[tables]'
       python -m workers.extract.data.build_names PETRARCH2_DIR

- given_names.txt: first words of the person entries (those with dated role codes) of the
  PETRARCH2 country actor dictionary (MIT, see LICENSE.petrarch2 here), openeventdata/petrarch2
  @ 676801cd, used by two or more people, less the words the gazetteer knows as countries,
  demonyms or generic place words. A town's name after one of them is a surname
  ("Michael Savage"), not the town.
- common_words.txt: folded names of the gazetteer's towns that are common English words
  (wordfreq Zipf >= 4, once per 100,000 words: "store", "capital", "nice"). Such a word names
  the town only where the text says it is a place ("in Nice") and the town is not a hamlet.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from wordfreq import zipf_frequency

from workers.extract.lexicon import fold
from workers.extract.places import gazetteer

OUT = Path(__file__).parent
DATED = re.compile(r"\d{6}-\d{6}")
COMMON_WORD = 4.0


def entries(path: Path) -> list[tuple[str, list[str]]]:
    """(phrase, code lines) of a PETRARCH2 dictionary file."""
    out: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(("\t", " ")) or line.lstrip().startswith("["):
            if out:
                out[-1][1].append(line.strip())
            continue
        phrase = line.split("#")[0].split("[")[0].strip().lstrip("+")
        out.append((phrase, re.findall(r"\[[^\]]*\]", line)))
    return out


def given_names(petrarch: Path) -> list[str]:
    firsts: Counter[str] = Counter()
    for phrase, codes in entries(petrarch / "Phoenix.Countries.actors.txt"):
        words = phrase.strip("_").split("_")
        person = any(DATED.search(c) for c in codes) and len(words) >= 2
        if person and words[0].isalpha() and len(words[0]) >= 3:
            firsts[words[0].lower()] += 1
    g = gazetteer()
    return sorted(
        w
        for w, n in firsts.items()
        if n >= 2 and w not in g.country_words and w not in g.stop and w not in g.generic
    )


def common_words() -> list[str]:
    names: set[str] = set()
    for line in (OUT / "places.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        name = fold(line.split("\t")[0])
        if " " not in name and len(name) >= 3 and zipf_frequency(name, "en") >= COMMON_WORD:
            names.add(name)
    return sorted(names)


def write(name: str, header: str, words: list[str]) -> None:
    lines = [header] + [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}: {len(words)} words")


def main() -> int:
    petrarch = Path(sys.argv[1])
    write(
        "given_names.txt",
        "# Given names (folded), from PETRARCH2 (MIT, LICENSE.petrarch2); see build_names.py.",
        given_names(petrarch),
    )
    write(
        "common_words.txt",
        "# Town names that are common English words (folded; wordfreq); see build_names.py.",
        common_words(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
