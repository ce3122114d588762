"""Estimated wait: people ahead, desks open for the service, and how long the service really takes.

    estimate = 0                                 when an open desk of the service is idle for me
    estimate = (ahead + 0.5) × mean_service / desks   otherwise

``mean_service`` is the mean time a desk spent on each of the last tickets of the service
(call to finish, last 7 days), or the configured default until there are enough of them.
"""
from __future__ import annotations

from dataclasses import dataclass

RECENT_TICKETS = 20
MIN_HISTORY = 3
HISTORY_WINDOW_S = 7 * 86400


@dataclass(frozen=True)
class Capacity:
    open_desks: int     # desks of the service with an officer at work (open or paused)
    idle_desks: int     # open desks with nobody in front of them
    all_desks: int      # active desks configured for the service


class ServiceTimes:
    """Mean service time per service, cached until a ticket of it is finished (or 60 s pass)."""

    TTL_S = 60.0

    def __init__(self):
        self._cache: dict[str, tuple[float, float]] = {}

    def get(self, db, service: str, now: float, default_s: float) -> float:
        hit = self._cache.get(service)
        if hit is not None and 0 <= now - hit[1] < self.TTL_S:
            return hit[0]
        value = mean_service_s(db, service, now, default_s)
        self._cache[service] = (value, now)
        return value

    def invalidate(self, service: str) -> None:
        self._cache.pop(service, None)


def mean_service_s(db, service: str, now: float, default_s: float) -> float:
    rows = db.execute(
        "SELECT finished_at - called_at FROM tickets WHERE status = 'done' AND service = ? "
        "AND finished_at > ? AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
        [service, now - HISTORY_WINDOW_S, RECENT_TICKETS],
    ).fetchall()
    if len(rows) < MIN_HISTORY:
        return default_s
    return max(30.0, sum(r[0] for r in rows) / len(rows))


def capacity(db, service: str) -> Capacity:
    row = db.execute(
        "SELECT count(*), "
        "coalesce(sum(d.state != 'closed'), 0), "
        "coalesce(sum(d.state = 'open' AND d.current_ticket IS NULL), 0) "
        "FROM desk_services ds JOIN desks d ON d.number = ds.desk "
        "WHERE ds.service = ? AND d.active = 1",
        [service],
    ).fetchone()
    return Capacity(open_desks=row[1], idle_desks=row[2], all_desks=row[0])


def estimate_wait_s(ahead: int, cap: Capacity, mean_s: float) -> int:
    if ahead < cap.idle_desks:
        return 0
    desks = cap.open_desks or cap.all_desks or 1
    return int(round((ahead + 0.5) * mean_s / desks))
