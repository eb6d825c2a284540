"""The model's judgement of the rules' events: each event's confidence becomes the estimated
probability that it is a real incident of its type, and a page tells each incident once.

The rules find candidate incidents and their details (type, place, actors, casualties); the
learned model (model.py) says how likely the sentence that reports each one is news of that
kind, calibrated on the events found in training bullets. A whole article is read as an analyst reads it: the probability is weighed by how
likely the page itself is hard news (its title and lead), and after the lead a sentence weighs
fully only when it reports a separate recent incident (it names a day within two weeks of
publication, or a toll, and is not a quotation); the rest of an article is mostly background,
history, quotes and analysis.
"""

from __future__ import annotations

from dataclasses import replace

from ..records import Document, Event
from .dates import recent
from .model import IncidentModel, family_probability, hard_news, incident_model, topics

SHORT_TEXT = 1000  # headlines, bullets and snippets: the sentence is the whole document
LEAD_CHARS = 600  # the title and this much of the text are an article's lead
BACKGROUND = 0.7  # weight of an event told after the lead with no day or toll of its own
QUOTED = 0.3  # ... and of one told in a quotation
QUOTES = ('"', "“", "‘", "'", "«")
# Families of event types one incident may be told as: the three violent types and organised
# crime; protests and riots; the two disasters (the same grouping scores the labelled pages).
FAMILY = {
    "Battles": "violent",
    "Explosions/Remote violence": "violent",
    "Violence against civilians": "violent",
    "Organized crime": "violent",
    "Protests": "unrest",
    "Riots": "unrest",
    "Natural disaster": "disaster",
    "Man-made disaster": "disaster",
    "Strategic developments": "strategic",
    "Diplomacy": "diplomacy",
}


def lead(doc: Document) -> str:
    return f"{doc.title or ''}\n{doc.text[:LEAD_CHARS]}"


def judged(doc: Document, events: list[Event]) -> list[Event]:
    """The events with the model's confidence, one per incident; other languages than English
    keep the rules' confidence (the model reads English)."""
    if not events:
        return []
    if (events[0].language or "en") != "en":
        return events
    model = incident_model()
    page = 1.0 if len(doc.text) <= SHORT_TEXT else hard_news(model.probabilities(lead(doc)))
    rated = [replace(e, confidence=round(confidence(model, doc, e, page), 3)) for e in events]
    return once_each(rated)


def confidence(model: IncidentModel, doc: Document, event: Event, page: float) -> float:
    """The calibrated chance that the event's sentence reports an incident of its type,
    weighed by the page's chance of being hard news and by where the event is told."""
    p = model.calibration(family_probability(topics(event.summary), event.event_type))
    if len(doc.text) <= SHORT_TEXT:
        return p
    return p * page * told(doc, event)


def told(doc: Document, event: Event) -> float:
    """How an event's place in an article weighs on it: in the title or lead it is the news;
    after it, a quotation is someone's account, and a sentence with neither a day of its own
    nor a toll is more often background or analysis than a separate incident."""
    if in_lead(doc, event.summary):
        return 1.0
    if event.summary.startswith(QUOTES):
        return QUOTED
    stated = event.fatalities is not None or event.injured is not None
    return 1.0 if stated or recent(event.summary, doc.published) else BACKGROUND


def in_lead(doc: Document, sentence: str) -> bool:
    if doc.title and sentence.strip() == doc.title.strip():
        return True
    at = doc.text.find(sentence)
    return 0 <= at < LEAD_CHARS


def once_each(events: list[Event]) -> list[Event]:
    """One event per incident: of the events of one family in one area (a page retelling its
    story, a headline and its lead), the most confident stays."""
    best: dict[tuple[str, str | None, str | None], Event] = {}
    for e in events:
        key = (FAMILY.get(e.event_type, e.event_type), e.location.country, e.location.admin1)
        if key not in best or e.confidence > best[key].confidence:
            best[key] = e
    kept = {id(e) for e in best.values()}
    return [e for e in events if id(e) in kept]
