"""Time for the queue rules, injectable so that tests can move it (midnight, long waits)."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Wall-clock time in the center's timezone. Times are stored as UTC epoch seconds."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def now(self) -> float:
        return time.time()

    def local(self, ts: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.now() if ts is None else ts, self.tz)

    def today(self) -> date:
        return self.local().date()

    def day_of(self, ts: float) -> str:
        """The center-local date of an instant, as YYYY-MM-DD (the key of daily numbering)."""
        return self.local(ts).date().isoformat()

    def iso(self, ts: float | None) -> str | None:
        """ISO 8601 with the center's UTC offset, to the second."""
        if ts is None:
            return None
        return self.local(ts).isoformat(timespec="seconds")

    def start_of_day(self, day: date) -> float:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()

    def end_of_day(self, day: date) -> float:
        return self.start_of_day(day + timedelta(days=1))


class FixedClock(Clock):
    """A clock that stands still until moved: for tests and simulations."""

    def __init__(self, tz: ZoneInfo, at: datetime | float):
        super().__init__(tz)
        self._now = at.timestamp() if isinstance(at, datetime) else float(at)

    def now(self) -> float:
        return self._now

    def set(self, at: datetime | float) -> None:
        self._now = at.timestamp() if isinstance(at, datetime) else float(at)

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0) -> None:
        self._now += seconds + 60 * minutes + 3600 * hours
