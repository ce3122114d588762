"""Opening hours: is the center open at a moment, and when does it open next."""
from __future__ import annotations

from datetime import datetime, timedelta


def is_open(hours, at: datetime) -> bool:
    """``hours`` is the config's OpeningHours, or None for a center open at all hours."""
    if hours is None:
        return True
    if at.date() in hours.closed_dates:
        return False
    now = at.time()
    return any(start <= now < end for start, end in hours.weekly.get(at.weekday(), ()))


def next_opening(hours, at: datetime) -> datetime | None:
    """The next moment the center opens after ``at`` (None when open now or never opens)."""
    if hours is None or is_open(hours, at):
        return None
    for days in range(0, 370):
        day = (at + timedelta(days=days)).date()
        if day in hours.closed_dates:
            continue
        for start, _ in hours.weekly.get(day.weekday(), ()):
            moment = datetime.combine(day, start, tzinfo=at.tzinfo)
            if moment > at:
                return moment
    return None
