"""Dedup keys and decisions: canonical URLs, text hashes, MinHash near-duplicates (pure, no I/O)."""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import rshift
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import extract_domain, normalize_url

from workers.records import Verdict

# ---------------------------------------------------------------------------------------------
# Canonical URLs

# Our own list rather than courlan's TRACKERS_RE: that one also drops any parameter *starting*
# with "ga", "gl", "aff", "source", "ref" ... ("gallery=2", "global=1"), which would merge
# distinct pages under one key, and a false merge costs more than a missed one.
_TRACKING_PARAM = re.compile(
    r"^(?:utm_\w+|_ga|_gl|_hs\w+|__s|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid"
    r"|igshid|igsh|mc_cid|mc_eid|mkt_tok|oly_anon_id|oly_enc_id|vero_id|vero_conv|ncid|ocid|cmpid"
    r"|icid|smid|smtyp|ito|itm_\w+|pk_\w+|mtm_\w+|at_\w+|s_cid|sr_share|ref|ref_src|ref_url"
    r"|referrer|taid|xtor|dicbo|src|share|via|amp|outputtype|guccounter|guce_\w+"
    r"|__twitter_impression|spm|fsrc|cmp|trk|trkid|mbid|rss|rssfeed|feed|partner|s_kwcid)$",
    re.IGNORECASE,
)


def _clean_query(query: str) -> str:
    """Drop tracking parameters and sort the rest, so parameter order never splits a key."""
    pairs = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING_PARAM.match(k)
    ]
    return urlencode(sorted(pairs))


def _normalise(url: str) -> str:
    """One spelling per page: https, no www., no default port, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    # http and https, www and bare host serve the same article on every news site we know.
    base = urlunsplit(("https", host + port, parts.path or "/", "", ""))
    # courlan: punycode, percent-encoding, duplicate slashes and leading "/.." in the path.
    base = normalize_url(base, trailing_slash=False)
    query = _clean_query(parts.query)
    return f"{base}?{query}" if query else base


def _site(url: str) -> str | None:
    """Registered domain (public-suffix aware): bbc.co.uk for news.bbc.co.uk."""
    return extract_domain(url)


def _usable_canonical(url: str, page_canonical: str | None) -> str | None:
    """The page's own canonical URL, resolved, when it is an http(s) page on the same site."""
    if not page_canonical or not page_canonical.strip():
        return None
    absolute = urljoin(url, page_canonical.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # Templates that point every article's canonical at the home page would merge them all.
    if parts.path.strip("/") == "" and urlsplit(url).path.strip("/") != "":
        return None
    site = _site(absolute)
    return absolute if site is not None and site == _site(url) else None


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    """Normalised URL of the article, preferring the page's rel=canonical/og:url on the same site."""
    try:
        chosen = _usable_canonical(url, page_canonical) or url
        return _normalise(chosen)
    except ValueError:
        # A malformed port or IPv6 literal: keep the URL as given rather than fail the article.
        return url.strip()


def article_key(canonical: str) -> str:
    """Short stable id (16 hex digits) of a canonical URL."""
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).hexdigest()


# ---------------------------------------------------------------------------------------------
# Exact text identity

_NON_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    """Casefolded words separated by single spaces, punctuation and apostrophes dropped."""
    return b" ".join(w for sentence in _sentences(text) for w in sentence).decode("utf-8")


def text_hash(text: str) -> str:
    """Hex digest (32 digits) of the normalised text: equal for texts that differ in layout only."""
    return hashlib.blake2b(normalise_text(text).encode("utf-8"), digest_size=16).hexdigest()


# ---------------------------------------------------------------------------------------------
# Tokens and sentences, on bytes: str regexes cost ~50 ns a character, which alone would eat
# half the 1 ms budget on a 5 KB article; bytes.translate/split run at C speed.

_SENTENCE_END = b".?!\n"
_ASCII_PUNCT = bytes(c for c in range(33, 127) if not chr(c).isalnum() and c not in _SENTENCE_END)
_BYTE_TABLE = bytes.maketrans(
    _ASCII_PUNCT + b".?!\r\t\x0b\x0c", b" " * len(_ASCII_PUNCT) + b"\n\n\n\n   "
)
# Common non-ASCII punctuation in news text (quotes, dashes, ellipsis, guillemets, NBSP).
_UNICODE_SPACES = tuple(
    c.encode()
    for c in "\u201c\u201d\u201e\u2013\u2014\u2012\u2015\u00ab"
    "\u00bb\u2039\u203a\u00a0\u2009\u202f\u2022\u00b7\u2032\u2033"
)
_UNICODE_DROPS = ("\u2019".encode(), "\u2018".encode(), "\u02bc".encode())
_UNICODE_ENDS = ("\u2026".encode(), "\u3002".encode())
_DIGITS = b"0123456789"
_NOT_DIGITS = bytes(c for c in range(256) if c not in _DIGITS)


