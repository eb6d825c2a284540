"""Offline evaluation of the pure dedup decision on labelled variants of the article corpus.

Run: .venv/bin/python bench/dedup_variants.py [--limit N] [--seed S]

Variants of each of the corpus articles (cleaned with trafilatura.extract, as the pipeline does),
each labelled with the verdict it must get against an index holding the originals:
  tracking   same page, tracking parameters in the URL            -> duplicate
  template   the text re-published in another page template,
             on another site, re-cleaned by trafilatura            -> duplicate (two templates)
  trimmed    short boilerplate lines and the closing paragraph cut -> duplicate
  headline   edited headline, new URL slug, other template         -> duplicate
  caption    a photo caption added                                 -> duplicate
  paragraph  a news paragraph added (same URL or a new slug)       -> update
  figure     one number in a sentence corrected                    -> update
  related    a follow-up story sharing one background paragraph    -> new
Negatives on real text as well: the originals against each other (some share a site and its
boilerplate), and 628 Indian police-event reports on closely related topics against each other.
The Redis side is simulated by dicts (URL, text hash, band -> keys); only dedup.decide judges.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workers import dedup

SHARED = Path(__file__).resolve().parents[2] / "shared"
ARTICLES = SHARED / "corpus" / "articles"
EVENTS = SHARED / "eval" / "events"


@dataclass(frozen=True, slots=True)
class Variant:
    kind: str
    url: str
    text: str
    expected: str  # new | duplicate | update
    of: str | None = None  # key of the original it derives from
    page_canonical: str | None = None


# --- page templates ------------------------------------------------------------------------

_TEMPLATE_A = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | The Daily Wire Desk</title>
<link rel="canonical" href="{url}"></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a>
<a href="/business">Business</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter, 12 March 2019</p>
<div class="share">Share on Facebook Share on Twitter Email</div>
{body}
</article>
<aside><h3>Most read</h3><ul><li><a href="/a">Markets slide as oil prices climb</a></li>
<li><a href="/b">Ten things to know this week</a></li><li><a href="/c">Weather warning issued</a></li></ul>
</aside></main>
<footer><p>Sign up to our newsletter for the day's top stories, delivered every morning.</p>
<p>&copy; 2019 The Daily Wire Desk. All rights reserved.</p></footer></body></html>"""

_TEMPLATE_B = """<html><head><title>{title}</title><meta property="og:url" content="{url}"></head>
<body><div id="top"><div class="logo">NEWS NOW</div><ul class="menu"><li>Latest</li><li>Video</li>
<li>Opinion</li></ul></div><div class="container"><div class="story-header"><h2 class="headline">{title}</h2>
<span class="date">Updated 2 hours ago</span></div><div class="story-body">{body}</div>
<div class="related"><h4>Related</h4><a href="/x">More coverage of this story</a></div>
<div class="comments">Comments are closed for this article.</div></div>
<div class="footer">About us | Contact | Privacy policy | Terms of use</div></body></html>"""


def _render(template: str, title: str, paragraphs: list[str], url: str) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return template.format(title=html.escape(title), body=body, url=html.escape(url))


def _reclean(template: str, title: str, paragraphs: list[str], url: str) -> str:
    """The pipeline's view of a page: trafilatura's text of the rendered template."""
    return trafilatura.extract(_render(template, title, paragraphs, url), url=url) or ""


# --- corpus ------------------------------------------------------------------------------


def load_originals(limit: int | None) -> list[tuple[str, str, str, str]]:
    """(key, url, title, text) of the corpus articles with ground truth, cleaned by trafilatura."""
    truth = json.loads((ARTICLES / "ground_truth.json").read_text())
    out = []
    for doc_id, entry in sorted(truth.items())[:limit]:
        page = (ARTICLES / f"{doc_id}.html").read_text(errors="replace")
        url = entry["url"]
        meta = trafilatura.extract_metadata(page, default_url=url)
        text = trafilatura.extract(page, url=url) or ""
        title = (meta.title if meta and meta.title else "") or text.split("\n", 1)[0][:80]
        if text:
            out.append((dedup.article_key(dedup.canonical_url(url)), url, title, text))
    return out


def load_prose() -> list[str]:
    """News sentences (CASE 2021) used as the added paragraphs of updates and follow-ups."""
    rows = [json.loads(line) for line in (EVENTS / "case2021_dev.jsonl").open()]
    return [r["text"].strip() for r in rows if 25 <= len(r["text"].split()) <= 80]


def load_related() -> list[tuple[str, str]]:
    """Indian police-event reports, (text, expected): "seen" for the few that republish an
    earlier report, judged independently of dedup by exact word 3-gram overlap."""
    rows = [json.loads(line) for line in (EVENTS / "india_police_events_dev.jsonl").open()]
    grams = [_exact_grams(r["text"]) for r in rows]
    out = []
    for i, r in enumerate(rows):
        same = any(_exact_same_story(grams[j], grams[i]) for j in range(i))
        out.append((r["text"], "seen" if same else "new"))
    return out


