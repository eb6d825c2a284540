"""Which incident each report of an article joins, decided on what was loaded (pure, no I/O).

workers/incidents.py says whether one report tells of one event's incident; this module plans a
whole article: an update's reports first replace the reports its earlier version gave (so a
corrected toll replaces the figure), the others join the best-matching stored incident or start
a new one. The plan lists the incidents touched and the reports (re)assigned; workers/commit.py
turns it into one commit.lua call, which re-checks every touched event's version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from workers import incidents, keys
from workers.records import Event, Source


@dataclass(frozen=True, slots=True)
class Stored:
    """The incidents a decision may touch, as load.lua read them."""

    events: Mapping[str, tuple[Event, int]] = field(default_factory=dict)  # id -> (event, version)
    reports: Mapping[str, Event] = field(default_factory=dict)  # report id -> report
    cells: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # cell key -> event ids
    taken: frozenset[str] = frozenset()  # probed event ids that exist
    holders: Mapping[str, str] = field(default_factory=dict)  # report id -> event holding it


@dataclass(slots=True)
class Incident:
    """An event as loaded (or about to be created) and the reports it merges."""

    event_id: str
    reports: list[Event]
    provenance: list[dict[str, Any]]
    version: int  # as stored; 0 = not stored yet (commit.lua checks it)
    cell: str  # merge cell it is filed under now ("" for none)
    status: str = "active"  # "retracted": no report supports it any more
    split_off: list[dict[str, Any]] = field(default_factory=list)  # see Event.split_off
    before: Event | None = None  # as stored, for the history of what changed

    def event(self) -> Event:
        ev = incidents.combine(self.event_id, self.reports, self.provenance)
        return replace(ev, status=self.status, split_off=tuple(self.split_off))

    def rids(self) -> list[str]:
        return [p["report"] for p in self.provenance]


@dataclass(slots=True)
class IncidentPlan:
    """The event writes of one commit: incidents touched, reports (re)assigned."""

    touched: dict[str, Incident] = field(default_factory=dict)
    reports: list[tuple[str, Event, str]] = field(default_factory=list)  # rid, report, event id
    rids: list[str] = field(default_factory=list)  # this article's reports
    dropped: list[str] = field(default_factory=list)  # reports no event holds any more

    def assign(self, rid: str, report: Event, inc: Incident) -> None:
        self.touched[inc.event_id] = inc
        self.reports.append((rid, replace(report, id=rid), inc.event_id))
        self.rids.append(rid)


def _split_from(event: Event, report: Event) -> bool:
    """The report's source was split off this event (or this event off its source's)."""
    urls = {u for s in event.split_off for u in s.get("urls") or ()}
    return any(s.url in urls for s in report.sources)


def cell_of(event: Event) -> str:
    """The merge cell key an event is filed under, or ""."""
    found = incidents.day_cell(event)
    return keys.event_cell(*found) if found else ""


def cells_to_load(reports: list[Event]) -> list[str]:
    """Merge cells whose events a plan for these reports may join."""
    return sorted({keys.event_cell(*c) for r in reports for c in incidents.neighbour_days(r)})


def probe_ids(reports: list[Event]) -> list[str]:
    """Event ids a plan is likely to give new incidents: load.lua says which exist."""
    return [i for r in reports for i in (r.id, f"{r.id}~1")]


def stored_incident(stored: Stored, event_id: str) -> Incident | None:
    """A fresh, mutable copy of a stored incident."""
    found = stored.events.get(event_id)
    if found is None:
        return None
    ev, version = found
    prov = list(ev.provenance) or [incidents.first_provenance(event_id, ev)]
    reports = [stored.reports.get(p["report"], ev) for p in prov]
    return Incident(
        event_id, reports, prov, version, cell_of(ev), ev.status, list(ev.split_off), ev
    )


class _Planner:
    """One plan over one load: incidents are copied from `stored` once, then changed in place."""

    def __init__(self, stored: Stored) -> None:
        self.stored = stored
        self.plan = IncidentPlan()
        self._copies: dict[str, Incident | None] = {}

    def incident(self, event_id: str) -> Incident | None:
        if event_id in self.plan.touched:
            return self.plan.touched[event_id]
        if event_id not in self._copies:
            self._copies[event_id] = stored_incident(self.stored, event_id)
        return self._copies[event_id]

    def free_id(self, base: str) -> str:
        eid, k = base, 1
        while eid in self.stored.taken or eid in self.stored.events or eid in self.plan.touched:
            eid, k = f"{base}~{k}", k + 1
        return eid

    def revise(self, old_rids: list[str], reports: list[Event]) -> list[Event]:
        """Pair a revised article's reports with its earlier ones and replace them in place."""
        old = {
            rid: self.stored.reports[rid]
            for rid in old_rids
            if rid in self.stored.reports and self._holder(rid) is not None
        }
        pairs = sorted(
            (
                (score, i, rid)
                for i, r in enumerate(reports)
                for rid, o in old.items()
                if (score := incidents.revision_score(r, o)) is not None
            ),
            reverse=True,
        )
        used_reports: set[int] = set()
        used_rids: set[str] = set()
        for _, i, rid in pairs:
            if i in used_reports or rid in used_rids:
                continue
            inc = self._holder(rid)
            if inc is None:
                continue
            used_reports.add(i)
            used_rids.add(rid)
            self._replace(inc, rid, reports[i])
        for rid in old:
            if rid not in used_rids:
                self._withdraw(rid)
        return [r for i, r in enumerate(reports) if i not in used_reports]

    def _replace(self, inc: Incident, rid: str, report: Event) -> None:
        """The revised report takes the place of the earlier one; figures revised away are
        kept in its provenance (fatalities_reported shows them)."""
        at = inc.rids().index(rid)
        old, new = inc.reports[at], replace(report, id=rid)
        if replace(new, sources=old.sources) == old:
            # Only the source's metadata moved (a bumped pubDate): nothing a reader sees.
            self.plan.rids.append(rid)
            return
        prov = dict(inc.provenance[at], revisions=int(inc.provenance[at].get("revisions", 0)) + 1)
        if old.fatalities is not None and old.fatalities != new.fatalities:
            prov["earlier_fatalities"] = [*prov.get("earlier_fatalities", ()), old.fatalities]
        inc.provenance[at] = prov
        inc.reports[at] = new
        self.plan.assign(rid, report, inc)

    def _withdraw(self, rid: str) -> None:
        """The revised text no longer supports this report: it leaves its event with the copies
        of it, and an event left with no report is retracted (kept with its reports, unfiled,
        so no later report merges into it)."""
        inc = self._holder(rid)
        if inc is None:
            return
        self.plan.touched[inc.event_id] = inc
        going = [
            i
            for i, p in enumerate(inc.provenance)
            if p["report"] == rid or p.get("duplicate_of") == rid
        ]
        if len(going) == len(inc.reports):
            inc.status = "retracted"
            return
        for at in reversed(going):
            self.plan.dropped.append(inc.provenance[at]["report"])
            del inc.reports[at]
            del inc.provenance[at]

    def copy(self, rid: str, copy_rid: str, source: Source) -> None:
        """A copy of the article at another URL: its source joins the event holding `rid`, as
        a report that repeats it (confidence 0: a copy corroborates nothing)."""
        inc = self._holder(rid)
        if inc is None or inc.status == "retracted":
            return
        if any(s.url == source.url for r in inc.reports for s in r.sources):
            return
        original = inc.reports[inc.rids().index(rid)]
        report = replace(original, id=copy_rid, sources=(source,), confidence=0.0)
        inc.reports.append(report)
        inc.provenance.append(
            {"report": copy_rid, "url": source.url, "reason": "duplicate", "duplicate_of": rid}
        )
        self.plan.assign(copy_rid, report, inc)

    def _holder(self, rid: str) -> Incident | None:
        """The incident that holds report `rid`, if it is loaded."""
        eid = self.stored.holders.get(rid)
        candidates = [eid] if eid is not None else list(self.stored.events)
        for event_id in candidates:
            inc = self.incident(event_id)
            if inc is not None and rid in inc.rids():
                return inc
        return None

    def _as_now(self, event_id: str) -> Event | None:
        """The event as this plan leaves it so far: as stored (its reports are read only if
        it is chosen), or recombined when the plan changed it."""
        if event_id in self.plan.touched:
            return self.plan.touched[event_id].event()
        found = self.stored.events.get(event_id)
        return found[0] if found else None

    def file(self, rid: str, report: Event, own: set[str]) -> None:
        """Merge the report into the incident it tells of, or start a new one."""
        ids = {
            eid
            for cell in (keys.event_cell(*c) for c in incidents.neighbour_days(report))
            for eid in self.stored.cells.get(cell, ())
        }
        # One article reports an incident once: never merge two of its reports together.
        mine = own | set(self.plan.rids)
        candidates = [
            ev
            for eid in sorted(ids)
            if (ev := self._as_now(eid)) is not None
            and ev.status != "retracted"
            and not _split_from(ev, report)
            and not mine & {p["report"] for p in ev.provenance}
        ]
        found = incidents.best_match(report, candidates)
        if found is not None:
            event, m = found
            inc = self.incident(event.id)
            assert inc is not None
            inc.reports.append(replace(report, id=rid))
            inc.provenance.append(m.provenance(rid, report.sources[0] if report.sources else None))
            self.plan.assign(rid, report, inc)
            return
        eid = self.free_id(rid)
        inc = Incident(
            eid, [replace(report, id=rid)], [incidents.first_provenance(rid, report)], 0, ""
        )
        self.plan.assign(rid, report, inc)