def _unicode_words(chunk: bytes) -> list[bytes]:
    """Words of a chunk that still holds non-ASCII text, split on any Unicode punctuation."""
    if chunk.isascii():
        return chunk.split()
    return _NON_WORD.sub(" ", chunk.decode("utf-8", "replace")).encode("utf-8").split()


def _replace_unicode_punct(raw: bytes) -> bytes:
    """Replace the common non-ASCII punctuation; the `in` test avoids a copy per absent mark."""
    for marks, by in ((_UNICODE_DROPS, b""), (_UNICODE_SPACES, b" "), (_UNICODE_ENDS, b"\n")):
        for mark in marks:
            if mark in raw:
                raw = raw.replace(mark, by)
    return raw


def _sentences(text: str) -> list[list[bytes]]:
    """Casefolded word tokens per sentence-like chunk (split at . ? ! and line ends)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    raw = text.casefold().encode("utf-8").translate(_BYTE_TABLE, b"'")
    if not raw.isascii():
        raw = _replace_unicode_punct(raw)
    if not raw.isascii():
        # Letters of other scripts, or rarer punctuation: the Unicode-aware (slower) pass.
        return [words for words in (_unicode_words(c) for c in raw.split(b"\n")) if words]
    return [words for words in (chunk.split() for chunk in raw.split(b"\n")) if words]


# ---------------------------------------------------------------------------------------------
# MinHash (one-permutation hashing) and LSH bands

SHINGLE_WORDS = 5  # word 5-grams: a shared stock phrase rarely makes two stories look alike
NUM_PERM = 128  # signature length; 16 bits each once stored (b-bit MinHash)
BANDS, ROWS = 32, 4  # LSH: candidate at Jaccard 0.5 with p=0.87, at 0.6 with p=0.99
MIN_SHINGLES = 12  # below this a text is too short to judge by resemblance
_MASK32 = 0xFFFFFFFF
_MIX = 0x9E3779B1  # odd (golden ratio) multiplier for densified bins
_EMPTY = 1 << 32


def _shingle_hashes(words: Sequence[bytes], k: int = SHINGLE_WORDS) -> set[int]:
    """Distinct 32-bit hashes of the word k-grams (the whole text when shorter than k words)."""
    grams = (
        map(b" ".join, zip(*(words[i:] for i in range(k))))
        if len(words) >= k
        else ([b" ".join(words)] if words else [])
    )
    # Every step runs in C (map over builtins). CRC-32's top bits pick the bin, and are spread
    # well enough for MinHash on distinct strings (checked against exact Jaccard in the tests).
    return set(map(zlib.crc32, grams))


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[int]:
    """Hashed word k-shingles of the normalised text."""
    return _shingle_hashes([w for sentence in _sentences(text) for w in sentence], k)


def _one_permutation(hashes: set[int], num_perm: int) -> list[int]:
    """Minimum per bin (bin = top bits), bins left empty marked _EMPTY."""
    shift = 32 - (num_perm.bit_length() - 1)
    ordered = sorted(hashes, reverse=True)
    # dict() keeps the last value per bin, and the last is the smallest: no Python loop.
    minima = dict(zip(map(rshift, ordered, repeat(shift)), ordered))
    return [minima.get(b, _EMPTY) for b in range(num_perm)]


def _densify(sig: list[int]) -> list[int]:
    """Fill each empty bin from the next full bin to the right (rotation densification)."""
    n = len(sig)
    if all(v == _EMPTY for v in sig):
        return [0] * n
    out = list(sig)
    for i, v in enumerate(sig):
        if v != _EMPTY:
            continue
        step = 1
        while sig[(i + step) % n] == _EMPTY:
            step += 1
        # The distance is mixed in so that borrowed values do not all look alike.
        out[i] = (sig[(i + step) % n] * _MIX + step) & _MASK32
    return out


def _signature_of(hashes: set[int], num_perm: int) -> tuple[int, ...]:
    if num_perm & (num_perm - 1):
        raise ValueError(f"num_perm must be a power of two, not {num_perm}")
    # Low 16 bits: the top bits of a bin minimum are mostly zero, the low ones uniform.
    return tuple(v & 0xFFFF for v in _densify(_one_permutation(hashes, num_perm)))


def minhash_signature(text: str, num_perm: int = NUM_PERM) -> tuple[int, ...]:
    """One-permutation MinHash of the text's shingles, as num_perm 16-bit values."""
    return _signature_of(shingles(text), num_perm)


