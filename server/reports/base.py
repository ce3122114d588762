"""The per-ticket query every report reads, and the period it covers.

A report covers the tickets whose ``day`` (the center-local date they were issued on) lies in
``[start, end]``, optionally of one agency (the agency the ticket ended with, after transfers).
For each ticket it computes, in SQL:

- ``first_call``: the time of the ticket's first ``called`` event in the event log (a transferred
  or reactivated ticket is called again later; its wait is still issue → first call). The
  database keeps it in ``tickets.first_called_at`` (with ``first_service``, the service of that
  call) by a trigger on the events table (schema v3), in the same transaction as the event;
- ``wait_s`` = first call − issue (NULL when never called);
- ``service_s`` = finish − start, or finish − call when serving was never started; for tickets
  that ended ``done`` only (the last desk's part, after transfers);
- ``within``: 1 when first called within ``target_wait_min`` of the service it waited for (the
  service of its first call), 0 when called later, or never called but cancelled (by a supervisor
  or the end-of-day close) after waiting longer than the target; NULL otherwise (still waiting,
  or cancelled before its target passed) — those do not count either way;
- ``hour``: the local hour (0–23) of issue in the center's timezone (see ``local_hour_sql``).

The site dimension (issue 12): the provincial hub keeps every site's tickets in the same columns
plus ``site`` (``server/hub/db.py``). ``base_cte(..., sites=True)`` reads those tables: the joins
are per site, ``site`` is one more column and ``Period.site`` (``:site``) filters on it. The
definitions above are the same text for both, so the hub's figures of a site are the site's own.

Indexes used (see ``bench/reports_bench.py`` for the query plans): ``tickets_day_status (day,
status)`` for the range of days, the primary keys of ``ratings``, ``services``, ``agencies`` and
``users`` for the joins. Nothing else is read: the first call is a column (above), not a
GROUP BY over the period's events.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 366
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    agency: str | None = None
    site: str | None = None         # the hub only (issue 12): one site's tickets


    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "agency": self.agency, "site": self.site}


def _date(value: str | None, name: str) -> date:
    if value is None or value == "":
        raise PeriodError("missing_date", f"give '{name}' as a date YYYY-MM-DD")
    if not DATE_RE.match(value):
        raise PeriodError("invalid_date", f"'{name}' must be a date written YYYY-MM-DD, not {value[:40]!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError("invalid_date", f"'{name}' is not a real date: {value!r}") from None


def parse_period(from_: str | None, to: str | None, agency: str | None = None, *, max_days: int = MAX_DAYS) -> Period:
    start, end = _date(from_, "from"), _date(to, "to")
    if start > end:
        raise PeriodError("invalid_range", f"'from' ({start}) is after 'to' ({end})")
    if (end - start).days + 1 > max_days:
        raise PeriodError("range_too_long", f"a report covers at most {max_days} days; this asks for "
                                            f"{(end - start).days + 1}")
    if agency is not None:
        agency = agency.strip().upper() or None
    return Period(start, end, agency)


def utc_offsets(tz: ZoneInfo, start_ts: float, end_ts: float) -> list[tuple[float | None, int]]:
    """The UTC offsets of ``tz`` between two instants: ``[(until_ts, offset_s), ..., (None, offset_s)]``.

    Found by sampling every 6 hours and bisecting to the second where the offset changes (zones
    change offset at most a few times a year, and never twice within 6 hours).
    """
    def offset(ts: float) -> int:
        return int(datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())

    segments: list[tuple[float | None, int]] = []
    step = 6 * 3600
    ts, current = int(start_ts), offset(start_ts)
    while ts < end_ts:
        nxt = min(ts + step, int(end_ts) + 1)
        if offset(nxt) != current:
            lo, hi = ts, nxt                      # offset(lo) == current != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            segments.append((float(hi), current))
            current = offset(hi)
        ts = nxt
    segments.append((None, current))
    return segments


def local_hour_sql(tz: ZoneInfo, start_ts: float, end_ts: float, column: str) -> str:
    """An SQL expression giving the local hour (0–23) of the epoch ``column``, exact across DST changes.

    For a zone without changes in the period (Asia/Ho_Chi_Minh always) it is one fixed offset:
    ``(CAST(column + 25200 AS INTEGER) % 86400) / 3600``. The numbers are computed here, never
    taken from the request.
    """
    segments = utc_offsets(tz, start_ts, end_ts)
    if len(segments) == 1:
        shifted = f"{column} + {segments[0][1]}"
    else:
        cases = " ".join(f"WHEN {column} < {until!r} THEN {off}" for until, off in segments[:-1])
        shifted = f"{column} + CASE {cases} ELSE {segments[-1][1]} END"
    return f"((CAST({shifted} AS INTEGER) % 86400) / 3600)"


def period_bounds(tz: ZoneInfo, period: Period) -> tuple[float, float]:
    start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=tz).timestamp()
    end_day = period.end + timedelta(days=1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=tz).timestamp()
    return start, end


def base_cte(tz: ZoneInfo, period: Period, *, sites: bool = False) -> str:
    """``WITH base AS (...)``: one row per ticket of the period (named params ``:from``, ``:to``,
    ``:agency``; with ``sites`` — the hub's tables — also ``:site``, and a ``site`` column)."""
    start, end = period_bounds(tz, period)
    # a day of margin either side: a ticket's issue time is within its local day by construction
    hour = local_hour_sql(tz, start - 86400, end + 86400, "t.issued_at")
    return f"""
WITH base AS MATERIALIZED (
    SELECT {"t.site, " if sites else ""}t.id, t.day, t.code, t.service, t.agency, t.desk, t.officer, t.status, t.priority,
           t.issued_at, t.first_called_at AS first_call, t.called_at, t.started_at, t.finished_at,
           t.transfers, t.recalls,
           t.first_called_at - t.issued_at AS wait_s,
           CASE WHEN t.status = 'done' THEN t.finished_at - coalesce(t.started_at, t.called_at) END AS service_s,
           fs.target_wait_min * 60 AS target_s,
           CASE WHEN t.first_called_at IS NOT NULL THEN (t.first_called_at - t.issued_at <= fs.target_wait_min * 60)
                WHEN t.status = 'cancelled' AND t.finished_at - t.issued_at > fs.target_wait_min * 60 THEN 0
           END AS within,
           CASE WHEN r.levels = 3 THEN 1 + (r.score - 1) * 2 ELSE r.score END AS score,  -- on 1..5 (issue 14)
           r.comment, r.levels AS rating_levels, r.reason AS rating_reason,
           {hour} AS hour
    FROM tickets t
    JOIN services fs ON {"fs.site = t.site AND " if sites else ""}fs.code = coalesce(t.first_service, t.service)
    LEFT JOIN ratings r ON {"r.site = t.site AND " if sites else ""}r.ticket = t.id
    WHERE t.day BETWEEN :from AND :to AND (:agency IS NULL OR t.agency = :agency){
        " AND (:site IS NULL OR t.site = :site)" if sites else ""}
)"""
