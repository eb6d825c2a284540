"""The incident's date, resolved against the article's publication date."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..records import parse_iso

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
DAY_MONTH = re.compile(
    rf"\b(?:on\s+)?(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{MON})|(?P<m2>{MON})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)"
    r"(?:,?\s+(?P<y>(?:19|20)\d\d))?\b",
    re.I,
)
WEEKDAY = re.compile(
    r"\b(?:on\s+|last\s+|early\s+|late\s+)?(?P<wd>monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)\b",
    re.I,
)
RELATIVE = {
    "yesterday": 1,
    "today": 0,
    "last night": 1,
    "tonight": 0,
    "this morning": 0,
    "day before yesterday": 2,
    "last week": 7,
}
RELATIVE_RX = re.compile(
    r"\b(day before yesterday|yesterday|today|last night|tonight|"
    r"this morning|last week)\b",
    re.I,
)


def resolve_date(text: str, published: str | None) -> str | None:
    """ISO date of the first date expression in text, else the publication date, else None."""
    pub = parse_iso(published)
    if pub is None:
        return None
    base = pub.date()
    found = _explicit(text, base) or _weekday(text, base) or _relative(text, base)
    return (found or base).isoformat()


def _explicit(text: str, base: date) -> date | None:
    m = DAY_MONTH.search(text)
    if not m:
        return None
    month = next(
        i
        for i, name in enumerate(MONTHS, 1)
        if name.startswith((m.group("m1") or m.group("m2")).lower()[:3])
    )
    day = int(m.group("d1") or m.group("d2"))
    year = int(m.group("y")) if m.group("y") else base.year
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    # News reports the past: a day-month later than publication is last year's.
    if not m.group("y") and found > base + timedelta(days=1):
        found = date(year - 1, month, day) if not (month == 2 and day == 29) else found
    return found


def _weekday(text: str, base: date) -> date | None:
    m = WEEKDAY.search(text)
    if not m:
        return None
    back = (base.weekday() - WEEKDAYS.index(m.group("wd").lower())) % 7
    return base - timedelta(days=back)


def _relative(text: str, base: date) -> date | None:
    m = RELATIVE_RX.search(text)
    return base - timedelta(days=RELATIVE[m.group(1).lower()]) if m else None


RECENT_DAYS = 14  # older than this before publication: background, not the page's news


def recent(text: str, published: str | None) -> bool:
    """Whether the text names a day within two weeks before publication ("on Monday",
    "yesterday", "on 8 August"); with no publication date, whether it names a day at all."""
    pub = parse_iso(published)
    base = pub.date() if pub else date.today()
    found = _explicit(text, base) or _weekday(text, base) or _relative(text, base)
    return found is not None and timedelta(0) <= base - found <= timedelta(days=RECENT_DAYS)
