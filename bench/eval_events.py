"""`make eval`: score `newsingest extract --jsonl` on the labelled sets in ../shared/eval/events.

Recipe: ../shared/eval/events/README.md. Prints one table. Uses the CLI when it is installed in
.venv, else calls extract_events in-process (same Document fields as the CLI builds).
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NON_ACLED = {
    "NATURAL_DISASTER": ("Natural disaster", None),
    "MAN_MADE_DISASTER": ("Man-made disaster", None),
    "ORG_CRIME": ("Organized crime", None),
    "DIPLO": ("Diplomacy", None),
    "ATTRIB": ("Strategic developments", "Other"),
}
ADMIN_WORDS = re.compile(
    r"\b(governorate|province|region|state|department|prefecture|district|"
    r"division|oblast|county|territory|municipality|prefecture)\b"
)


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSINGEST_SHARED") or ROOT.parent / "shared")


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---- running the extractor --------------------------------------------------------------


def run_extractor(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """id -> events, through the CLI when present (what the held-out scoring runs)."""
    cli = ROOT / ".venv" / "bin" / "newsingest"
    if cli.exists():
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        try:
            out = subprocess.run(
                [str(cli), "extract", "--jsonl", f.name],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
        finally:
            os.unlink(f.name)
        return {str(d["id"]): d["events"] for d in map(json.loads, out.splitlines()) if d}
    from workers.extract import extract_events
    from workers.records import Document

    return {
        str(r["id"]): [
            e.to_dict()
            for e in extract_events(
                Document(
                    text=r["text"],
                    doc_id=str(r["id"]),
                    title=r.get("title"),
                    published=r.get("published"),
                    url=r.get("url"),
                )
            )
        ]
        for r in rows
    }


def top(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(events, key=lambda e: e.get("confidence") or 0) if events else None


# ---- metrics ------------------------------------------------------------------------------


def f1_scores(gold: list[str], pred: list[str]) -> tuple[float, float]:
    """Macro-F1 and support-weighted F1 over the gold labels."""
    support = Counter(gold)
    macro, weighted = 0.0, 0.0
    for label, n in support.items():
        tp = sum(g == p == label for g, p in zip(gold, pred))
        npred = sum(p == label for p in pred)
        prec = tp / npred if npred else 0.0
        rec = tp / n
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        macro += f1 / len(support)
        weighted += f1 * n / len(gold)
    return macro, weighted


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def fold(s: str | None) -> str:
    s = unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode().lower()
    s = ADMIN_WORDS.sub(" ", re.sub(r"[^a-z0-9 ]+", " ", s.replace("-", " ")))
    return " ".join(s.split())


def pr(tp: int, npred: int, ngold: int) -> str:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return f"P {p:.2f} R {r:.2f}"


def pct(hits: int, n: int) -> str:
    return f"{hits / n:.3f} ({hits}/{n})" if n else "n/a"


def distances(pairs: list[tuple[dict[str, Any] | None, tuple[float, float] | None]]) -> list[float]:
    """Distance per scored row; a missing prediction is infinitely far."""
    out = []
    for ev, gold in pairs:
        if gold is None:
            continue
        loc = (ev or {}).get("location") or {}
        if loc.get("lat") is None:
            out.append(math.inf)
        else:
            out.append(km((loc["lat"], loc["lon"]), gold))
    return out


def distance_line(d: list[float]) -> str:
    if not d:
        return "n/a"
    hit = lambda k: sum(x <= k for x in d)  # noqa: E731
    med = statistics.median(d)
    return (
        f"{pct(hit(25), len(d))}  10km {hit(10) / len(d):.2f}  100km {hit(100) / len(d):.2f}"
        f"  median {'inf' if math.isinf(med) else f'{med:.0f} km'}"
    )


# ---- the four sets ------------------------------------------------------------------------


def case2021(rows: list[dict[str, Any]], out: Callable[[str, str], None]) -> None:
    preds = run_extractor([{"id": r["id"], "text": r["text"]} for r in rows])
    gold_t, gold_s, pred_t, pred_s = [], [], [], []
    for r in rows:
        et, sub = NON_ACLED.get(r["label"], (r["event_type"], r["sub_event_type"]))
        ev = top(preds.get(str(r["id"]), [])) or {}
        gold_t.append(et)
        gold_s.append(sub or et)
        pred_t.append(ev.get("event_type") or "NONE")
        pred_s.append(ev.get("sub_event_type") or ev.get("event_type") or "NONE")
    acc = sum(g == p for g, p in zip(gold_t, pred_t))
    t_macro, _ = f1_scores(gold_t, pred_t)
    s_macro, s_weighted = f1_scores(gold_s, pred_s)
    out("CASE 2021 event-type accuracy", f"{pct(acc, len(rows))}  macro-F1 {t_macro:.3f}")
    out("CASE 2021 sub-type macro-F1", f"{s_macro:.3f}")
    out(
        "CASE 2021 sub-type weighted F1",
        f"{s_weighted:.3f}   (anchor: best CASE 2021 system 0.839)",
    )


def actor_tokens(name: str) -> set[str]:
    name = re.sub(r"\([^)]*\)", " ", name)
    return {
        t for t in re.findall(r"[a-z0-9]+", fold(name)) if len(t) > 2 and t not in {"the", "and"}
    }


def plover(rows: list[dict[str, Any]], out: Callable[[str, str], None]) -> None:
    from workers.extract.lexicon import place_key
    from workers.extract.places import COUNTRY, gazetteer

    def gold_point(loc: dict[str, Any] | None) -> tuple[float, float] | None:
        if not loc:
            return None
        name = re.sub(r"^(?:province|town|city|village) of ", "", loc["name"], flags=re.I)
        cands = gazetteer().lookup(place_key(name))
        cc = loc.get("country code")
        cands = [p for p in cands if not cc or p.cc == cc] or cands
        if not cands:
            return None
        p = max(cands, key=lambda p: (p.kind != COUNTRY, p.population))
        return (p.lat, p.lon)

    preds = run_extractor([{"id": r["id"], "text": r["text"]} for r in rows])
    detected = actor_hits = actor_n = dead_hits = dead_n = 0
    pairs = []
    for r in rows:
        evs = preds.get(str(r["id"]), [])
        ev = top(evs)
        detected += bool(evs)
        gold_actors = [a["actorText"] for a in r["source"] + r["target"]]
        if gold_actors:
            actor_n += 1
            mine = [actor_tokens(a["name"]) for a in (ev or {}).get("actors", [])]
            actor_hits += any(actor_tokens(g) & m for g in gold_actors for m in mine)
        if r.get("dead") is not None:
            dead_n += 1
            dead_hits += (ev or {}).get("fatalities") == int(r["dead"])  # stored as text
        pairs.append((ev, gold_point(r.get("eventLoc"))))
    gold_loc_n = sum(1 for r in rows if r.get("eventLoc"))
    out("PLOVER event detection", pct(detected, len(rows)))
    out("PLOVER actor match", pct(actor_hits, actor_n))
    out(
        "PLOVER location within 25 km",
        distance_line(distances(pairs))
        + f"  (gold geocoded {len([p for p in pairs if p[1]])}/{gold_loc_n})",
    )
    out("PLOVER deaths exact", pct(dead_hits, dead_n))


def india_police(rows: list[dict[str, Any]], out: Callable[[str, str], None]) -> None:
    preds = run_extractor(
        [{"id": r["id"], "text": r["text"], "published": r.get("date")} for r in rows]
    )
    for label in ("KILL", "ARREST"):
        tp = npred = ngold = 0
        for r in rows:
            evs = preds.get(str(r["id"]), [])
            if label == "KILL":
                hit = any(
                    (e.get("fatalities") or 0) > 0
                    and any(
                        a.get("kind") == "state forces" and a.get("role") == "actor1"
                        for a in e.get("actors", [])
                    )
                    for e in evs
                )
            else:
                hit = any(
                    e.get("sub_event_type") in ("Arrests", "Protest with intervention") for e in evs
                )
            gold = label in r["labels"]
            tp += hit and gold
            npred += hit
            ngold += gold
        out(
            f"IndiaPoliceEvents {label} (doc level)",
            pr(tp, npred, ngold) + f"  (gold {ngold}/{len(rows)})",
        )


def figure_in_text(n: int, text: str) -> bool:
    from workers.extract.numbers import parse_number

    if re.search(rf"(?<![\d,.]){n}(?![\d,])", text):
        return True
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", text.lower())
    return any(parse_number(w) == n for w in words if w not in ("a", "an"))


def ucdp(rows: list[dict[str, Any]], out: Callable[[str, str], None]) -> None:
    from workers.extract.lexicon import fold as gfold
    from workers.extract.places import gazetteer

    def iso(name: str) -> str | None:
        g = gazetteer()
        for candidate in (name, re.sub(r"\s*\(.*\)", "", name), *re.findall(r"\((.*)\)", name)):
            cc = g.country_words.get(gfold(candidate))
            if cc:
                return cc
        return None

    preds = run_extractor(
        [{"id": r["id"], "text": r["text"], "published": r["date_start"]} for r in rows]
    )
    country = admin = tp = npred = ngold = 0
    exact = exact_n = 0
    pairs = []
    for r in rows:
        ev = top(preds.get(str(r["id"]), [])) or {}
        loc = ev.get("location") or {}
        country += loc.get("country") is not None and loc.get("country") == iso(r["country"])
        admin += bool(r.get("admin1")) and fold(loc.get("admin1")) == fold(r["admin1"]) != ""
        fatal_pred, fatal_gold = (ev.get("fatalities") or 0) > 0, r["deaths_best"] > 0
        tp += fatal_pred and fatal_gold
        npred += fatal_pred
        ngold += fatal_gold
        pairs.append((ev, (r["latitude"], r["longitude"])))
        if r["deaths_best"] > 0 and figure_in_text(r["deaths_best"], r["text"]):
            exact_n += 1
            exact += ev.get("fatalities") == r["deaths_best"]
    n = len(rows)
    out("UCDP GED country", pct(country, n))
    out("UCDP GED admin1", pct(admin, sum(1 for r in rows if r.get("admin1"))))
    out("UCDP GED fatal vs non-fatal", pr(tp, npred, ngold) + f"  (gold fatal {ngold}/{n})")
    out("UCDP GED location within 25 km", distance_line(distances(pairs)))
    out("UCDP GED fatalities exact (figure in text)", pct(exact, exact_n))


def main() -> int:
    base = shared_dir() / "eval" / "events"
    if not base.is_dir():
        print(
            f"eval data not found at {base} (set NEWSINGEST_SHARED to the shared/ folder); nothing scored"
        )
        return 0
    how = (
        "CLI .venv/bin/newsingest extract --jsonl"
        if (ROOT / ".venv/bin/newsingest").exists()
        else "in-process extract_events (CLI not installed)"
    )
    lines: list[tuple[str, str]] = []
    out = lambda k, v: lines.append((k, v))  # noqa: E731
    sets = [
        ("case2021_dev.jsonl", case2021),
        ("plover_gsr.jsonl", plover),
        ("india_police_events_dev.jsonl", india_police),
        ("ucdp_ged_dev.jsonl", ucdp),
    ]
    for name, scorer in sets:
        path = base / name
        if path.exists():
            scorer(load(path), out)
        else:
            out(name, f"missing: {path}")
    width = max(len(k) for k, _ in lines)
    print(f"event extraction on {base} via {how}")
    print(f"{'metric'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for k, v in lines:
        print(f"{k.ljust(width)}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
