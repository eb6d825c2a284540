"""bounded_feed: cut a feed document down to safe sizes before feedparser sees it.

feedparser is fine on large documents but not on large fields: its author-email pattern is
quadratic (an 8,000-character <author> costs 0.7 s, 32,000 costs 14 s,
1,024 still 9 ms), and it keeps every
entry in memory. So, on the raw bytes and in linear time:

- entries after the first `max_entries` are dropped (the closing tags after them are kept, so
  the document stays well formed);
- every run of text longer than `max_text_bytes` is cut to that length;
- the text of person elements (author, dc:creator, name, email, managingEditor ...) is cut to
  `PERSON_TEXT_BYTES`, below where the quadratic pattern starts to hurt.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

PERSON_TEXT_BYTES: Final = 256  # real names and addresses are far shorter
_ENTRY_END: Final = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_PERSON_START: Final = re.compile(
    rb"<(?:[\w.-]+:)?(?:author|creator|contributor|publisher|name|email|managingEditor|"
    rb"webMaster|owner)(?:\s[^<>]*)?>"
)
# Only where a run begins (the byte before is '<' or nothing): keeps the scan linear, because
# a match attempt inside a short run would rescan it from every position.
_LONG_RUN_CACHE: dict[int, re.Pattern[bytes]] = {}
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECL_ENCODING: Final = re.compile(rb"^(<\?xml[^>]*?encoding\s*=\s*[\"'])[^\"']*", re.IGNORECASE)


def bounded_feed(body: bytes, max_entries: int, max_text_bytes: int) -> bytes:
    """`body` with at most `max_entries` entries and no text run over the limits."""
    body = _as_utf8(body)
    body = _first_entries(body, max_entries)
    body = _cut_runs(body, max_text_bytes)
    return _cut_people(body)


def _as_utf8(body: bytes) -> bytes:
    # UTF-16/32 would hide '<' from the byte patterns below; rewrite them as UTF-8 once.
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body.decode(codec, "replace").lstrip("\ufeff").encode("utf-8")
            return _DECL_ENCODING.sub(rb"\1utf-8", text, count=1)
    return body


def _first_entries(body: bytes, max_entries: int) -> bytes:
    ends = [m.end() for m in _ENTRY_END.finditer(body)]
    if len(ends) <= max_entries:
        return body
    return body[: ends[max_entries - 1]] + body[ends[-1] :] if max_entries else body[ends[-1] :]


def _long_run(limit: int) -> re.Pattern[bytes]:
    pattern = _LONG_RUN_CACHE.get(limit)
    if pattern is None:
        pattern = re.compile(rb"(?<![^<])[^<]{%d,}" % (limit + 1))
        _LONG_RUN_CACHE[limit] = pattern
    return pattern


def _cut_runs(body: bytes, limit: int) -> bytes:
    if len(body) <= limit:
        return body
    return _long_run(limit).sub(lambda m: _cut(m.group(0), limit), body)


def _cut_people(body: bytes) -> bytes:
    out: list[bytes] = []
    pos = 0
    for m in _PERSON_START.finditer(body):
        if m.start() < pos:
            continue
        close = body.find(b"</", m.end())
        close = len(body) if close < 0 else close
        if close - m.end() > PERSON_TEXT_BYTES:
            out += [body[pos : m.end()], _cut(body[m.end() : close], PERSON_TEXT_BYTES)]
            pos = close
    return b"".join(out) + body[pos:] if out else body


def _cut(run: bytes, limit: int) -> bytes:
    """The first `limit` bytes of a text run, ending on a whole character and entity."""
    head = run[:limit]
    while head and 0x80 <= head[-1] < 0xC0:  # continuation bytes of a split character
        head = head[:-1]
    if head and head[-1] >= 0xC0:  # the lead byte of a split character
        head = head[:-1]
    amp = head.rfind(b"&", max(0, len(head) - 12))
    if amp >= 0 and b";" not in head[amp:]:
        head = head[:amp]
    # A CDATA section must keep its end, or the rest of the document becomes its content.
    if b"]]>" in run[len(head) :]:
        head += b"]]>"
    return head
