"""clean_html: article page bytes -> CleanedPage with trafilatura (CPU-bound: keep off the loop)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.utils import load_html

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
    """Main text and the few metadata the pipeline uses; raises CleanError when there is no text.

    trafilatura's own metadata pass (author, tags, licence, and htmldate's extensive date search,
    which falls back to dateparser in every language) took half of a worker's CPU, for fields the
    pipeline never reads. We read title, canonical URL, language and the date from the one parsed
    tree instead; the main text is identical either way.
    """
    try:
        tree = load_html(body)
        if tree is None:
            raise CleanError(url, "not an HTML page")
        meta = _head_metadata(tree)
        published = find_date(
            tree, extensive_search=False, original_date=True, max_date=date.today().isoformat()
        )
        doc: Any = trafilatura.bare_extraction(
            tree, url=url, fast=FAST, with_metadata=False, include_comments=False
        )
    except CleanError:
        raise
    except Exception as e:  # trafilatura and lxml raise assorted errors on hostile pages
        raise CleanError(url, f"trafilatura failed: {type(e).__name__}") from e
    text = (getattr(doc, "text", None) or "").strip()
    if not text:
        raise CleanError(url, "no main text found")
    return CleanedPage(
        url=url,
        title=meta["title"],
        text=text,
        date=_clean_str(published),
        author=meta["author"],
        language=meta["language"],
        canonical_url=meta["canonical"],
    )


def _head_metadata(tree: HtmlElement) -> dict[str, str | None]:
    """Title, canonical URL, author and language from the page head (before trafilatura prunes)."""
    return {
        "title": _first(
            tree, '//meta[@property="og:title"]/@content', "//title/text()", "//h1//text()"
        ),
        "canonical": _first(
            tree, '//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'
        ),
        "author": _first(tree, '//meta[@name="author"]/@content'),
        "language": _language(tree),
    }


def _first(tree: HtmlElement, *paths: str) -> str | None:
    for path in paths:
        for value in tree.xpath(path):
            text = _clean_str(value)
            if text:
                return " ".join(text.split())
    return None


def _language(tree: HtmlElement) -> str | None:
    """The page's own <html lang> as a two-letter code (extraction checks it against the text)."""
    lang = _clean_str(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"))
    return lang[:2].lower() if lang else None


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
