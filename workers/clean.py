"""clean_html: article page bytes -> CleanedPage with trafilatura (CPU-bound: keep off the loop)."""

from __future__ import annotations

import logging
import re
from typing import Any

import trafilatura

from workers.errors import CleanError
from workers.records import CleanedPage

log = logging.getLogger(__name__)

# trafilatura logs a warning per odd page; the pipeline logs its own single line instead.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)

# fast=True skips the readability/justext fallbacks. On ../shared/corpus/articles it is both
# faster and no less accurate than the default (see README, `make bench`).
FAST = True


def clean_html(body: bytes | str, url: str) -> CleanedPage:
    """Main text and metadata of one article page; raises CleanError when there is no text."""
    try:
        doc: Any = trafilatura.bare_extraction(body, url=url, fast=FAST, with_metadata=True,
                                          include_comments=False)
    except Exception as e:  # trafilatura raises assorted lxml/parser errors on hostile pages
        raise CleanError(url, f"trafilatura failed: {type(e).__name__}") from e
    text = (getattr(doc, "text", None) or "").strip()
    if doc is None or not text:
        raise CleanError(url, "no main text found")
    return CleanedPage(
        url=url,
        title=_clean_str(doc.title),
        text=text,
        date=_clean_str(doc.date),
        author=_clean_str(doc.author),
        language=_clean_str(doc.language) or _html_lang(body),
        canonical_url=_clean_str(doc.url),
    )


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _html_lang(body: bytes | str) -> str | None:
    """The page's own <html lang>, as a two-letter code; trafilatura leaves language empty."""
    head = body[:4096]
    text = head.decode("ascii", "replace") if isinstance(head, bytes) else head
    match = _HTML_LANG.search(text)
    return match.group(1).lower() if match else None


_HTML_LANG = re.compile(r"<html[^>]*?\blang=[\"']?([a-zA-Z]{2})", re.IGNORECASE)
