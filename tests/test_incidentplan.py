"""Unit tests of incident planning on loaded data (no Redis): merge, keep apart, revise, split."""

from __future__ import annotations

import pytest

from tests.test_incidents import SARAQIB, report
from workers import incidentplan
from workers.incidentplan import Stored, cell_of, plan_copies, plan_reports, plan_split
from workers.records import Event, Location, Source


def stored(*events: Event) -> Stored:
    """A store holding each event as a one-report incident, filed in its merge cell."""
    cells: dict[str, tuple[str, ...]] = {}
    for e in events:
        cells[cell_of(e)] = (*cells.get(cell_of(e), ()), e.id)
    return Stored(
        events={e.id: (incidentplan.Incident(e.id, [e], [], 1, "").event(), 1) for e in events},
        reports={e.id: e for e in events},
        cells=cells,
    )


def test_report_of_a_stored_incident_merges_into_it() -> None:
    """Another outlet's report of the Al-Fu'ah clash joins the stored event (version checked)."""
    first = report("a:0")
    plan = plan_reports(stored(first), [report("b:0", fatalities=120, url="https://b.example")])
    assert list(plan.touched) == ["a:0"]
    inc = plan.touched["a:0"]
    assert inc.version == 1 and inc.rids() == ["a:0", "b:0"]
    event = inc.event()
    assert event.fatalities == 100 and event.fatalities_reported == {"min": 100, "max": 120}
    assert plan.reports[0][0] == "b:0" and plan.reports[0][2] == "a:0"


def test_other_town_starts_a_new_incident() -> None:
    """A clash at Saraqib the same day is not merged: a new event, version 0 (must not exist)."""
    plan = plan_reports(stored(report("a:0")), [report("b:0", location=SARAQIB)])
    assert list(plan.touched) == ["b:0"] and plan.touched["b:0"].version == 0


def test_two_reports_of_one_article_never_merge_together() -> None:
    """One article tells of an incident once: its two nearby reports stay two events."""
    plan = plan_reports(Stored(), [report("b:0"), report("b:1", fatalities=90)])
    assert sorted(plan.touched) == ["b:0", "b:1"]


def test_new_event_id_avoids_an_existing_one() -> None:
    """A report whose id is taken by another event gets the next free id."""
    plan = plan_reports(
        Stored(taken=frozenset({"b:0", "b:0~1"})), [report("b:0", location=SARAQIB)]
    )
    assert list(plan.touched) == ["b:0~2"]


def test_revision_replaces_its_earlier_report() -> None:
    """An update's report of the same clash replaces the earlier one: the toll is the new one."""
    old = report("a:0", fatalities=9)
    plan = plan_reports(stored(old), [report("a:0", fatalities=90)], old_rids=["a:0"])
    inc = plan.touched["a:0"]
    assert inc.rids() == ["a:0"] and inc.event().fatalities == 90
    assert plan.rids == ["a:0"]


def test_raised_toll_keeps_the_earlier_figure_in_the_range() -> None:
    """12 killed revised to 40: the event says 40, fatalities_reported spans 12 to 40."""
    plan = plan_reports(
        stored(report("a:0", fatalities=12)), [report("a:0", fatalities=40)], ["a:0"]
    )
    event = plan.touched["a:0"].event()
    assert event.fatalities == 40 and event.fatalities_reported == {"min": 12, "max": 40}
    assert event.provenance[0]["earlier_fatalities"] == [12]


def test_corrected_place_moves_the_event() -> None:
    """A revision that names another town: the same event, now at the new place and cell."""
    aleppo = Location("Aleppo", "Aleppo", "SY", 36.2, 37.16)
    old = report("a:0")
    plan = plan_reports(stored(old), [report("a:0", location=aleppo)], ["a:0"])
    inc = plan.touched["a:0"]
    assert list(plan.touched) == ["a:0"] and inc.event().location == aleppo
    assert inc.cell == cell_of(old)


def test_unsupported_event_is_retracted() -> None:
    """A revision that no longer reports the clash retracts its event (kept, status retracted)."""
    plan = plan_reports(stored(report("a:0")), [], ["a:0"])
    inc = plan.touched["a:0"]
    assert inc.status == "retracted" and inc.event().status == "retracted"
    assert plan.rids == [] and plan.dropped == []


