"""Duplicate detection through the real worker path and Redis commit, scored on labelled variants.

Run: .venv/bin/python bench/bench_dedup.py [--limit N] [--seed S] [--scale N]   (make bench-dedup)

The variants are bench/dedup_variants.py's (tracking-parameter URLs, other page templates,
trimmed boilerplate, edited headlines, captions, an added paragraph, a corrected figure, and
follow-ups sharing one paragraph that must stay apart), plus the originals against each other and
628 related-topic police reports. Every one is an HTML page that goes through the worker's
analysis (workers.pipeline.analyse_page: trafilatura cleaning, fingerprint, event extraction;
in a process pool, as the workers run it off the event loop) and then RollingStore.commit on a
private redis-server (load, decide, commit.lua), in order: originals, related reports, variants.
The HTTP fetch is left out: the pages are handed to analyse_page as fetched bytes.

Then a scale run fills the same store through the same commit with --scale synthetic articles
(realistic record sizes and fingerprints, no events) to measure Redis memory per article where the
bucketed band index is nearly as full as at a million-article window.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_variants as dv

from service.redisconn import EmbeddedRedis, connect
from workers import commitplan, dedup, dedupindex, keys
from workers.commit import load_request
from workers.dedup import Fingerprint
from workers.pipeline import Analysis, analyse_page
from workers.records import Article, Item
from workers.store import RollingStore

NOW = datetime(2019, 3, 12, 12, 0, tzinfo=UTC)


def page(title: str, text: str) -> bytes:
    """A plain article page around an already cleaned text (the headline only in <title>:
    trafilatura keeps an <h1> in the text, which real pages' cleaned texts do not have)."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f'{html.escape(title)}</title></head><body><nav><a href="/">Home</a></nav><article>'
        f"\n{body}\n</article><footer>Copyright</footer>"
        f"</body></html>"
    ).encode()


def _analyse(job: tuple[bytes, str]) -> Analysis:
    body, url = job
    return analyse_page(
        body,
        url,
        Item(
            item_id=url, url=url, feed="https://feeds.example/rss", published="2019-03-12T09:00:00Z"
        ),
    )


def corpus_jobs(limit: int | None) -> tuple[list[tuple[str, str, bytes, str]], list[str]]:
    """(kind, expected, page bytes, url) of the originals and related reports, in commit order;
    and the titles of the originals."""
    truth = dv.json.loads((dv.ARTICLES / "ground_truth.json").read_text())
    out, titles = [], []
    for doc_id, entry in sorted(truth.items())[:limit]:
        out.append(("original", "new", (dv.ARTICLES / f"{doc_id}.html").read_bytes(), entry["url"]))
    for i, (text, expected) in enumerate(dv.load_related()):
        out.append(
            (
                f"related-topic corpus ({expected})",
                expected,
                page(f"Report {i}", text),
                f"https://ipe.example/{i}",
            )
        )
    return out, titles


def variant_jobs(
    originals: list[tuple[bytes, str, Analysis]], seed: int
) -> list[tuple[str, str, bytes, str]]:
    """The labelled variants of each original, made from the text the pipeline cleaned from it
    (a variant of another cleaning's text would differ from the original by that cleaning)."""
    rng = random.Random(seed)
    prose = dv.load_prose()
    out = []
    for raw, url, a in originals:
        text, title = a.article.text, a.article.title or a.article.text.split("\n", 1)[0][:80]
        if not text:
            continue
        for v in dv.variants_of(a.article.key, url, title, text, prose, rng):
            # Same page with tracking parameters: the very bytes of the original page.
            body = raw if v.kind == "tracking" else page(title, v.text)
            out.append((v.kind, v.expected, body, v.url))
    return out


# The decision's parts, per article (filled by run_corpus).
PARTS: dict[str, list[float]] = {
    "fingerprint": [],
    "load (one round trip)": [],
    "decide (pure)": [],
}


