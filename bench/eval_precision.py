"""`make eval` part two: false events on ordinary news.

The labelled sets in ../shared/eval/events hold only event texts, so they cannot show an event
found where nothing happened. This runs the extractor over the 210 general-news pages of
../shared/corpus/articles, cleaned as the daemon cleans them (`document_from_text`: text, title,
date, URL, language), prints how many events it finds and of which types, then scores each event
against hand-judged verdicts in bench/data/precision_labels.jsonl:

- `event`: the summary sentence reports a real incident of a TAXONOMY.md type (any type);
- `wrong_type`: an incident, but not of the type we gave it;
- `no_event`: nothing of the taxonomy happened (a statistic, an opinion, a score, a deal...).

A verdict is keyed by page file name and summary sentence. Events with no verdict are listed and
left out of the ratios, so a changed extractor shows its new events as unjudged instead of
silently counting them. A `wrong_type` verdict holds only for the type that was judged.

`--root DIR` imports the extractor from another checkout (to judge an older commit's events);
`--jsonl FILE` writes this run's events, one line per event, for judging.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "data" / "precision_labels.jsonl"
VERDICTS = ("event", "wrong_type", "no_event")
# Cleaning is slow (~15 s) and does not depend on the extractor; the cache key covers the pages
# and the cleaning code, so a changed cleaner cleans again.
CACHE_DIR = Path(os.environ.get("TMPDIR") or "/tmp")
CLEANING_CODE = ("workers/clean.py", "service/extracting.py")


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSINGEST_SHARED") or ROOT.parent / "shared")


@dataclass(frozen=True, slots=True)
class Found:
    """One extracted event, as much of it as judging needs."""

    page: str
    summary: str
    kind: str  # "event_type / sub_event_type", or the event type alone

    @property
    def key(self) -> tuple[str, str]:
        return (self.page, self.summary)

    @property
    def event_type(self) -> str:
        return self.kind.split(" / ")[0]


@dataclass(frozen=True, slots=True)
class Label:
    verdict: str
    event_types: frozenset[str]  # the types judged: an incident's verdict holds for these only
    pattern: str  # for no_event: what the sentence is instead


def kind_of(event: dict[str, Any]) -> str:
    kind = str(event["event_type"])
    sub = event.get("sub_event_type")
    return f"{kind} / {sub}" if sub and sub != kind else kind


# ---- the pages ----------------------------------------------------------------------------


def cache_path(pages: list[Path]) -> Path:
    h = hashlib.sha1()
    for p in pages:
        h.update(f"{p.name}:{p.stat().st_size}\n".encode())
    for name in CLEANING_CODE:
        h.update((ROOT / name).read_bytes())
    return CACHE_DIR / f"newsingest_precision_docs_{h.hexdigest()[:12]}.json"


def documents(folder: Path) -> dict[str, dict[str, Any]]:
    """page file name -> Document fields, as the daemon cleans the page (cached)."""
    pages = sorted(folder.glob("*.html"))
    cache = cache_path(pages)
    if cache.exists():
        docs: dict[str, dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))
        return docs
    from service.extracting import document_from_text
    from workers.errors import CleanError

    docs = {}
    for page in pages:
        try:
            doc = document_from_text(page.read_bytes().decode("utf-8", "replace"), str(page))
        except CleanError:
            continue  # the daemon drops such a page too: no text, no events
        docs[page.name] = {
            "text": doc.text,
            "doc_id": page.stem,
            "title": doc.title,
            "published": doc.published,
            "url": doc.url,
            "language": doc.language,
        }
    cache.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    return docs


def extract(docs: dict[str, dict[str, Any]]) -> list[Found]:
    """The events a subscriber would be given (at or above extract.min_confidence)."""
    from service.config import load
    from workers.extract import confident, extract_events
    from workers.records import Document

    floor = load(None, os.environ).extract.min_confidence
    return [
        Found(page, e.summary, kind_of(e.to_dict()))
        for page, fields in docs.items()
        for e in confident(extract_events(Document(**fields)), floor)
    ]


# ---- the verdicts -------------------------------------------------------------------------


def load_labels(path: Path) -> dict[tuple[str, str], list[Label]]:
    """(page, summary) -> verdicts; lines starting with '#' are the file's header comment."""
    labels: dict[tuple[str, str], list[Label]] = {}
    if not path.exists():
        return labels
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            row = json.loads(line)
            if row["verdict"] not in VERDICTS:
                raise ValueError(f"{path}:{number}: verdict {row['verdict']!r} not in {VERDICTS}")
            types = frozenset(k.split(" / ")[0] for k in row["type"].split(" | "))
            label = Label(row["verdict"], types, row.get("pattern", ""))
            labels.setdefault((row["page"], row["summary"]), []).append(label)
    return labels


