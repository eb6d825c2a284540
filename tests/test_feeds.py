"""parse_feed on bytes: entry identity, and no exception but FeedError on any broken feed."""

from __future__ import annotations

import pytest

from tests.support import DATA
from workers.errors import FeedError
from workers.feeds import parse_feed

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>a</title><link>https://www.ex.org/a/?utm_source=x</link></item>"
    b"<item><title>b</title><link>https://ex.org/b</link><guid>tag:ex.org,2015:b</guid></item>"
    b"</channel></rss>"
)


def test_entry_identity_is_guid_else_canonical_link() -> None:
    """A guid identifies its entry; without one, the link minus tracking noise does."""
    items = parse_feed(RSS, "http://ex.org/feed").items
    assert [i.item_id for i in items] == ["https://ex.org/a", "tag:ex.org,2015:b"]
    assert items[0].url == "https://www.ex.org/a/?utm_source=x"


@pytest.mark.parametrize("path", sorted((DATA / "illformed").iterdir()), ids=lambda p: p.name)
def test_broken_feeds_raise_only_feed_error(path: object) -> None:
    """Every ill-formed feed either yields entries or raises FeedError naming the feed."""
    url = f"http://ex.org/{path.name}"  # type: ignore[attr-defined]
    try:
        parsed = parse_feed(path.read_bytes(), url)  # type: ignore[attr-defined]
    except FeedError as e:
        assert e.source == url
    else:
        assert all(i.url.startswith(("http://", "https://")) for i in parsed.items)
