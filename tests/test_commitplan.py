"""The pure commit decision (no Redis): verdict + incident plan -> CommitPlan -> commit.lua ARGV."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.test_incidents import report
from workers import dedup, dedupindex
from workers.commitplan import CommitPlan, Loaded, decide, encode
from workers.incidentplan import Stored, cell_of
from workers.records import Article

NOW = datetime(2015, 10, 10, 18, 0, tzinfo=UTC)
TEXT = " ".join(f"Sentence {i} about the clashes near the town, officials said." for i in range(30))


def article(text: str = TEXT) -> Article:
    url = "https://a.example/1"
    return Article(
        key=dedup.article_key(url),
        url=url,
        canonical_url=url,
        text_hash=dedup.text_hash(text),
        title="t",
        feed="https://a.example/rss",
        published=None,
        language="en",
        item_id=url,
        text=text,
    )


def empty_load(art: Article, fp: dedup.Fingerprint) -> Loaded:
    slots = dedupindex.band_slots(fp)
    snap = dedupindex.snapshot_of(
        art.canonical_url, art.text_hash, "", "", slots, [""] * len(slots), {}
    )
    return Loaded(snap, {}, Stored())


def test_first_article_plans_a_new_event_and_its_index_entries() -> None:
    """Nothing loaded: verdict new, version 1, the report founds an event (expected version 0)."""
    art = article()
    fp = dedup.fingerprint(art.text)
    plan = decide("1-0", art, [report("r:0")], fp, empty_load(art, fp), NOW)
    assert plan.article is not None and plan.article.verdict.verdict == "new"
    assert json.loads(plan.article.record_json)["version"] == 1
    assert [(e.event_id, e.expected_version) for e in plan.events] == [("r:0", 0)]
    assert plan.events[0].add_cell == cell_of(report("r:0")) and plan.article.packed
    assert json.loads(plan.events[0].change)["changes"]["fatalities"] == {"from": None, "to": 100}


def test_update_in_place_supersedes_the_stored_version() -> None:
    """The URL's owner with other text: an update naming the version it supersedes."""
    added = " Witnesses described heavy shelling of the market and the mosque overnight, and aid"
    added += " groups said hundreds of families had fled towards the border since the weekend."
    old, new = article(), article(TEXT + added)
    old_fp, fp = dedup.fingerprint(old.text), dedup.fingerprint(new.text)
    owner = f"{old.key}|{old.text_hash}|7"
    slots = dedupindex.band_slots(fp)
    snap = dedupindex.snapshot_of(
        new.canonical_url,
        new.text_hash,
        owner,
        old.key,
        slots,
        [""] * len(slots),
        {"7": dedupindex.pack(old.key, old_fp)},
    )
    loaded = Loaded(snap, {old.key: {"version": 2, "reports": []}}, Stored())
    plan = decide("2-0", new, [], fp, loaded, NOW)
    assert plan.article is not None
    verdict = plan.article.verdict
    assert (verdict.verdict, verdict.supersedes) == ("update", 2)
    assert json.loads(plan.article.record_json)["version"] == 3 and plan.article.owner_n == "7"


def test_encoder_layout_matches_commit_lua() -> None:
    """A split has no article part: blanks up to ARGV 25, then the counted groups at 26."""
    args = encode(CommitPlan("", None, (), ()), NOW, 0.0)
    assert len(args) == 25 + 3 and args[25:] == [0, 0, 0]
