"""extract_events output over every text at hand, as JSON lines: a byte-identical check for
speed work (`python bench/dump_events.py out.jsonl`, then `cmp` against the dump of the base).

Texts: the four labelled sets in ../shared/eval/events (the Document fields the CLI builds),
the corpus pages as the `extract` command cleans them (title, date, URL, language), the same
pages' plain trafilatura text (what bench_extract.py times) and ground_truth.json's bodies.
Cleaning is slow and does not depend on the extractor: the documents are cached (--docs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = ("case2021_dev", "plover_gsr", "india_police_events_dev", "ucdp_ged_dev")


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSINGEST_SHARED") or ROOT.parent / "shared")


def documents() -> list[dict[str, Any]]:
    """Document fields, one dict per text, in a fixed order."""
    import trafilatura

    from service.extracting import document_from_text

    shared, out = shared_dir(), []
    for name in SETS:
        with (shared / "eval" / "events" / f"{name}.jsonl").open(encoding="utf-8") as f:
            for line in filter(str.strip, f):
                r = json.loads(line)
                out.append(
                    {
                        "text": str(r["text"]),
                        "doc_id": f"{name}:{r['id']}",
                        "title": r.get("title"),
                        "published": r.get("published"),
                        "url": r.get("url"),
                    }
                )
    folder = shared / "corpus" / "articles"
    for page in sorted(folder.glob("*.html")):
        raw = page.read_bytes().decode("utf-8", "replace")
        doc = document_from_text(raw, str(page))
        out.append(
            {
                "text": doc.text,
                "doc_id": f"page:{page.stem}",
                "title": doc.title,
                "published": doc.published,
                "url": doc.url,
                "language": doc.language,
            }
        )
        if text := trafilatura.extract(raw):
            out.append({"text": text, "doc_id": f"plain:{page.stem}"})
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        if body := truth[key].get("articleBody"):
            out.append({"text": body, "doc_id": f"truth:{key}"})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", help="JSON lines file to write")
    ap.add_argument("--docs", default="/tmp/newsingest_dump_docs.json", help="document cache")
    args = ap.parse_args()
    cache = Path(args.docs)
    if cache.exists():
        docs = json.loads(cache.read_text(encoding="utf-8"))
    else:
        docs = documents()
        cache.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    from workers.extract import extract_events
    from workers.records import Document

    with open(args.out, "w", encoding="utf-8") as f:
        for d in docs:
            events = [e.to_dict() for e in extract_events(Document(**d))]
            f.write(json.dumps({"id": d["doc_id"], "events": events}, ensure_ascii=False) + "\n")
    print(f"{len(docs)} documents written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
