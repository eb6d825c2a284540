"""Event extraction: extract_events(doc) -> list[Event]; pure, offline, data files under data/."""

from .engine import extract_events
from .language import detect_language

__all__ = ["detect_language", "extract_events"]