def _exact_grams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return set(zip(words, words[1:], words[2:]))


def _exact_same_story(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    """Exact Jaccard >= 0.5 or containment >= 0.8 of word 3-grams (no estimate involved)."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared / len(a | b) >= 0.5 or shared / min(len(a), len(b)) >= 0.8


# --- variants ----------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})*|\d+)(?![\d.,]*\d)")


def _other_site(url: str, slug: str = "") -> str:
    path = url.split("/", 3)[-1] if url.count("/") >= 3 else ""
    return f"https://syndicated-news.example/{path}{slug}"


def _correct_a_figure(text: str, rng: random.Random) -> str | None:
    """Change one number inside a sentence of at least 8 words (not a year)."""
    spots = []
    for m in _NUMBER.finditer(text):
        value = int(m.group(1).replace(",", ""))
        start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start()))
        end = min(
            x for x in (text.find(".", m.end()), text.find("\n", m.end()), len(text)) if x >= 0
        )
        if not 1900 <= value <= 2030 and len(text[start:end].split()) >= 8:
            spots.append((m, value))
    if not spots:
        return None
    m, value = rng.choice(spots)
    new = value + rng.choice([1, 2, 3, 5, 10]) if value < 100 else value + value // 10 + 1
    shown = f"{new:,}" if "," in m.group(1) else str(new)
    return text[: m.start()] + shown + text[m.end() :]


def _caption(title: str, rng: random.Random) -> str:
    words = title.split()[: rng.randint(4, 9)]
    credit = rng.choice(
        [
            "Photo: Reuters",
            "AFP via Getty Images",
            "(AP Photo/File)",
            "Photograph: EPA",
            "Image copyright Getty Images",
        ]
    )
    lead = rng.choice(["A view of", "File photo:", "Pictured:", "People gather near", ""])
    return f"{lead} {' '.join(words)} on Tuesday. {credit}".strip()


def _trim(paragraphs: list[str]) -> list[str]:
    kept = [p for p in paragraphs if len(p.split()) >= 8]
    return kept[:-1] if len(kept) >= 4 else kept


def variants_of(
    key: str, url: str, title: str, text: str, prose: list[str], rng: random.Random
) -> list[Variant]:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    mid = max(1, len(paragraphs) // 2)
    out = [
        Variant(
            "tracking",
            f"{url}{'&' if '?' in url else '?'}utm_source=rss&utm_medium=feed"
            f"&fbclid=IwAR2x{rng.randrange(10**6)}",
            text,
            "duplicate",
            key,
        ),
        Variant(
            "template",
            _other_site(url),
            _reclean(_TEMPLATE_A, title, paragraphs, _other_site(url)),
            "duplicate",
            key,
        ),
        Variant(
            "template",
            _other_site(url, "-b"),
            _reclean(_TEMPLATE_B, title, paragraphs, _other_site(url, "-b")),
            "duplicate",
            key,
        ),
        Variant("trimmed", _other_site(url, "-t"), "\n".join(_trim(paragraphs)), "duplicate", key),
        Variant(
            "headline",
            f"{url.rstrip('/')}-latest",
            _reclean(
                _TEMPLATE_B,
                "Latest: " + " ".join(reversed(title.split()[:6])) + " as it happened",
                paragraphs,
                url,
            ),
            "duplicate",
            key,
        ),
    ]
    captioned = paragraphs[:2] + [_caption(title, rng)] + paragraphs[2:]
    out.append(Variant("caption", _other_site(url, "-c"), "\n".join(captioned), "duplicate", key))
    added = paragraphs[:mid] + [rng.choice(prose)] + paragraphs[mid:]
    same_url = rng.random() < 0.5
    out.append(
        Variant(
            "paragraph",
            url if same_url else f"{url.rstrip('/')}-update",
            "\n".join(added),
            "update",
            key,
        )
    )
    corrected = _correct_a_figure(text, rng)
    if corrected is not None:
        out.append(Variant("figure", url, corrected, "update", key))
    # A follow-up quoting one background paragraph; only where that paragraph is a small part
    # of the original, otherwise the "follow-up" would contain the original and be its update.
    background = max(paragraphs, key=len)
    if len(background.split()) * 4 <= len(text.split()):
        follow_up = rng.sample(prose, 4)
        follow_up.insert(rng.randint(1, 3), background)
        out.append(Variant("related", f"{url.rstrip('/')}-follow-up", "\n".join(follow_up), "new"))
    return out


# --- the simulated index and the evaluation ---------------------------------------------


class Index:
    """Dicts standing in for the Redis hashes: URL, text hash and band key -> article keys."""

    def __init__(self) -> None:
        self.by_url: dict[str, str] = {}
        self.by_text: dict[str, str] = {}
        self.by_band: dict[str, list[str]] = defaultdict(list)
        self.stored: dict[str, bytes] = {}
        self.urls: dict[str, str] = {}

    def candidates(self, canonical: str, fp: dedup.Fingerprint) -> list[dedup.Candidate]:
        keys = {self.by_url.get(canonical), self.by_text.get(fp.text_hash)}
        for band in fp.bands():
            keys.update(self.by_band.get(band, ()))
        return [
            dedup.Candidate(k, self.urls[k], dedup.Fingerprint.from_bytes(self.stored[k]))
            for k in keys
            if k is not None
        ]

    def add(self, key: str, canonical: str, fp: dedup.Fingerprint) -> None:
        self.by_url.setdefault(canonical, key)
        self.by_text.setdefault(fp.text_hash, key)
        for band in fp.bands():
            self.by_band[band].append(key)
        self.stored[key] = fp.to_bytes()
        self.urls[key] = canonical


def judge(
    index: Index, url: str, text: str, page_canonical: str | None = None
) -> tuple[dedup.Verdict, float, dedup.Fingerprint, str]:
    """The per-article work of the pure core, timed: canonical URL, fingerprint, bands, decide."""
    start = time.perf_counter()
    canonical = dedup.canonical_url(url, page_canonical)
    fp = dedup.fingerprint(text)
    verdict = dedup.decide(canonical, fp, index.candidates(canonical, fp))
    return verdict, time.perf_counter() - start, fp, canonical


def evaluate(limit: int | None, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    originals = load_originals(limit)
    prose = load_prose()
    index = Index()
    rows: list[tuple[str, str, dedup.Verdict]] = []  # (kind, expected, verdict)
    times: list[float] = []
    for key, url, _title, text in originals:
        verdict, took, fp, canonical = judge(index, url, text)
        rows.append(("original", "new", verdict))
        times.append(took)
        index.add(key, canonical, fp)
    related_index = Index()
    for i, (text, expected) in enumerate(load_related()):
        verdict, took, fp, canonical = judge(related_index, f"https://ipe.example/{i}", text)
        rows.append((f"related-topic corpus ({expected})", expected, verdict))
        times.append(took)
        related_index.add(str(i), canonical, fp)
    variants = [v for o in originals for v in variants_of(*o, prose, rng)]
    for v in variants:
        verdict, took, _fp, _c = judge(index, v.url, v.text, v.page_canonical)
        rows.append((v.kind, v.expected, verdict))
        times.append(took)
    return report(rows, times, index)


# Positive = the article was seen before (duplicate or update); "seen" accepts either.
SEEN = {"duplicate", "update", "seen"}


def score(rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Precision and recall of "seen before", update-vs-duplicate accuracy, misses per kind,
    from (kind, expected verdict, verdict) rows."""
    tp = sum(1 for _, e, v in rows if e in SEEN and v in SEEN)
    fp = sum(1 for _, e, v in rows if e not in SEEN and v in SEEN)
    fn = sum(1 for _, e, v in rows if e in SEEN and v not in SEEN)
    judged = [(e, v) for _, e, v in rows if e in SEEN - {"seen"} and v in SEEN]
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, expected, v in rows:
        ok = v == expected or (expected == "seen" and v in SEEN)
        per_kind[kind]["ok" if ok else f"got {v}"] += 1
    return {
        "articles": len(rows),
        "duplicate precision": round(tp / max(1, tp + fp), 4),
        "duplicate recall": round(tp / max(1, tp + fn), 4),
        "update-vs-duplicate accuracy": round(
            sum(e == g for e, g in judged) / max(1, len(judged)), 4
        ),
        "per kind": {k: dict(c) for k, c in sorted(per_kind.items())},
    }


def report(
    rows: list[tuple[str, str, dedup.Verdict]], times: list[float], index: Index
) -> dict[str, object]:
    scored = score([(kind, expected, v.verdict) for kind, expected, v in rows])
    per_kind = scored.pop("per kind")
    ms = sorted(t * 1e3 for t in times)
    sizes = [len(b) for b in index.stored.values()]
    return {
        **scored,
        "ms per article (mean, p50, p99)": (
            round(statistics.fmean(ms), 3),
            round(ms[len(ms) // 2], 3),
            round(ms[int(len(ms) * 0.99)], 3),
        ),
        "fingerprint bytes (mean, max)": (round(statistics.fmean(sizes)), max(sizes)),
        "band keys per article": dedup.BANDS,
        "per kind": per_kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N corpus articles only")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    for name, value in evaluate(args.limit, args.seed).items():
        if isinstance(value, dict):
            print(f"{name}:")
            for kind, counts in value.items():
                print(f"  {kind:22} {counts}")
        else:
            print(f"{name}: {value}")


if __name__ == "__main__":
    main()
