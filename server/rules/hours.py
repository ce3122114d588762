"""Opening hours: is the center open at a moment, and when does it open next."""
from __future__ import annotations

from datetime import date, datetime, timedelta

#: closed dates published by the provincial hub (issue 12): server/site/calendar.py keeps the last
#: copy in the site's database and sets it here, so they hold while the hub cannot be reached
published_closed_dates: frozenset[date] = frozenset()


def _closed(hours, day: date) -> bool:
    return day in hours.closed_dates or day in published_closed_dates


def is_open(hours, at: datetime) -> bool:
    """``hours`` is the config's OpeningHours, or None for a center open at all hours."""
    if hours is None:
        return True
    if _closed(hours, at.date()):
        return False
    now = at.time()
    return any(start <= now < end for start, end in hours.weekly.get(at.weekday(), ()))


def next_opening(hours, at: datetime) -> datetime | None:
    """The next moment the center opens after ``at`` (None when open now or never opens)."""
    if hours is None or is_open(hours, at):
        return None
    for days in range(0, 370):
        day = (at + timedelta(days=days)).date()
        if _closed(hours, day):
            continue
        for start, _ in hours.weekly.get(day.weekday(), ()):
            moment = datetime.combine(day, start, tzinfo=at.tzinfo)
            if moment > at:
                return moment
    return None
