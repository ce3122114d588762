"""A day's booking slots from the opening hours, and the check-in window of a slot."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

CHECKIN_EARLY_MIN = 30                  # check-in opens this long before the slot and closes at its end


def day_slots(periods, slot_minutes: int) -> list[tuple[time, time]]:
    """Whole slots of ``slot_minutes`` inside each opening period ``(start, end)`` of a day."""
    out = []
    step = timedelta(minutes=slot_minutes)
    for start, end in periods:
        t = datetime.combine(date(2000, 1, 1), start)
        stop = datetime.combine(date(2000, 1, 1), end)
        while t + step <= stop:
            out.append((t.time(), (t + step).time()))
            t += step
    return out


def parse_hhmm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def checkin_window(day: date, start: time, end: time, tz) -> tuple[datetime, datetime]:
    opens = datetime.combine(day, start, tzinfo=tz) - timedelta(minutes=CHECKIN_EARLY_MIN)
    return opens, datetime.combine(day, end, tzinfo=tz)
