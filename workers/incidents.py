"""One event per incident: whether a report tells of an event's incident, and the merged event.

Pure, no I/O. A *report* is what the extractor made of one article (an Event with one source);
a public event combines the reports of one incident. The rule is conservative, because a wrong
merge hides an incident while a missed one only shows it twice: same type family, dates at most
a day apart, the same place (same town, towns within MAX_TOWN_KM, or a town inside the other
report's province with corroboration), and no contradiction in actors or casualty figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from workers.records import Actor, Event, Location, Source

MAX_GAP_DAYS = 1
MAX_TOWN_KM = 10.0  # neighbouring villages of one battle (al-Fu'ah and Kafriya: 3 km)
CREDIBLE = 0.4  # reports below this confidence do not set the lowest fatality figure

_FAMILY = {
    "Battles": "political violence",
    "Explosions/Remote violence": "political violence",
    "Violence against civilians": "political violence",
    "Protests": "demonstrations",
    "Riots": "demonstrations",
}
_GENERIC = frozenset(
    [
        "the",
        "of",
        "and",
        "al",
        "el",
        "forces",
        "force",
        "group",
        "groups",
        "troops",
        "army",
        "militants",
        "militia",
        "fighters",
        "men",
        "unidentified",
        "unknown",
        "local",
        "government",
        "people",
        "civilians",
        "police",
        "security",
        "front",
        "state",
        "members",
    ]
)
_TOKEN = re.compile(r"[a-z]+")


def family(event_type: str) -> str:
    """ACLED's disorder family of an event type; other types are their own family."""
    return _FAMILY.get(event_type, event_type)


@dataclass(frozen=True, slots=True)
class Match:
    """Why a report belongs to an event: what agreed, how far apart, how much apart in time."""

    matched: tuple[str, ...]
    distance_km: float | None
    time_gap_h: float
    score: float

    def provenance(self, report_id: str, source: Source | None) -> dict[str, Any]:
        return {
            "report": report_id,
            "url": source.url if source else None,
            "reason": "merged",
            "matched": list(self.matched),
            "distance_km": self.distance_km,
            "time_gap_h": self.time_gap_h,
        }


def first_provenance(report_id: str, report: Event, reason: str = "first") -> dict[str, Any]:
    source = report.sources[0] if report.sources else None
    return {"report": report_id, "url": source.url if source else None, "reason": reason}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _level(loc: Location) -> int:
    """3 town, 2 province, 1 country only, 0 nothing."""
    if not loc.country:
        return 0
    if loc.name and loc.admin1 and loc.name != loc.admin1:
        return 3
    if loc.admin1 or (loc.name and loc.lat is not None):
        return 2
    return 1


def distance_km(a: Location, b: Location) -> float | None:
    """Great-circle distance, or None when either side has no coordinates."""
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return round(2 * 6371.0 * math.asin(min(1.0, math.sqrt(h))), 1)


def _place(a: Location, b: Location) -> tuple[str, float | None] | None:
    """How the two places agree ("town", "nearby", "province"), or None."""
    if not a.country or a.country != b.country:
        return None
    la, lb = _level(a), _level(b)
    km = distance_km(a, b)
    if la == lb == 3:
        if (a.name or "").lower() == (b.name or "").lower() and a.admin1 == b.admin1:
            return "town", km or 0.0
        return ("nearby", km) if km is not None and km <= MAX_TOWN_KM else None
    if min(la, lb) == 2 and a.admin1 and a.admin1 == b.admin1:
        return "province", km
    return None


def _tokens(actors: Sequence[Actor]) -> set[str]:
    return {t for a in actors for t in _TOKEN.findall(a.name.lower())} - _GENERIC


def _actors(a: Event, b: Event) -> str | None:
    """ "shared" when the reports name a common actor, "unknown" when one names none, else None."""
    if not a.actors or not b.actors:
        return "unknown"
    if _tokens(a.actors) & _tokens(b.actors):
        return "shared"
    kinds_a = {x.kind for x in a.actors if x.kind}
    kinds_b = {x.kind for x in b.actors if x.kind}
    return "kinds" if kinds_a & kinds_b else None


def compatible_figures(x: int | None, y: int | None) -> bool:
    """Two casualty counts can describe one incident: either unknown, or within about 2x."""
    if x is None or y is None:
        return True
    lo, hi = sorted((x, y))
    return hi <= 2 * lo + 5


