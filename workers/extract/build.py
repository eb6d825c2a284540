"""Turning a grouped incident into a public Event record."""

from __future__ import annotations

import hashlib

from ..records import Actor, Document, Event, Location, Source
from .classify import EventType, classify_texts, types
from .dates import resolve_date
from .engine import ARMED, Incident
from .places import ADMIN1, COUNTRY, gazetteer


def classify_incident(inc: Incident) -> tuple[EventType, float]:
    """The incident's type from its sentences read together (see classify.classify_texts)."""
    kinds = [a.kind for s in inc.sentences[:1] for a in s.actors]
    found = classify_texts(
        [s.text for s in inc.sentences], [s.scores for s in inc.sentences], kinds, ARMED
    )
    return found if found is not None else (types()["ARMED_CLASH"], 0.0)


def fatalities(inc: Incident) -> tuple[int | None, int | None]:
    """The first figures the incident's sentences state: the headline or lead, not a later recap.

    A toll raised since ("the death toll rose to 18") replaces the first reports' figure.
    """
    revised = [s.cas.fatalities for s in inc.sentences if s.cas.revised]
    dead = revised[-1:] or [s.cas.fatalities for s in inc.sentences if s.cas.fatalities is not None]
    hurt = [s.cas.injured for s in inc.sentences if s.cas.injured is not None]
    return (dead[0] if dead else None), (hurt[0] if hurt else None)


def location(inc: Incident) -> Location:
    if inc.place is None:
        return Location()
    p, g = inc.place.place, gazetteer()
    name = inc.place.name or p.name
    return Location(name=name, admin1=g.admin1_name(p), country=p.cc, lat=p.lat, lon=p.lon)


def actors(inc: Incident) -> tuple[Actor, ...]:
    """Who acted on whom, from the sentence that states the deaths when it names who acted.

    Else the first sentence that names who acted, else the first that names anyone acted on.
    """
    fatal = [s for s in inc.sentences if s.cas.fatalities is not None][:1]
    named = [s.actors for s in fatal + inc.sentences if s.actors]
    acted = [a for a in named if any(x.role == "actor1" for x in a)]
    return tuple((acted or named or [[]])[0])


def confidence(inc: Incident, value: float) -> float:
    """Cue strength, a place and a stated figure each raise confidence.

    A report that names the town and the toll is the specific one of several headlines about
    the same events: the place and the figure weigh as much as the cue words.
    """
    c = 0.3 + min(value, 8.0) / 40
    if inc.place is not None:
        c += {COUNTRY: 0.05, ADMIN1: 0.12}.get(inc.place.place.kind, 0.2)
    if any(s.cas.fatalities for s in inc.sentences):
        c += 0.2
    elif any(s.cas.fatalities is not None or s.cas.injured is not None for s in inc.sentences):
        c += 0.1
    return round(min(c, 0.99), 2)


def base_id(doc: Document) -> str:
    return doc.doc_id or hashlib.sha1(doc.text.encode("utf-8")).hexdigest()[:16]


def to_event(doc: Document, inc: Incident, n: int, language: str | None) -> Event:
    etype, value = classify_incident(inc)
    dead, hurt = fatalities(inc)
    return Event(
        id=f"{base_id(doc)}:{n}",
        event_type=etype.event_type,
        sub_event_type=etype.sub_event_type,
        date=resolve_date(" ".join(s.text for s in inc.sentences), doc.published),
        location=location(inc),
        actors=actors(inc),
        fatalities=dead,
        injured=hurt,
        summary=inc.sentences[0].text,
        confidence=confidence(inc, value),
        sources=(Source(url=doc.url, title=doc.title, feed=doc.feed, published=doc.published),),
        language=language,
    )