def plan_reports(
    stored: Stored, reports: Sequence[Event], old_rids: Sequence[str] = ()
) -> IncidentPlan:
    """Assign each report to an incident; `old_rids` are the reports of the version revised."""
    planner = _Planner(stored)
    taken = set(old_rids)
    pending = planner.revise(list(old_rids), list(reports)) if old_rids else list(reports)
    for report in pending:
        rid, k = report.id, 1
        while rid in taken:
            rid, k = f"{report.id}.{k}", k + 1
        taken.add(rid)
        planner.file(rid, report, taken)
    return planner.plan


def plan_copies(
    stored: Stored, original_rids: Sequence[str], copy_key: str, source: Source
) -> IncidentPlan:
    """A duplicate at another URL: its source joins the events of its original's reports
    (as reports "<copy key>:copy<i>", apart from the ids extraction gives, "<key>:<i>")."""
    planner = _Planner(stored)
    for i, rid in enumerate(original_rids):
        planner.copy(rid, f"{copy_key}:copy{i}", source)
    return planner.plan


def plan_split(stored: Stored, event_id: str, url: str) -> tuple[IncidentPlan, str]:
    """Move the reports from source `url` out of an event into a new one: (plan, new id).

    KeyError: no such event; ValueError: `url` is not one of its sources, or its only one."""
    planner = _Planner(stored)
    inc = planner.incident(event_id)
    if inc is None:
        raise KeyError(event_id)
    moving = [i for i, p in enumerate(inc.provenance) if p.get("url") == url]
    if not moving:
        raise ValueError(f"{url} is not a source of event {event_id}")
    if len(moving) == len(inc.provenance):
        raise ValueError(f"event {event_id} has no other source to keep")
    new_id = planner.free_id(inc.provenance[moving[0]]["report"])
    moved = [inc.reports[i] for i in moving]
    prov = [dict(inc.provenance[i], reason="split", split_from=event_id) for i in moving]
    keep = [i for i in range(len(inc.provenance)) if i not in moving]
    inc.reports = [inc.reports[i] for i in keep]
    inc.provenance = [inc.provenance[i] for i in keep]
    # Splits stick: neither event takes reports from the other's sources again.
    kept_urls = sorted({s.url for r in inc.reports for s in r.sources if s.url})
    moved_urls = sorted({s.url for r in moved for s in r.sources if s.url})
    inc.split_off.append({"event": new_id, "urls": moved_urls})
    plan = planner.plan
    plan.touched[event_id] = inc
    plan.touched[new_id] = Incident(
        new_id, moved, prov, 0, "", split_off=[{"event": event_id, "urls": kept_urls}]
    )
    plan.reports = [(r.id, r, new_id) for r in moved]
    return plan, new_id
