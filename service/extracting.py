"""The `newsingest extract` command's core: text/HTML or JSON lines in, events as JSON out."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from workers.clean import clean_html
from workers.errors import CleanError, IngestError
from workers.extract import confident, extract_events
from workers.records import Document

_HTML = re.compile(
    r"^\s*(<!doctype html|<html|<\?xml|<head|<body|<div|<article|<p[ >])", re.IGNORECASE
)


def document_from_text(raw: str, source: str) -> Document:
    """A Document from plain text, or from HTML cleaned with trafilatura."""
    doc_id = hashlib.sha1(raw.encode("utf-8", "replace")).hexdigest()[:16]
    if _HTML.match(raw):
        page = clean_html(raw, source)
        return Document(
            text=page.text,
            doc_id=doc_id,
            title=page.title,
            published=page.date,
            url=page.canonical_url,
            language=page.language,
        )
    return Document(text=raw, doc_id=doc_id)


def extract_text(raw: str, source: str, min_confidence: float = 0.0) -> list[dict[str, Any]]:
    try:
        doc = document_from_text(raw, source)
    except CleanError:
        return []
    return [e.to_dict() for e in confident(extract_events(doc), min_confidence)]


def extract_jsonl(lines: Iterable[str], source: str, min_confidence: float = 0.0) -> Iterator[str]:
    """One output line per input line, in order; a bad line names its file and line number."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            doc = Document(
                text=str(row["text"]),
                doc_id=str(row["id"]),
                title=row.get("title"),
                published=row.get("published"),
                url=row.get("url"),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise IngestError(f"{source}:{number}", f"bad JSON line: {e}") from e
        events = [e.to_dict() for e in confident(extract_events(doc), min_confidence)]
        yield json.dumps({"id": row["id"], "events": events}, ensure_ascii=False)