def test_unsupported_report_leaves_a_merged_event() -> None:
    """When another outlet still reports the incident, only the withdrawn source leaves it."""
    first, second = report("a:0"), report("b:0", fatalities=120, url="https://b.example")
    merged = plan_reports(stored(first), [second]).touched["a:0"]
    store = Stored(
        events={"a:0": (merged.event(), 2)},
        reports={"a:0": first, "b:0": second},
        cells={cell_of(first): ("a:0",)},
    )
    plan = plan_reports(store, [], ["b:0"])
    inc = plan.touched["a:0"]
    assert inc.status == "active" and inc.rids() == ["a:0"] and plan.dropped == ["b:0"]
    assert [s.url for s in inc.event().sources] == ["https://a.example/1"]


def test_bumped_date_only_changes_nothing() -> None:
    """A revision whose report differs only in its source's metadata touches no event."""
    old = report("a:0")
    new = report("a:0")
    new = Event.from_dict(
        {**new.to_dict(), "sources": [{"url": "https://a.example/1", "published": "x"}]}
    )
    plan = plan_reports(stored(old), [new], ["a:0"])
    assert plan.touched == {} and plan.rids == ["a:0"]


def test_split_moves_a_source_out() -> None:
    """Splitting the second outlet off plans the kept event and a new one from its report."""
    first, second = report("a:0"), report("b:0", fatalities=120, url="https://b.example")
    merged = plan_reports(stored(first), [second]).touched["a:0"]
    store = Stored(
        events={"a:0": (merged.event(), 2)},
        reports={"a:0": first, "b:0": second},
        cells={cell_of(first): ("a:0",)},
        taken=frozenset({"a:0"}),
    )
    plan, new_id = plan_split(store, "a:0", "https://b.example")
    assert new_id == "b:0" and plan.touched["a:0"].rids() == ["a:0"]
    assert plan.touched["b:0"].event().fatalities == 120
    with pytest.raises(ValueError):
        plan_split(store, "a:0", "https://nowhere.example")
    with pytest.raises(KeyError):
        plan_split(store, "zz", "https://b.example")


def test_copy_joins_the_sources_and_leaves_with_its_original() -> None:
    """A copy's URL joins the original report's event; when the revised original no longer
    reports it, the copy goes too and the event is retracted."""
    first = report("a:0")
    source = Source("https://copy.example/1")
    plan = plan_copies(stored(first), ["a:0"], "c", source)
    inc = plan.touched["a:0"]
    assert [s.url for s in inc.event().sources] == ["https://a.example/1", source.url]
    assert inc.event().confidence == first.confidence and plan.rids == ["c:copy0"]
    assert (
        plan_copies(
            Stored(
                events={"a:0": (inc.event(), 2)},
                reports={"a:0": first, "c:copy0": inc.reports[1]},
            ),
            ["a:0"],
            "c",
            source,
        ).touched
        == {}
    )
    withdrawn = plan_reports(
        Stored(events={"a:0": (inc.event(), 2)}, reports={"a:0": first, "c:copy0": inc.reports[1]}),
        [],
        ["a:0"],
    )
    assert withdrawn.touched["a:0"].status == "retracted"


def test_split_pair_is_never_merged_again() -> None:
    """After a split, a report from the source split off does not merge into the kept event,
    nor one from the kept source into the event split off: each starts its own."""
    first, second = report("a:0"), report("b:0", fatalities=120, url="https://b.example")
    merged = plan_reports(stored(first), [second]).touched["a:0"]
    before = Stored(
        events={"a:0": (merged.event(), 2)},
        reports={"a:0": first, "b:0": second},
        cells={cell_of(first): ("a:0",)},
        taken=frozenset({"a:0"}),
    )
    split, new_id = plan_split(before, "a:0", "https://b.example")
    kept, other = split.touched["a:0"].event(), split.touched[new_id].event()
    assert kept.split_off == ({"event": new_id, "urls": ["https://b.example"]},)
    after = Stored(
        events={"a:0": (kept, 3), new_id: (other, 1)},
        reports={"a:0": first, "b:0": second},
        cells={cell_of(first): ("a:0", new_id)},
    )
    again = plan_reports(after, [report("b:1", fatalities=110, url="https://b.example")])
    assert list(again.touched) == [new_id]  # its own side of the split, not the kept event
    back = plan_reports(after, [report("a:1", url="https://a.example/1")])
    assert list(back.touched) == ["a:0"]
    only_kept = Stored(
        events={"a:0": (kept, 3)}, reports={"a:0": first}, cells={cell_of(first): ("a:0",)}
    )
    alone = plan_reports(only_kept, [report("b:1", fatalities=110, url="https://b.example")])
    assert list(alone.touched) == ["b:1"]
