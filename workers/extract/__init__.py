"""Event extraction: extract_events(doc) -> list[Event]; pure, offline, data files under data/."""

from ..records import Event
from .engine import extract_events
from .language import detect_language

__all__ = ["confident", "detect_language", "extract_events"]


def confident(events: list[Event], min_confidence: float) -> list[Event]:
    """The events a subscriber is given: those at or above the publish threshold."""
    return [e for e in events if e.confidence >= min_confidence]
