"""Unit tests of the pure incident merge: which reports tell of one incident, and the merged event."""

from __future__ import annotations

from dataclasses import replace

from workers import incidents
from workers.records import Actor, Event, Location, Source

FUAH = Location("Al-Fu'ah", "Idlib", "SY", 35.98, 36.70)
KAFRIYA = Location("Kafriya", "Idlib", "SY", 35.99, 36.68)
SARAQIB = Location("Saraqib", "Idlib", "SY", 35.8645, 36.8059)
IDLIB = Location("Idlib", "Idlib", "SY", 35.87, 36.61)


def report(
    rid: str = "a:0",
    location: Location = FUAH,
    date: str = "2015-10-10",
    etype: str = "Battles",
    sub: str = "Armed clash",
    fatalities: int | None = 100,
    actors: tuple[Actor, ...] = (Actor("al-Nusra Front", "actor2", "rebel group"),),
    url: str = "https://a.example/1",
    confidence: float = 0.8,
) -> Event:
    return Event(
        id=rid,
        event_type=etype,
        sub_event_type=sub,
        date=date,
        location=location,
        actors=actors,
        fatalities=fatalities,
        injured=None,
        summary=f"summary {rid}",
        confidence=confidence,
        sources=(Source(url),),
    )


def test_same_town_same_day_matches_with_reasons() -> None:
    """Two reports of a clash in one town on one day match, and say which fields agreed."""
    m = incidents.match(report("b:0", fatalities=120, url="https://b.example"), report())
    assert m is not None
    assert "type family" in m.matched and "place (town)" in m.matched and "date" in m.matched
    assert m.distance_km == 0.0 and m.time_gap_h == 0.0


def test_neighbouring_villages_a_day_apart_match() -> None:
    """al-Fu'ah and Kafriya (3 km), dates a day apart: one battle; the gap is recorded."""
    m = incidents.match(report(location=KAFRIYA, date="2015-10-11"), report())
    assert m is not None and m.distance_km is not None and m.distance_km < 5
    assert m.time_gap_h == 24.0


def test_apart_in_type_time_place_or_figures_stay_apart() -> None:
    """Another type family, two days apart, another town 16 km away, or 7 vs 100 killed: no match."""
    base = report()
    assert incidents.match(report(etype="Protests", sub="Peaceful protest"), base) is None
    assert incidents.match(report(date="2015-10-12"), base) is None
    assert incidents.match(report(location=SARAQIB, fatalities=None), base) is None
    assert incidents.match(report(fatalities=7), base) is None


def test_province_level_report_needs_corroboration() -> None:
    """A report placed only in the province merges only when type and actors corroborate it."""
    vague = report(location=IDLIB)
    assert incidents.match(vague, report()) is not None
    other_actor = report(
        location=IDLIB,
        sub="Attack",
        fatalities=None,
        actors=(Actor("Kurdish militia", "actor1", "identity militia"),),
    )
    assert incidents.match(other_actor, report()) is None


def test_combine_keeps_lowest_credible_figure_and_range() -> None:
    """The merged event keeps the lowest credible figure, the range, every source, provenance."""
    a, b = report(), report("b:0", fatalities=120, url="https://b.example/2")
    low = report("c:0", fatalities=60, url="https://c.example/3", confidence=0.2)
    m = incidents.match(b, a)
    assert m is not None
    prov = [
        incidents.first_provenance("a:0", a),
        m.provenance("b:0", b.sources[0]),
        {"report": "c:0", "url": "https://c.example/3", "reason": "merged"},
    ]
    merged = incidents.combine("a:0", [a, b, low], prov)
    assert merged.id == "a:0" and merged.fatalities == 100
    assert merged.fatalities_reported == {"min": 60, "max": 120}
    assert [s.url for s in merged.sources] == [
        "https://a.example/1",
        "https://b.example/2",
        "https://c.example/3",
    ]
    assert merged.provenance[1]["matched"] and merged.confidence > a.confidence


def test_best_match_prefers_the_same_town() -> None:
    """Of a same-town event and a province-level one, the report joins the same-town event."""
    town, province = report("t:0"), report("p:0", location=IDLIB)
    found = incidents.best_match(report("n:0"), [province, town])
    assert found is not None and found[0].id == "t:0"


def test_revision_pairs_a_corrected_figure() -> None:
    """A revised article's report continues its earlier one even when a figure changed a lot."""
    assert incidents.match(report(fatalities=90), report(fatalities=9)) is None
    assert incidents.revision_score(report(fatalities=90), report(fatalities=9)) is not None


def test_neighbour_days_cover_the_gap() -> None:
    """A report is looked up under its own day and the days either side."""
    cells = incidents.neighbour_days(report())
    assert cells == [("SY", "2015-10-09"), ("SY", "2015-10-10"), ("SY", "2015-10-11")]
    assert incidents.neighbour_days(replace(report(), date=None)) == []
