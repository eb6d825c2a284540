"""The model's judgement of the rules' events: each event's confidence becomes the estimated
probability that it is a real incident of its type.

The rules find candidate incidents and their details (type, place, actors, casualties); the
learned model (model.py) says how likely the sentence that reports each one is news of that
kind, calibrated on events the rules found in training bullets. In a whole article that
probability is weighed by how likely the page itself is hard news (its title and lead), and an
event first told after the lead must stand on its own sentence.
"""

from __future__ import annotations

from dataclasses import replace

from ..records import Document, Event
from .model import IncidentModel, family_probability, hard_news, incident_model

SHORT_TEXT = 1000  # headlines, bullets and snippets: the sentence is the whole document
LEAD_CHARS = 600  # the title and this much of the text are an article's lead
LATER = 0.8  # an event first told after the lead: more often background than news


def lead(doc: Document) -> str:
    return f"{doc.title or ''}\n{doc.text[:LEAD_CHARS]}"


def judged(doc: Document, events: list[Event]) -> list[Event]:
    """The events with the model's confidence; English only (other languages keep the rules')."""
    if not events:
        return []
    if (events[0].language or "en") != "en":
        return events
    model = incident_model()
    page = 1.0 if len(doc.text) <= SHORT_TEXT else hard_news(model.probabilities(lead(doc)))
    return [replace(e, confidence=round(confidence(model, doc, e, page), 3)) for e in events]


def confidence(model: IncidentModel, doc: Document, event: Event, page: float) -> float:
    """The calibrated chance that the event's sentence reports an incident of its type,
    weighed by the page's chance of being hard news and by where the event is first told."""
    p = model.calibration(family_probability(model.probabilities(event.summary), event.event_type))
    if len(doc.text) <= SHORT_TEXT:
        return p
    at = doc.text.find(event.summary)
    return p * page * (1.0 if 0 <= at < LEAD_CHARS else LATER)