def label_for(found: Found, labels: dict[tuple[str, str], list[Label]]) -> Label | None:
    """The judged verdict, or None when unjudged. Nothing happened whatever the type; whether an
    incident's type is right was judged for the types seen then, so a new type is unjudged."""
    for label in labels.get(found.key, ()):
        if label.verdict == "no_event" or found.event_type in label.event_types:
            return label
    return None


def ratio(n: int, d: int) -> str:
    return f"{n / d:.3f} ({n}/{d})" if d else "n/a (0 judged)"


def report(
    docs: dict[str, dict[str, Any]],
    found: list[Found],
    labels: dict[tuple[str, str], list[Label]],
    verbose: bool,
) -> None:
    pages_with = len({f.page for f in found})
    print(
        f"general-news pages {len(docs)} (cleaned as the daemon does)   "
        f"pages with events {pages_with}   events {len(found)}"
    )
    for kind, n in Counter(f.kind for f in found).most_common():
        print(f"  {n:4d}  {kind}")
    judged = [(f, label) for f in found if (label := label_for(f, labels))]
    verdicts = Counter(label.verdict for _, label in judged)
    incident = verdicts["event"] + verdicts["wrong_type"]
    print(
        f"precision on general news (event / judged)       {ratio(verdicts['event'], len(judged))}"
    )
    print(
        f"  any incident, type aside (+ wrong_type)        {ratio(incident, len(judged))}   "
        f"wrong_type {verdicts['wrong_type']}  no_event {verdicts['no_event']}"
    )
    real = {f.page for f, label in judged if label.verdict != "no_event"}
    print(
        f"  pages with events but no incident               {len({f.page for f in found} - real)}"
    )
    patterns = Counter(label.pattern for _, label in judged if label.verdict == "no_event")
    for pattern, n in patterns.most_common():
        print(f"  {n:4d}  no_event: {pattern}")
    if verbose:
        for f, label in judged:
            if label.verdict != "event":
                print(f"  {label.verdict:10s} [{f.kind}] {f.page[:16]}  {f.summary[:110]}")
    unjudged = [f for f in found if label_for(f, labels) is None]
    print(f"unjudged events {len(unjudged)}" + (":" if unjudged else " (all judged)"))
    for f in unjudged:
        print(f"  {f.page}  [{f.kind}]  {f.summary[:140]}")
    if unjudged:
        print(f"  judge them in {LABELS.relative_to(ROOT)}: they are not in the ratios above")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, help="import the extractor from this checkout")
    ap.add_argument("--labels", type=Path, default=LABELS, help="verdicts file")
    ap.add_argument("--jsonl", type=Path, help="write this run's events here, one per line")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every false event")
    args = ap.parse_args()
    folder = shared_dir() / "corpus" / "articles"
    if not folder.is_dir():
        print(f"corpus not found at {folder} (set NEWSINGEST_SHARED); precision not measured")
        return 0
    sys.path.insert(0, str(ROOT))
    docs = documents(folder)  # cleaned by this checkout, so both extractors see the same text
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))
        for name in [m for m in sys.modules if m == "workers" or m.startswith("workers.")]:
            del sys.modules[name]
    found = extract(docs)
    if args.jsonl:
        with args.jsonl.open("w", encoding="utf-8") as f:
            for e in found:
                row = {"page": e.page, "summary": e.summary, "type": e.kind}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    report(docs, found, load_labels(args.labels), args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
