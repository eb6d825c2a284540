"""The Redis side of dedup: where an article's candidates live, and a snapshot commit.lua re-checks.

Layout, chosen for memory (about 1M articles in a 7-day window):
- Exact matches: canonical URL -> "key|text_hash|n" and text hash -> key, each in 2^14 bucketed
  hashes (`DEDUP_URL_PREFIX`, `DEDUP_TEXT_PREFIX` + bucket) keyed by a 64-bit digest of the URL
  or text hash (`exact_slot`): a 10-byte listpack field instead of a hashtable entry with the
  whole URL or 32-hex hash as its key (URL entry 178 -> about 74 B an article, text entry
  115 -> 33, bench_dedup.py). Two of 1M strings share a 64-bit digest with probability about
  n^2 / 2^65 = 3e-8, so digest equality stands for string equality (exact-match semantics).
- Each indexed article (new, or an update's latest text) has a number n (INCR DEDUP_SEQ) and
  its packed fingerprint in `DEDUP_FP` n -> 8-byte article key + signature + sentence codes.
- LSH bands live in 2^BUCKET_BITS small hashes ("bucketed hashes"): the band's 32-bit hash and
  its number pick a bucket key and a decimal field, the value is "n" or "n,n,...". Redis keeps a
  hash under 128 fields as a listpack, about 11 bytes a field and value, where one Redis key or
  hashtable entry per band would cost 60 to 100; at 1M articles a bucket averages 61 fields.
Binary values (fingerprints) are written as bytes (redis-py sends arguments unchanged whatever
decode_responses says) and read with NEVER_DECODE, so the one shared str client serves both.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass

from workers.dedup import BANDS, MIN_SHINGLES, ROWS, Candidate, Fingerprint

BUCKET_BITS = 19  # 524,288 buckets: listpack-sized at a window of about 1M articles
_LOW_BITS = 32 - BUCKET_BITS
_SPREAD = 40503  # odd multiplier: the 32 bands of one article land in 32 buckets

Slot = tuple[str, str]  # (bucket id in hex: key DEDUP_BAND_PREFIX + id, field)


def band_slots(fp: Fingerprint) -> list[Slot]:
    """The bucket key and field of each LSH band of an indexable fingerprint, else []."""
    if fp.size < MIN_SHINGLES or len(fp.signature) < BANDS * ROWS:
        return []
    raw = struct.pack(f">{BANDS * ROWS}H", *fp.signature[: BANDS * ROWS])
    width, mask = 2 * ROWS, (1 << BUCKET_BITS) - 1
    out = []
    for b in range(BANDS):
        crc = zlib.crc32(raw[b * width : (b + 1) * width])
        bucket = ((crc >> _LOW_BITS) + b * _SPREAD) & mask
        # Field = low bits of the hash and the band number: with the bucket, unique per band.
        field = ((crc & ((1 << _LOW_BITS) - 1)) << 5) | b
        out.append((f"{bucket:05x}", str(field)))
    return out


def encode_slots(slots: list[Slot], values: list[str] | None = None) -> str:
    """One script argument for many slots, "bucket:field[:value];..." (redis-py packs each
    argument in Python: 100 arguments cost more than the script)."""
    if values is None:
        return ";".join(f"{b}:{f}" for b, f in slots)
    return ";".join(f"{b}:{f}:{v}" for (b, f), v in zip(slots, values, strict=True))


EXACT_BUCKET_BITS = 14  # as in lua/exact.lua: 2^14 buckets, about 61 fields each at 1M articles


def exact_slot(prefix: str, value: str) -> tuple[str, str]:
    """(bucket key, field) of a canonical URL or text hash; lua/exact.lua computes the same
    (the scripts compute it themselves, so trim.lua finds the slots of the URLs it reads)."""
    digest = int(hashlib.sha1(value.encode("utf-8")).hexdigest()[:16], 16)
    low = 64 - EXACT_BUCKET_BITS
    return f"{prefix}{digest >> low:04x}", str(digest & ((1 << low) - 1))


_HEX_KEY = re.compile(r"[0-9a-f]{16}")


def _pack_key(key: str) -> bytes:
    # Article keys are 16 hex digits (dedup.article_key): 8 bytes after a 0 marker.
    if _HEX_KEY.fullmatch(key):
        return b"\x00" + bytes.fromhex(key)
    raw = key.encode("utf-8")[:255]
    return bytes([len(raw)]) + raw


def pack(article_key: str, fp: Fingerprint) -> bytes:
    """Article key + shingle count + signature (16-bit values) + sentence codes (32-bit)."""
    n, m = len(fp.signature), len(fp.sentences)
    return _pack_key(article_key) + struct.pack(
        f">HHH{n}H{m}I", fp.size, n, m, *fp.signature, *fp.sentences
    )


def unpack(raw: bytes, text_hash: str = "") -> tuple[str, Fingerprint]:
    """(article key, fingerprint) from `pack`; the text hash is not stored (the URL entry has it)."""
    at = 9 if raw[0] == 0 else 1 + raw[0]
    key = raw[1:9].hex() if raw[0] == 0 else raw[1:at].decode("utf-8")
    size, n, m = struct.unpack_from(">HHH", raw, at)
    values = struct.unpack_from(f">{n}H{m}I", raw, at + 6)
    return key, Fingerprint(text_hash, size, values[:n], values[n:])


def parse_owner(value: str | None) -> tuple[str, str, str]:
    """(key, text_hash, n) of an exact-URL value; n is "" when the article is not indexed."""
    if not value:
        return "", "", ""
    parts = value.split("|")
    return parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a worker saw of the index; commit.lua retries the commit if any of it changed."""

    url_owner: str  # exact-URL value for the canonical URL, or ""
    text_owner: str  # exact-text value for the text hash, or ""
    slots: list[Slot]  # the new article's band slots
    slot_values: list[str]  # their values as read ("" when empty)
    candidates: list[Candidate]
    numbers: dict[str, str]  # candidate article key -> its number n
    fingerprints: dict[str, Fingerprint]  # candidate key -> fingerprint (for band upkeep)


def snapshot_of(
    canonical: str,
    text_hash: str,
    url_owner: str,
    text_owner: str,
    slots: list[Slot],
    values: list[str],
    packed: dict[str, bytes],
) -> Snapshot:
    """The snapshot from what load.lua read: exact owners, band slot values and the packed
    fingerprints (by number) of the articles those name."""
    owner_key, owner_hash, owner_n = parse_owner(url_owner)
    numbers: dict[str, str] = {}
    fps: dict[str, Fingerprint] = {}
    candidates: list[Candidate] = []
    for n in sorted(packed):
        key, cand_fp = unpack(packed[n], owner_hash if n == owner_n else "")
        numbers[key], fps[key] = n, cand_fp
        candidates.append(Candidate(key, canonical if n == owner_n else "", cand_fp))
    if owner_key and owner_key not in fps:
        # Indexed before it had a fingerprint (too short to judge by resemblance): URL only.
        stub = Fingerprint(owner_hash, 0, (), ())
        candidates.append(Candidate(owner_key, canonical, stub))
        numbers.setdefault(owner_key, owner_n)
    if text_owner and text_owner != owner_key:
        candidates.append(Candidate(text_owner, "", Fingerprint(text_hash, 0, (), ())))
    return Snapshot(url_owner, text_owner, slots, values, candidates, numbers, fps)