def similarity(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal positions)."""
    if not sig_a or len(sig_a) != len(sig_b):
        return 0.0
    return sum(map(int.__eq__, sig_a, sig_b)) / len(sig_a)


def lsh_bands(signature: Sequence[int], bands: int = BANDS, rows: int = ROWS) -> list[str]:
    """One key per band, "<band>:<hash of its rows>": equal keys make two articles candidates."""
    if bands * rows > len(signature):
        raise ValueError(f"{bands} bands x {rows} rows exceed a signature of {len(signature)}")
    raw = struct.pack(f">{bands * rows}H", *signature[: bands * rows])
    width = 2 * rows
    return [f"{b:x}:{zlib.crc32(raw[b * width : (b + 1) * width]):08x}" for b in range(bands)]


# ---------------------------------------------------------------------------------------------
# Sentence sketch: what changed between two versions, which a resemblance score cannot say

MAX_SENTENCES = 96  # 4 bytes each; longer articles keep a sample (see _sentence_sample)
_NUMBER_RUN = re.compile(rb"\d+(?: \d+)*")


def _sentence_code(words: list[bytes]) -> int:
    """skeleton hash (16 bits) | figures hash (8 bits, 0 = none) | word count (8 bits)."""
    joined = b" ".join(words)
    digits = joined.translate(None, _NOT_DIGITS)
    if digits:
        # "9 killed" -> "12 killed", "950" -> "1,050": one skeleton whatever the digits.
        joined = _NUMBER_RUN.sub(b"#", joined)
    skeleton = zlib.crc32(joined) >> 16
    figures = (zlib.crc32(digits) & 0xFF) | 1 if digits else 0
    return skeleton << 16 | figures << 8 | min(len(words), 255)


def _sentence_sample(codes: list[int]) -> tuple[int, ...]:
    """All codes, or the MAX_SENTENCES with the smallest skeletons: a sample that two versions
    of a long article draw alike, where "the first N" would shift with every cut at the top."""
    if len(codes) <= MAX_SENTENCES:
        return tuple(codes)
    return tuple(sorted(codes)[:MAX_SENTENCES])


def _comparable(old: Sequence[int], new: Sequence[int]) -> tuple[list[int], list[int]]:
    """The codes of both samples below the lower of their cut-offs, so that both cover it."""
    cut = min(_cutoff(old), _cutoff(new))
    return [c for c in old if c >> 16 <= cut], [c for c in new if c >> 16 <= cut]


def _cutoff(codes: Sequence[int]) -> int:
    return max(c >> 16 for c in codes) if len(codes) >= MAX_SENTENCES else 0xFFFF


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index keeps per article to judge later copies: about 300 to 600 bytes."""

    text_hash: str  # hex, as text_hash()
    size: int  # distinct shingles (capped at 65535)
    signature: tuple[int, ...]  # NUM_PERM 16-bit MinHash values
    sentences: tuple[int, ...]  # _sentence_code per sentence, sampled past MAX_SENTENCES

    def bands(self, bands: int = BANDS, rows: int = ROWS) -> list[str]:
        """LSH band keys of this article."""
        return lsh_bands(self.signature, bands, rows)

    def to_bytes(self) -> bytes:
        """Compact form for Redis: header, 16-bit signature, 32-bit sentence codes."""
        n, m = len(self.signature), len(self.sentences)
        return struct.pack(
            f">B16sHHH{n}H{m}I",
            1,
            bytes.fromhex(self.text_hash),
            self.size,
            n,
            m,
            *self.signature,
            *self.sentences,
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Fingerprint:
        version, digest, size, n, m = struct.unpack_from(">B16sHHH", raw)
        if version != 1:
            raise ValueError(f"unknown fingerprint version {version}")
        values = struct.unpack_from(f">{n}H{m}I", raw, 23)
        return cls(digest.hex(), size, values[:n], values[n:])


def fingerprint(text: str, num_perm: int = NUM_PERM) -> Fingerprint:
    """Everything dedup needs from an article's text, computed in one pass over its words."""
    sentences = _sentences(text)
    words = [w for sentence in sentences for w in sentence]
    digest = hashlib.blake2b(b" ".join(words), digest_size=16).hexdigest()
    hashes = _shingle_hashes(words)
    codes = _sentence_sample([_sentence_code(s) for s in sentences])
    return Fingerprint(digest, min(len(hashes), 0xFFFF), _signature_of(hashes, num_perm), codes)


# ---------------------------------------------------------------------------------------------
# The decision

SAME_STORY_JACCARD = 0.5  # estimated Jaccard from which two texts tell the same story ...
SAME_STORY_CONTAINED = 0.8  # ... or the share of the shorter one found in the longer one
ADDED_WORDS_UPDATE = 20  # new prose from here is a revision; captions and credits are shorter
FIGURE_MIN_WORDS = 5  # a changed number counts in a sentence at least this long


@dataclass(frozen=True, slots=True)
class Candidate:
    """An indexed article the new one might copy or revise: found by URL, text hash or band."""

    key: str
    canonical_url: str
    fingerprint: Fingerprint


def _contained(old: Fingerprint, new: Fingerprint, jaccard: float) -> float:
    """Share of the smaller shingle set inside the larger, from Jaccard and the two sizes."""
    smaller = min(old.size, new.size)
    if smaller == 0:
        return 0.0
    shared = jaccard * (old.size + new.size) / (1.0 + jaccard)
    return min(1.0, shared / smaller)


def _same_story(old: Fingerprint, new: Fingerprint, jaccard: float) -> bool:
    if min(old.size, new.size) < MIN_SHINGLES:
        return False
    return jaccard >= SAME_STORY_JACCARD or _contained(old, new, jaccard) >= SAME_STORY_CONTAINED


def _changed_figure(old: Sequence[int], new: Sequence[int]) -> bool:
    """A sentence kept word for word but with other numbers: a corrected count or date."""
    old_codes = set(old)
    old_skeletons = {c >> 16 for c in old if c & 0xFF >= FIGURE_MIN_WORDS}
    return any(
        c not in old_codes and (c >> 8) & 0xFF and c >> 16 in old_skeletons
        for c in new
        if c & 0xFF >= FIGURE_MIN_WORDS
    )


def _added_words(old: Sequence[int], new: Sequence[int]) -> int:
    """Words in sentences of the new version that the old one does not have."""
    old_skeletons = {c >> 16 for c in old}
    return sum(c & 0xFF for c in new if c >> 16 not in old_skeletons)


def is_revision(old: Fingerprint, new: Fingerprint) -> bool:
    """True when new revises old (figures corrected, prose added), not a mere copy of it."""
    old_codes, new_codes = _comparable(old.sentences, new.sentences)
    return (
        _changed_figure(old_codes, new_codes)
        or _added_words(old_codes, new_codes) >= ADDED_WORDS_UPDATE
    )


def _judge(old: Candidate, new: Fingerprint, reason: str) -> Verdict:
    jaccard = similarity(old.fingerprint.signature, new.signature)
    kind = "update" if is_revision(old.fingerprint, new) else "duplicate"
    return Verdict(kind, reason, matched=old.key, similarity=round(jaccard, 3))


def decide(canonical: str, new: Fingerprint, candidates: Iterable[Candidate]) -> Verdict:
    """new, duplicate or update of the best-matching candidate, with the reason."""
    pool = list(candidates)
    for c in pool:
        if c.canonical_url == canonical:
            if c.fingerprint.text_hash == new.text_hash:
                return Verdict("duplicate", "canonical_url", matched=c.key, similarity=1.0)
            # The same page fetched again with other text: a revision unless only trimmings moved.
            return _judge(c, new, "canonical_url")
    for c in pool:
        if c.fingerprint.text_hash == new.text_hash:
            return Verdict("duplicate", "text_hash", matched=c.key, similarity=1.0)
    scored = [(similarity(c.fingerprint.signature, new.signature), c) for c in pool]
    scored = [(j, c) for j, c in scored if _same_story(c.fingerprint, new, j)]
    if not scored:
        return Verdict("new", "first")
    _, best = max(scored, key=lambda jc: jc[0])
    return _judge(best, new, "near_duplicate")


def judge(
    canonical: str,
    new: Fingerprint,
    candidates: Iterable[Candidate],
    url_owner: tuple[str, str] = ("", ""),
    owner_fp: Fingerprint | None = None,
) -> Verdict:
    """`decide`, after one case it cannot see: the page at this URL (`url_owner`: its key and
    text hash) changed but one version is too short to judge by resemblance: an update."""
    owner, owner_hash = url_owner
    short = owner_fp is None or min(owner_fp.size, new.size) < MIN_SHINGLES
    if owner and owner_hash != new.text_hash and short:
        return Verdict("update", "canonical_url", matched=owner)
    return decide(canonical, new, candidates)