def match(report: Event, event: Event) -> Match | None:
    """Why `report` tells of `event`'s incident, or None when it does not (or may not)."""
    if family(report.event_type) != family(event.event_type):
        return None
    d1, d2 = _day(report.date), _day(event.date)
    if d1 is None or d2 is None or abs((d1 - d2).days) > MAX_GAP_DAYS:
        return None
    place = _place(report.location, event.location)
    actors = _actors(report, event)
    if place is None or actors is None:
        return None
    if not (
        compatible_figures(report.fatalities, event.fatalities)
        and compatible_figures(report.injured, event.injured)
    ):
        return None
    matched = ["type family", f"place ({place[0]})", "date" if d1 == d2 else "date (1 day apart)"]
    if report.sub_event_type == event.sub_event_type:
        matched.append("sub_event_type")
    if actors in ("shared", "kinds"):
        matched.append(f"actors ({actors})")
    if report.fatalities is not None and event.fatalities is not None:
        matched.append("fatalities")
    corroborated = len(matched) - 3
    # A province-level report is vague: it also needs two corroborating facts.
    if place[0] == "province" and corroborated < 2:
        return None
    score = {"town": 3.0, "nearby": 2.0, "province": 1.0}[place[0]] + corroborated
    return Match(tuple(matched), place[1], abs((d1 - d2).days) * 24.0, score - abs((d1 - d2).days))


def revision_score(new: Event, old: Event) -> float | None:
    """How well a revised article's report continues one of its earlier reports, or None.

    Looser than `match`: the same article may correct a figure (9 killed, then 90) or the place."""
    m = match(new, old)
    if m is not None:
        return m.score
    same_place = (new.location.country, new.location.admin1) == (
        old.location.country,
        old.location.admin1,
    )
    if family(new.event_type) != family(old.event_type):
        return None
    # The same place with other figures (a corrected toll), else a corrected place.
    return 0.5 if same_place else 0.25


def best_match(report: Event, events: Sequence[Event]) -> tuple[Event, Match] | None:
    """The event `report` fits best, or None."""
    scored = [(m, e) for e in events if (m := match(report, e)) is not None]
    if not scored:
        return None
    m, e = max(scored, key=lambda me: (me[0].score, me[1].id))
    return e, m


def _credible_min(values: list[tuple[int, float]]) -> int | None:
    credible = [v for v, c in values if c >= CREDIBLE] or [v for v, _ in values]
    return min(credible) if credible else None


def combine(event_id: str, reports: Sequence[Event], provenance: Sequence[dict[str, Any]]) -> Event:
    """The public event of one incident from its reports (the first is the founding report)."""
    base = reports[0]
    located = max(reports, key=lambda r: (_level(r.location), r is base))
    dead = [(r.fatalities, r.confidence) for r in reports if r.fatalities is not None]
    # Figures revised away stay in the range reported: how a toll evolved.
    earlier = [v for p in provenance for v in p.get("earlier_fatalities") or ()]
    figures = [v for v, _ in dead] + earlier
    hurt = [(r.injured, r.confidence) for r in reports if r.injured is not None]
    actors: dict[str, Actor] = {}
    for r in reports:
        for a in r.actors:
            actors.setdefault(a.name.lower(), a)
    sources: dict[str | None, Source] = {}
    for r in reports:
        for s in r.sources:
            sources.setdefault(s.url, s)
    dates = sorted(d for r in reports if (d := r.date))
    miss = 1.0
    for r in reports:
        miss *= 1.0 - r.confidence
    return replace(
        base,
        id=event_id,
        location=located.location,
        date=dates[0] if dates else base.date,
        actors=tuple(actors.values()),
        fatalities=_credible_min(dead),
        injured=_credible_min(hurt),
        fatalities_reported=({"min": min(figures), "max": max(figures)} if figures else None),
        confidence=round(min(0.99, 1.0 - miss), 2),
        sources=tuple(sources.values()),
        provenance=tuple(provenance),
        first_seen=None,
        updated=None,
        version=1,
    )


def day_cell(event: Event) -> tuple[str, str] | None:
    """(country, YYYY-MM-DD) under which the event is indexed for merging, or None."""
    d = _day(event.date)
    if d is None or not event.location.country:
        return None
    return event.location.country, d.isoformat()


def neighbour_days(event: Event) -> list[tuple[str, str]]:
    """The cells an incident matching `event` may be filed under (its day and the days beside)."""
    cell = day_cell(event)
    if cell is None:
        return []
    d = date.fromisoformat(cell[1])
    return [
        (cell[0], date.fromordinal(d.toordinal() + k).isoformat())
        for k in range(-MAX_GAP_DAYS, MAX_GAP_DAYS + 1)
    ]