async def run_corpus(
    store: RollingStore, analyses: list[Analysis], labels: list[tuple[str, str]]
) -> tuple[list[tuple[str, str, str]], list[float], list[float], list[int]]:
    rows, decide_ms, commit_ms, sentence_counts = [], [], [], []
    for i, (a, (kind, expected)) in enumerate(zip(analyses, labels, strict=True)):
        art: Article = a.article
        start = time.perf_counter()
        fp = dedup.fingerprint(art.text)
        fingerprinted = time.perf_counter()
        loaded = await store.committer.load(load_request(f"{i}-0", art, list(a.events), fp))
        assert loaded is not None
        got = time.perf_counter()
        commitplan.decide(f"{i}-0", art, list(a.events), fp, loaded, NOW)
        end = time.perf_counter()
        decide_ms.append((end - start) * 1e3)
        PARTS["fingerprint"].append((fingerprinted - start) * 1e3)
        PARTS["load (one round trip)"].append((got - fingerprinted) * 1e3)
        PARTS["decide (pure)"].append((end - got) * 1e3)
        start = time.perf_counter()
        result = await store.commit(f"{i}-0", art, list(a.events), NOW, 0, a.fingerprint)
        commit_ms.append((time.perf_counter() - start) * 1e3)
        rows.append((kind, expected, result.verdict))
        sentence_counts.append(len(fp.sentences))
    return rows, decide_ms, commit_ms, sentence_counts


def _ms(values: list[float]) -> str:
    v = sorted(values)
    return (
        f"mean {statistics.fmean(v):.3f} ms, p50 {v[len(v) // 2]:.3f} ms, "
        f"p99 {v[int(len(v) * 0.99)]:.3f} ms"
    )


async def used_memory(redis: Any) -> int:
    return int((await redis.info("memory"))["used_memory"])


async def fill(store: RollingStore, n: int, sentences: int, seed: int) -> float:
    """Commit n synthetic articles (no events) through the real commit; returns seconds taken."""
    rng = random.Random(seed)
    start = time.perf_counter()
    sem = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        url = (
            f"https://www.outlet{i % 500}.example/news/2019/03/12/story-{i}-{rng.randrange(10**9)}"
        )
        canonical = dedup.canonical_url(url)
        fp = Fingerprint(
            f"{rng.getrandbits(128):032x}",
            300,
            tuple(rng.getrandbits(16) for _ in range(dedup.NUM_PERM)),
            tuple(rng.getrandbits(32) for _ in range(sentences)),
        )
        art = Article(
            key=dedup.article_key(canonical),
            url=url,
            canonical_url=canonical,
            text_hash=fp.text_hash,
            title="A headline of about sixty characters, as most are",
            feed=f"https://www.outlet{i % 500}.example/rss",
            published="2019-03-12T09:00:00Z",
            language="en",
            item_id=url,
        )
        async with sem:
            await store.commit(f"fill-{i}", art, [], NOW, 0, fp)

    for chunk in range(0, n, 5000):
        await asyncio.gather(*(one(i) for i in range(chunk, min(n, chunk + 5000))))
    return time.perf_counter() - start


async def bucketed(
    redis: Any, name: str, prefix: str, bits: int, fields_per_article: int, n_indexed: int
) -> dict[str, float]:
    """Bytes per indexed article of one set of bucketed hashes: measured (buckets sampled), and
    projected to a 1M-article window."""
    out = {}
    buckets = [k async for k in redis.scan_iter(match=prefix + "*", count=5000)]
    sample = random.Random(0).sample(buckets, min(2000, len(buckets)))
    sizes = [await redis.memory_usage(k, samples=0) or 0 for k in sample]
    fields = [await redis.hlen(k) for k in sample]
    out[name] = statistics.fmean(sizes) * len(buckets) / n_indexed if sizes else 0.0
    out[f"{name} (keys)"] = len(buckets)
    if len(set(fields)) > 1:
        # Bytes of a bucket = per key + per field: fitted, then projected to a 1M window (every
        # bucket fuller), because a small run leaves most buckets nearly empty.
        fit = statistics.linear_regression(fields, sizes)
        per_key, per_field = fit.intercept, fit.slope
        out[f"{name} bytes per key (fit)"] = per_key
        out[f"{name} bytes per field (fit)"] = per_field
        out[f"{name} at 1M, projected"] = (
            (1 << bits) * per_key + fields_per_article * 1e6 * per_field
        ) / 1e6
    return out


