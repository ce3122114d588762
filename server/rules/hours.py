"""Opening hours: is the center open at a moment, and when does it open next.

``check_issuing`` is the issuing rule's part (``tickets.issue_ticket``): outside the opening hours
a kiosk's ticket is refused with ``CenterClosed`` (409 ``center_closed``, naming the next
opening); staff may still issue (a visitor let in late). Every caller of the rule gets it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

#: closed dates published by the provincial hub (issue 12): server/site/calendar.py keeps the last
#: copy in the site's database and sets it here, so they hold while the hub cannot be reached
published_closed_dates: frozenset[date] = frozenset()


def _closed(hours, day: date) -> bool:
    return day in hours.closed_dates or day in published_closed_dates

from .errors import Conflict

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


class CenterClosed(Conflict):
    """A kiosk's ticket outside the opening hours; ``next_opening`` is None when none is known."""

    def __init__(self, next_opening_at: datetime | None):
        if next_opening_at is None:
            message = "Trung tâm đang ngoài giờ làm việc (the center is closed)."
            self.details = None
        else:
            message = (f"Trung tâm đang ngoài giờ làm việc. Mời quay lại lúc {opening_text(next_opening_at)} "
                       f"(the center is closed; it opens at {next_opening_at.isoformat(timespec='minutes')}).")
            self.details = [{"field": "next_opening", "message": next_opening_at.isoformat(timespec="minutes")}]
        super().__init__("center_closed", message)
        self.next_opening = next_opening_at


def opening_text(moment: datetime) -> str:
    """``07:30 Thứ Hai, 24/11/2026``."""
    return f"{moment:%H:%M} {WEEKDAYS_VI[moment.weekday()]}, {moment:%d/%m/%Y}"


def check_issuing(hours, role: str, at: datetime) -> None:
    """Raise ``CenterClosed`` when a ``role`` may not be issued a ticket at local time ``at``."""
    if hours is None or role != "kiosk" or is_open(hours, at):
        return
    raise CenterClosed(next_opening(hours, at))


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
