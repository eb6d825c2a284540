"""`make eval` part three: events on whole pages and on ordinary news, scored on labels that
nothing in the extractor was fitted to.

- Whole pages (../shared/eval/pages): the 210 corpus pages, as cleaned when they were labelled,
  scored as that README says: an event matches a labelled incident of its page when the
  countries agree (or either is unknown) and the types agree within one family. Precision =
  matched events / events; recall = incidents matched by some event; and the share of
  no-incident pages on which any event is emitted.
- Wikipedia Current Events dev bullets (../shared/eval/news/wcep_dev.jsonl): quiet headings
  (arts, sport, science, business) with an event per 1,000; "Armed conflicts and attacks"
  bullets with a conflict event; "Disasters" bullets with a disaster event.
- HuffPost non-event dev items: items with an event per 1,000 (about 50 per 1,000 are real
  incidents, by the sample's own hand count).
- A reliability table: events grouped by confidence, with the share that were right, on the
  page events and on Current Events bullets whose heading says what is right.

Only published events count (confidence at or above extract.min_confidence, default or
NEWSINGEST_EXTRACT_MIN_CONFIDENCE), as a subscriber sees them; `--all` scores every event.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workers.extract import extract_events  # noqa: E402
from workers.extract.judge import FAMILY  # noqa: E402
from workers.extract.train import CONFLICT_TYPES, DISASTER_TYPES  # noqa: E402
from workers.records import Document  # noqa: E402

QUIET = ("arts", "sport", "science", "business", "economy", "entertainment", "culture")


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSINGEST_SHARED") or ROOT.parent / "shared")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def heading(category: str) -> str:
    """A Current Events heading, spelling variants folded: conflict, disaster, quiet or other."""
    c = category.lower()
    if "armed" in c or "attacks" in c:
        return "conflict"
    if "disaster" in c:
        return "disaster"
    if any(q in c for q in QUIET):
        return "quiet"
    return "other"


def min_confidence() -> float:
    from service.config import load

    return load(None, os.environ).extract.min_confidence


@dataclass(frozen=True, slots=True)
class Scored:
    confidence: float
    right: bool


def events_of(
    doc: Document, floor: float, reliability: list[Scored], right: Any
) -> list[dict[str, Any]]:
    """The events published at this floor; every event found goes to the reliability table,
    with right(event) saying whether it was right."""
    found = [e.to_dict() for e in extract_events(doc)]
    reliability.extend(Scored(e["confidence"], right(e)) for e in found)
    return [e for e in found if e["confidence"] >= floor]


def matches(event: dict[str, Any], incident: dict[str, Any]) -> bool:
    ec, ic = event["location"].get("country"), incident.get("country")
    if ec and ic and ec != ic:
        return False
    return FAMILY.get(event["event_type"]) == FAMILY.get(incident["type"])


def score_pages(floor: float, reliability: list[Scored], show: bool) -> list[tuple[str, str]]:
    folder = shared_dir() / "eval" / "pages"
    texts = {r["page"]: r for r in read_jsonl(folder / "texts.jsonl")}
    labels = read_jsonl(folder / "labels.jsonl")
    emitted = matched = incidents = found = quiet = noisy = 0
    for label in labels:
        t = texts[label["page"]]
        doc = Document(text=t["text"], doc_id=label["page"], title=t["title"], published=t["date"])
        incs = label["incidents"]
        events = events_of(
            doc, floor, reliability, lambda e, incs=incs: any(matches(e, i) for i in incs)
        )
        incidents += len(incs)
        found += sum(any(matches(e, i) for e in events) for i in incs)
        for e in events:
            ok = any(matches(e, i) for i in incs)
            matched += ok
            if show:
                mark = "ok " if ok else "BAD"
                print(
                    f"  {mark} {label['page'][:12]} {label['kind']:9} {e['event_type']:28}"
                    f" {e['confidence']:.2f} {e['location'].get('country')} {e['summary'][:80]}"
                )
        emitted += len(events)
        if not label["reports_incident"]:
            quiet += 1
            noisy += bool(events)
    return [
        ("whole pages: events emitted", f"{emitted}"),
        ("whole pages: precision", ratio(matched, emitted)),
        ("whole pages: recall of labelled incidents", ratio(found, incidents)),
        ("whole pages: no-incident pages with an event", ratio(noisy, quiet, percent=True)),
    ]


def score_wcep(floor: float, reliability: list[Scored]) -> list[tuple[str, str]]:
    rows = read_jsonl(shared_dir() / "eval" / "news" / "wcep_dev.jsonl")
    n: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for row in rows:
        h = heading(row["category"])
        if h == "other":
            continue
        want = {"conflict": CONFLICT_TYPES, "disaster": DISASTER_TYPES}.get(h, set())
        doc = Document(text=row["text"], doc_id=row["id"], published=row["date"])
        events = events_of(doc, floor, reliability, lambda e, want=want: e["event_type"] in want)
        types = {e["event_type"] for e in events}
        n[h] += 1
        hit[h] += bool(types & want) if h != "quiet" else bool(events)
    return [
        (
            "Current Events dev: quiet-heading bullets with an event, per 1,000",
            f"{1000 * hit['quiet'] / max(n['quiet'], 1):.1f} ({hit['quiet']}/{n['quiet']})",
        ),
        (
            "Current Events dev: conflict bullets with a conflict event",
            ratio(hit["conflict"], n["conflict"]),
        ),
        (
            "Current Events dev: disaster bullets with a disaster event",
            ratio(hit["disaster"], n["disaster"]),
        ),
    ]


def score_huffpost(floor: float) -> list[tuple[str, str]]:
    rows = read_jsonl(shared_dir() / "eval" / "news" / "huffpost_nonevent_dev.jsonl")
    fired = 0
    for r in rows:
        doc = Document(text=r["text"], doc_id=r["id"], title=r["title"], published=r["published"])
        fired += bool(events_of(doc, floor, [], lambda e: False))
    return [
        (
            "HuffPost non-event dev: items with an event, per 1,000",
            f"{1000 * fired / len(rows):.1f} ({fired}/{len(rows)})",
        )
    ]


def ratio(n: int, d: int, percent: bool = False) -> str:
    if not d:
        return "n/a (0)"
    return f"{100 * n / d:.1f}% ({n}/{d})" if percent else f"{n / d:.3f} ({n}/{d})"


def reliability_table(scored: list[Scored]) -> list[tuple[str, str]]:
    """Events by confidence bin: how many, and the share that were right."""
    out = []
    for lo in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        hi = lo + 0.1
        b = [s for s in scored if lo <= s.confidence < hi or (hi >= 1.0 and s.confidence >= lo)]
        if b:
            right = sum(s.right for s in b)
            out.append(
                (
                    f"  confidence [{lo:.1f}, {min(hi, 1.0):.1f})",
                    f"mean {sum(s.confidence for s in b) / len(b):.2f}  "
                    f"right {right / len(b):.2f} of {len(b)}",
                )
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", action="store_true", help="score every event, published or not")
    ap.add_argument("--show", action="store_true", help="print each page event with its verdict")
    args = ap.parse_args()
    if not (shared_dir() / "eval" / "pages").is_dir():
        print(f"eval data absent: {shared_dir() / 'eval'} (set NEWSINGEST_SHARED)")
        return 0
    floor = 0.0 if args.all else min_confidence()
    t0 = time.process_time()
    reliability: list[Scored] = []
    rows = score_pages(floor, reliability, args.show)
    rows += score_wcep(floor, reliability)
    rows += score_huffpost(floor)
    print(f"events at confidence >= {floor:.2f} (extract.min_confidence)")
    rows.append(("reliability of all events found (pages, conflict/disaster/quiet bullets)", ""))
    rows += reliability_table(reliability)
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print(f"({time.process_time() - t0:.0f} CPU-s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