async def breakdown(redis: Any, n_indexed: int) -> dict[str, float]:
    """Bytes per indexed article of each dedup structure (MEMORY USAGE, buckets sampled)."""
    out = {}
    for name, key in (
        ("fingerprints", keys.DEDUP_FP),
        ("article records", keys.ARTICLE_DATA),
    ):
        out[name] = (await redis.memory_usage(key, samples=0) or 0) / n_indexed
    for name, prefix, bits, per_article in (
        ("canonical URL buckets", keys.DEDUP_URL_PREFIX, dedupindex.EXACT_BUCKET_BITS, 1),
        ("text hash buckets", keys.DEDUP_TEXT_PREFIX, dedupindex.EXACT_BUCKET_BITS, 1),
        ("band buckets", keys.DEDUP_BAND_PREFIX, dedupindex.BUCKET_BITS, dedup.BANDS),
    ):
        out.update(await bucketed(redis, name, prefix, bits, per_article, n_indexed))
    return out


async def main_async(args: argparse.Namespace) -> None:
    work, _ = corpus_jobs(args.limit)
    with ProcessPoolExecutor() as pool:
        analyses = list(pool.map(_analyse, [(body, url) for _, _, body, url in work], chunksize=8))
        originals = [
            (body, url, a)
            for (kind, _, body, url), a in zip(work, analyses, strict=True)
            if kind == "original"
        ]
        variants = variant_jobs(originals, args.seed)
        analyses += list(
            pool.map(_analyse, [(body, url) for _, _, body, url in variants], chunksize=8)
        )
    work += variants
    print(f"analysed {len(work)} pages (clean, fingerprint, extract) in a process pool")
    server = EmbeddedRedis(tempfile.mkdtemp(prefix="bench-dedup-"), appendonly=False)
    redis = connect(server.start())
    try:
        store = RollingStore(redis, 7 * 86400)
        before = await used_memory(redis)
        rows, decide_ms, commit_ms, sentence_counts = await run_corpus(
            store, analyses, [(k, e) for k, e, _, _ in work]
        )
        after = await used_memory(redis)
        indexed = int(await redis.hlen(keys.DEDUP_FP))
        result = dv.score(rows)
        for name, value in result.items():
            if isinstance(value, dict):
                print(f"{name}:")
                for kind, counts in value.items():
                    print(f"  {kind:36} {counts}")
            else:
                print(f"{name}: {value}")
        print(f"dedup decision per article (fingerprint + load + decide): {_ms(decide_ms)}")
        for part, values in PARTS.items():
            print(f"  of which {part}: {_ms(values)}")
        print(f"whole commit per article (decide, incident merge, commit.lua): {_ms(commit_ms)}")
        print(
            f"corpus run: Redis memory {(after - before) / len(rows):.0f} B per committed "
            f"article ({indexed} indexed; includes events, reports and the events log)"
        )
        mean_sentences = round(statistics.fmean(sentence_counts))
        if args.scale <= 0:  # --scale 0: the corpus run only
            return
        await redis.flushdb()
        base = await used_memory(redis)
        took = await fill(store, args.scale, mean_sentences, args.seed)
        grown = await used_memory(redis) - base
        print(
            f"scale run: {args.scale} synthetic articles ({mean_sentences} sentence codes each, "
            f"the corpus mean) committed in {took:.1f} s, "
            f"{took / args.scale * 1e3:.3f} ms per article with 64 commits in flight"
        )
        print(
            f"scale run: Redis memory {grown / args.scale:.0f} B per article, all of it "
            f"(record, URL and text keys, fingerprint, bands, done-mark); measured at "
            f"{args.scale} articles"
        )
        for name, value in (await breakdown(redis, args.scale)).items():
            unit = "" if "(keys)" in name else " B" if "(fit)" in name else " B per article"
            print(f"  {name}: {value:.1f}{unit}")
        if args.scale < 1_000_000:
            print(
                f"at a 1M-article window: about {grown / args.scale * 1e6 / 2**20:.0f} MiB "
                f"(extrapolated linearly from {args.scale}; the bucket-key overhead per article "
                f"falls as buckets fill, so this overstates)"
            )
        else:
            print(f"at a 1M-article window: {grown / 2**20:.0f} MiB (measured)")
    finally:
        await redis.aclose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N corpus articles only")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--scale", type=int, default=100_000, help="synthetic articles for the memory run"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
