"""Estimated wait: the queue played forward, desk by desk, with how long things really take.

A ticket's estimate is when a desk will call it, found by replaying what the desks will do from
now on, with the same rule the desks use to choose (``desks.choose_next``: priority tickets first,
at most ``priority_max_in_row`` of them in a row while normal tickets wait, then oldest first by
the original issue time, over every service the desk serves):

* a desk that is open and idle can call now;
* a desk busy with a ticket is free when that ticket is expected to end: the service's mean time
  at that desk, less what has already gone by (never less than a third of it: a service that has
  run long is not about to end at once);
* a paused desk is back when its pause is expected to end: the median length of earlier pauses
  with the same reason (today and the last 7 days), else of any pause, else one service time;
  a pause that has already lasted longer than that is expected to go on half as long again;
* a closed desk does not count; when no desk serving the service is open (or paused), there is no
  estimate at all (``None``: "Chưa có quầy mở"), since nobody knows when a desk will open;
* each ticket then holds its desk for the service's mean time at that desk.

Every estimate also says what it stands on (``estimate_kinds``): ``live`` (tickets of the service
finished today), ``history`` (only earlier days' tickets, of this service or of the center),
``no_history`` (nothing: the configured default service time), ``no_open_desk``.

``waiting_ahead`` stays what the ticket shows ("people before you in this service"); the replay
also counts the other services' tickets that share the same desks, which is what makes the
estimate right at desks serving several services.

Service times are the desk time of the last ``RECENT_TICKETS`` finished tickets of a service
(call to finish, last 30 days, so that the first tickets of a day are estimated from the days
before; outliers clipped at 3 × the median), until there are ``MIN_HISTORY`` of them the
configured default. Each desk gets a pace factor from its own recent
tickets against those means, shrunk towards 1. Every time constant is a fraction of the
configured default service time, so a center whose day is compressed (``hangdoi simulate``
divides the default by its speed) gets the same estimates, compressed.

Cost per estimate: three small indexed queries (desks with their current tickets, the services
of each desk, the day's waiting tickets of the services that share desks with this one), plus
one per service whose history cache was emptied by a finish. Above ``EXACT_LIMIT`` waiting
tickets the replay gives way to the fluid formula ``(ahead + 0.5) × mean / desks``.
"""
from __future__ import annotations

import heapq
import json
import time
from collections import deque
from dataclasses import dataclass, field

RECENT_TICKETS = 20
MIN_HISTORY = 3
HISTORY_WINDOW_S = 30 * 86400     # earlier days count: the morning's first estimates stand on them
EXACT_LIMIT = 400            # waiting tickets replayed one by one; past that, the fluid formula
PACE_PRIOR = 5.0             # a desk's pace counts as this many tickets at the mean pace, plus its own
FLOOR_FRACTION = 1 / 40      # a service time is at least default/40 (30 s when the default is 20 min)
RESIDUAL_MIN = 1 / 3         # a running service has at least a third of its mean left
PRIOR_WEIGHT = 2.0           # a service with little history: this many tickets at the center-wide mean


@dataclass(frozen=True)
class Capacity:
    open_desks: int     # desks of the service with an officer at work (open or paused)
    idle_desks: int     # open desks with nobody in front of them
    all_desks: int      # active desks configured for the service


# ---- service times ----------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    mean_s: float                               # desk time per ticket of the service
    durations: tuple[tuple[int, float], ...]    # (desk, seconds) of the recent tickets it came from
    latest_day: str | None = None               # the day of the most recent of them


class ServiceTimes:
    """Recent service times per service, cached until a ticket of the service is finished (or
    ``TTL_S`` pass); plus the lengths of recent pauses, cached until the set of paused desks changes."""

    TTL_S = 60.0

    LAYOUT_TTL_S = 60.0          # which desk serves what changes only when the config is synced

    def __init__(self):
        self._cache: dict[str, tuple[History, float]] = {}
        self._pauses: tuple[object, dict[str | None, float]] | None = None
        self._layout: tuple[float, dict[int, tuple[str, ...]], dict[str, frozenset[str]]] | None = None
        self._version = 0
        self._derived_at: tuple[int, tuple] = (-1, ())
        self.halls: dict[tuple, object] = {}   # the desks' model per (services, desk rows, second): see _hall

    def layout(self, db) -> tuple[dict[int, tuple[str, ...]], dict[str, frozenset[str]]]:
        """(desk → its active services, service → the services sharing desks with it), cached."""
        now = time.monotonic()
        if self._layout is None or not 0 <= now - self._layout[0] < self.LAYOUT_TTL_S:
            services_of = _services_of(db)
            self._layout = (now, services_of, _components(services_of))
        return self._layout[1], self._layout[2]

    def history(self, db, service: str, now: float, default_s: float) -> History:
        hit = self._cache.get(service)
        if hit is not None and 0 <= now - hit[1] < self.TTL_S:
            return hit[0]
        value = service_history(db, service, now, default_s)
        self._cache[service] = (value, now)
        self._version += 1
        return value

    def get(self, db, service: str, now: float, default_s: float) -> float:
        return self.history(db, service, now, default_s).mean_s

    def invalidate(self, service: str) -> None:
        if self._cache.pop(service, None) is not None:
            self._version += 1

    def _derived(self) -> tuple[History, dict[int, float]]:
        """Every cached service's recent tickets pooled, and each desk's pace: recomputed only
        when the cache changed."""
        if self._derived_at[0] != self._version:
            histories = {s: h for s, (h, _) in list(self._cache.items())}
            pooled = tuple((None, d) for h in histories.values() for _, d in h.durations)
            self._derived_at = (self._version, (History(0.0, pooled), _paces(histories)))
        return self._derived_at[1]

    def pooled_mean(self, default_s: float, running: list[float]) -> float:
        """The prior of a service with little history: the center-wide mean over every cached
        service's recent tickets and the tickets at the desks now (see ``service_mean``), itself
        starting from the configured default."""
        return service_mean(self._derived()[0], default_s, running)

    def paces(self) -> dict[int, float]:
        return self._derived()[1]

    def pause_lengths(self, db, key, days: list[str]) -> dict[str | None, float]:
        """Median pause length by reason (``None``: any reason), recomputed when ``key`` changes."""
        cached = self._pauses
        if cached is not None and cached[0] == key:
            return cached[1]
        value = pause_lengths(db, days)
        self._pauses = (key, value)
        return value


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def _clipped_mean(xs: list[float]) -> float:
    cap = 3 * _median(xs)
    return sum(min(x, cap) for x in xs) / len(xs)


def service_mean(h: History, prior_s: float, running: list[float]) -> float:
    """A service's mean desk time: its recent tickets (clipped at 3 × their median; below
    ``MIN_HISTORY`` of them, plus ``PRIOR_WEIGHT`` tickets at ``prior_s``), and the tickets at its
    desks right now, each counted as what it has run so far plus what a running ticket still needs
    (so that the first tickets to finish in the morning, the quickest, do not make the service
    look quicker than it is)."""
    xs = [d for _, d in h.durations]
    if len(xs) >= MIN_HISTORY:
        cap = 3 * _median(xs)
        total, n = sum(min(x, cap) for x in xs), len(xs)
    else:
        total, n = sum(xs) + PRIOR_WEIGHT * prior_s, len(xs) + PRIOR_WEIGHT
    m = total / n
    for elapsed in running:
        total += elapsed + max(m - elapsed, RESIDUAL_MIN * m)
        n += 1
    return total / n


def service_history(db, service: str, now: float, default_s: float) -> History:
    rows = db.execute(
        "SELECT desk, finished_at - called_at, day FROM tickets WHERE status = 'done' AND service = ? "
        "AND finished_at > ? AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
        [service, now - HISTORY_WINDOW_S, RECENT_TICKETS],
    ).fetchall()
    floor = default_s * FLOOR_FRACTION
    durations = tuple((r[0], max(floor, float(r[1]))) for r in rows if r[1] is not None)
    latest = next((r[2] for r in rows if r[1] is not None), None)
    if len(durations) < MIN_HISTORY:
        return History(default_s, durations, latest)
    cap = 3 * _median([d for _, d in durations])
    mean = sum(min(d, cap) for _, d in durations) / len(durations)
    return History(max(floor, mean), durations, latest)


def mean_service_s(db, service: str, now: float, default_s: float) -> float:
    return service_history(db, service, now, default_s).mean_s


def pause_lengths(db, days: list[str]) -> dict[str | None, float]:
    """Median length of the pauses that ended on ``days``, by reason and over all."""
    marks = ", ".join("?" * len(days))
    rows = db.execute(
        f"SELECT desk, type, at, data FROM events WHERE day IN ({marks}) "
        "AND type IN ('paused', 'resumed', 'desk_closed') ORDER BY id", list(days)).fetchall()
    open_pause: dict[int, tuple[float, str | None]] = {}
    lengths: dict[str | None, list[float]] = {None: []}
    for desk, type_, at, data in rows:
        if type_ == "paused":
            try:
                reason = (json.loads(data) or {}).get("reason") if data else None
            except ValueError:
                reason = None
            open_pause[desk] = (at, (reason or "").strip().lower() or None)
        elif desk in open_pause:
            started, reason = open_pause.pop(desk)
            lengths[None].append(at - started)
            lengths.setdefault(reason, []).append(at - started)
    return {reason: _median(xs) for reason, xs in lengths.items() if xs}


# ---- the state of the hall --------------------------------------------------------------------
@dataclass
class _Desk:
    number: int
    services: tuple[str, ...]
    free_at: float
    streak: int
    pace: float = 1.0


@dataclass
class _Hall:
    now: float
    day: str
    desks: list[_Desk]                          # desks that will call (open or paused)
    services_of: dict[int, tuple[str, ...]]     # every active desk → its active services
    means: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)     # service → what its estimate stands on


def _desk_rows(db):
    return db.execute(
        "SELECT d.number, d.state, d.paused_at, d.pause_reason, d.priority_streak, t.service, t.called_at "
        "FROM desks d LEFT JOIN tickets t ON t.id = d.current_ticket WHERE d.active = 1").fetchall()


def _services_of(db) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for desk, service in db.execute(
            "SELECT ds.desk, ds.service FROM desk_services ds JOIN services s ON s.code = ds.service "
            "JOIN desks d ON d.number = ds.desk WHERE s.active = 1 AND d.active = 1 ORDER BY ds.desk, s.position"):
        out.setdefault(desk, []).append(service)
    return {k: tuple(v) for k, v in out.items()}


def _components(services_of: dict[int, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Each service → the services linked to it through desks that serve several of them."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for svcs in services_of.values():
        for other in svcs[1:]:
            parent[find(other)] = find(svcs[0])
        find(svcs[0])
    groups: dict[str, set[str]] = {}
    for s in parent:
        groups.setdefault(find(s), set()).add(s)
    return {s: frozenset(groups[find(s)]) for s in parent}


def _hall(db, ctx, services: frozenset[str] | None) -> _Hall:
    """Desks that serve any of ``services`` (None: all), each with the time it can next call.

    Built at most once a second for the same desks in the same state: the rows of every desk
    (state, current ticket, call time, streak) are the key, so any call, finish or pause makes a
    new one, and a burst of tickets at the kiosk reuses it."""
    now = ctx.clock.now()
    all_rows = _desk_rows(db)
    cache = ctx.service_times.halls
    key = (services, tuple(all_rows), int(now))
    hit = cache.get(key)
    if hit is not None:
        return hit
    if len(cache) > 64:
        cache.clear()
    hall = cache[key] = _build_hall(db, ctx, services, now, all_rows)
    return hall


def _build_hall(db, ctx, services, now: float, all_rows) -> _Hall:
    default = ctx.default_service_s
    times = ctx.service_times
    services_of, _ = times.layout(db)
    rows = [r for r in all_rows if r[0] in services_of
            and (services is None or any(s in services for s in services_of[r[0]]))]
    wanted = set(s for r in rows for s in services_of[r[0]])
    histories = {s: times.history(db, s, now, default) for s in wanted}
    running: dict[str, list[float]] = {}
    for r in all_rows:
        if r[5] is not None and r[6] is not None and r[1] != "closed":
            running.setdefault(r[5], []).append(max(0.0, now - r[6]))
    prior = times.pooled_mean(default, [e for es in running.values() for e in es])
    means = {s: max(default * FLOOR_FRACTION, service_mean(h, prior, running.get(s, [])))
             for s, h in histories.items()}
    pace = times.paces()
    pauses = None
    desks: list[_Desk] = []
    for number, state, paused_at, reason, streak, current_service, called_at in rows:
        p = pace.get(number, 1.0)
        if state == "closed":
            continue
        free_at = now
        if current_service is not None and called_at is not None:
            expected = means.get(current_service) or times.get(db, current_service, now, default)
            expected *= p
            free_at = now + max(expected - (now - called_at), expected * RESIDUAL_MIN)
        if state == "paused":
            if pauses is None:
                key = tuple(sorted((r[0], r[2]) for r in all_rows if r[1] == "paused"))
                days = sorted({ctx.clock.day_of(now - k * 86400) for k in range(8)})
                pauses = times.pause_lengths(db, key, days)
            reason_key = (reason or "").strip().lower() or None
            typical = pauses.get(reason_key) or pauses.get(None) or default
            elapsed = now - (paused_at or now)
            # a pause already longer than usual is not about to end: expect half as long again
            free_at = max(free_at, now + max(typical - elapsed, 0.5 * elapsed))
        desks.append(_Desk(number, services_of[number], free_at, streak or 0, p))
    covered = {s for d in desks for s in d.services}
    pooled = bool(times._derived()[0].durations)
    kinds = {}
    for s, h in histories.items():
        if s not in covered:
            kinds[s] = "no_open_desk"
        elif h.durations and h.latest_day == ctx.clock.day_of(now):
            kinds[s] = "live"
        elif h.durations or pooled:
            kinds[s] = "history"
        else:
            kinds[s] = "no_history"
    return _Hall(now, ctx.clock.day_of(now), desks, services_of, means, kinds)


def _paces(histories: dict[str, History]) -> dict[int, float]:
    """Each desk's pace: its recent durations against the services' means, shrunk towards 1."""
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for service, h in histories.items():
        if len(h.durations) < MIN_HISTORY or h.mean_s <= 0:
            continue
        for desk, seconds in h.durations:
            if desk is None:
                continue
            sums[desk] = sums.get(desk, 0.0) + min(seconds / h.mean_s, 3.0)
            counts[desk] = counts.get(desk, 0) + 1
    return {d: min(2.0, max(0.5, (sums[d] + PACE_PRIOR) / (counts[d] + PACE_PRIOR))) for d in sums}


# ---- the replay -------------------------------------------------------------------------------
def _waiting(db, day: str, services):
    """The day's waiting tickets of ``services``: (id, service, prio, queued_at)."""
    if not services:
        return []
    marks = ", ".join("?" * len(services))
    return db.execute(
        f"SELECT id, service, prio, queued_at FROM tickets WHERE day = ? AND status = 'waiting' "
        f"AND service IN ({marks})", [day, *sorted(services)]).fetchall()


def _replay(hall: _Hall, tickets, max_in_row: int, target: int | None = None):
    """Play the desks forward. Returns ({ticket id: time called}, {desk: time it runs out of tickets})."""
    queues: dict[str, tuple[deque, deque]] = {}
    for tid, service, prio, _ in sorted(tickets, key=lambda r: r[0]):    # issue sequence, as the desks call
        queues.setdefault(service, (deque(), deque()))[1 if prio else 0].append((tid, tid, service))
    desks = hall.desks
    # each desk's queues, looked up once; the streaks are this replay's own (the hall is cached
    # and shared by the next estimates, so it is never changed here)
    lines = [[queues[s] for s in d.services if s in queues] for d in desks]
    streaks = [d.streak for d in desks]
    heap = [(d.free_at, i) for i, d in enumerate(desks)]
    heapq.heapify(heap)
    called: dict[int, float] = {}
    drained: dict[int, float] = {}
    means = hall.means
    while heap:
        t, i = heapq.heappop(heap)
        first_p = first_n = None
        for normal, priority in lines[i]:
            if priority and (first_p is None or priority[0] < first_p):
                first_p = priority[0]
            if normal and (first_n is None or normal[0] < first_n):
                first_n = normal[0]
        if first_p is not None and (first_n is None or streaks[i] < max_in_row):
            pick, streaks[i] = first_p, (streaks[i] + 1 if first_n else 0)
            queues[pick[2]][1].popleft()
        elif first_n is not None:
            pick, streaks[i] = first_n, 0
            queues[pick[2]][0].popleft()
        else:
            number = desks[i].number
            drained[number] = min(t, drained.get(number, t))
            continue
        called[pick[1]] = t
        if pick[1] == target:
            break
        heapq.heappush(heap, (t + means.get(pick[2], 0.0) * desks[i].pace, i))
    return called, drained


def _fluid(hall: _Hall, service: str, ahead: int, waiting_by_service: dict[str, int], default_s: float) -> int:
    """(ahead + 0.5) × mean / desks, each desk counted for the share of its work this service is."""
    mean = hall.means.get(service, default_s)
    work = {s: n * hall.means.get(s, default_s) for s, n in waiting_by_service.items()}
    desks = 0.0
    for d in hall.desks:
        if service not in d.services:
            continue
        total = sum(work.get(s, 0.0) for s in d.services)
        desks += work.get(service, 0.0) / total if total else 1 / len(d.services)
    return int(round((ahead + 0.5) * mean / (desks or 1)))


def _counts(db, day: str, services) -> dict[str, int]:
    if not services:
        return {}
    marks = ", ".join("?" * len(services))
    return dict(db.execute(f"SELECT service, sum(n) FROM waiting_counts WHERE day = ? AND service IN ({marks}) "
                           f"GROUP BY service HAVING sum(n) > 0", [day, *sorted(services)]).fetchall())


# ---- what the views ask -----------------------------------------------------------------------
def _group_hall(db, ctx, service: str) -> tuple[frozenset[str], _Hall]:
    _, groups = ctx.service_times.layout(db)
    group = groups.get(service, frozenset((service,)))
    return group, _hall(db, ctx, group)


def estimate_for_ticket(db, ctx, row: dict, ahead: int) -> int | None:
    """Seconds until the waiting ticket ``row`` (a ``views.ticket_row``) is expected to be called;
    None when no open desk serves its service."""
    group, hall = _group_hall(db, ctx, row["service"])
    if not any(row["service"] in d.services for d in hall.desks):
        return None
    counts = _counts(db, row["day"], group)
    if sum(counts.values()) > EXACT_LIMIT:
        return _fluid(hall, row["service"], ahead, counts, ctx.default_service_s)
    called, _ = _replay(hall, _waiting(db, row["day"], group), ctx.priority_max_in_row, target=row["id"])
    if row["id"] not in called:
        return 0
    return int(round(max(0.0, called[row["id"]] - hall.now)))


def estimate_kind(db, ctx, service: str) -> str:
    """What a waiting ticket's estimate of ``service`` stands on (see the module's text)."""
    _, hall = _group_hall(db, ctx, service)
    return hall.kinds.get(service, "no_open_desk")


def estimate_kinds(db, ctx) -> dict[str, str]:
    """The same for every service, as ``estimates_for_new_tickets`` sees them."""
    return dict(_hall(db, ctx, None).kinds)


def estimates_for_waiting(db, ctx, services) -> dict[int, int | None]:
    """Seconds until each waiting ticket of ``services`` is called, from one replay per group of
    services sharing desks (what the followers of many tickets are sent after a change)."""
    _, groups = ctx.service_times.layout(db)
    out: dict[int, int | None] = {}
    done: set[str] = set()
    for service in sorted(services):
        if service in done:
            continue
        group = groups.get(service, frozenset((service,)))
        done |= group
        hall = _hall(db, ctx, group)
        tickets = _waiting(db, hall.day, group)
        covered = {s for d in hall.desks for s in d.services}
        if sum(1 for _ in tickets) > EXACT_LIMIT:
            counts = _counts(db, hall.day, group)
            ordered = sorted(tickets, key=lambda r: (-r[2], r[3], r[0]))
            seen: dict[str, int] = {}
            for tid, svc, prio, queued_at in ordered:
                ahead = seen.get(svc, 0)
                seen[svc] = ahead + 1
                out[tid] = _fluid(hall, svc, ahead, counts, ctx.default_service_s) if svc in covered else None
            continue
        called, _ = _replay(hall, tickets, ctx.priority_max_in_row)
        for tid, svc, _, _ in tickets:
            if svc not in covered:
                out[tid] = None
            else:
                out[tid] = int(round(max(0.0, called[tid] - hall.now))) if tid in called else 0
    return out


def estimates_for_new_tickets(db, ctx) -> dict[str, int | None]:
    """For every service: seconds a normal ticket taken now would wait (``GET /queues``); None
    when no open desk serves it."""
    hall = _hall(db, ctx, None)
    day = hall.day
    all_services = {s for svcs in hall.services_of.values() for s in svcs}
    counts = _counts(db, day, all_services)
    out: dict[str, int] = {}
    if sum(counts.values()) > EXACT_LIMIT:
        covered = {s for d in hall.desks for s in d.services}
        for s in all_services:
            out[s] = _fluid(hall, s, counts.get(s, 0), counts, ctx.default_service_s) if s in covered else None
        return out
    _, drained = _replay(hall, _waiting(db, day, all_services), ctx.priority_max_in_row)
    for s in all_services:
        free = [drained[d.number] for d in hall.desks if s in d.services and d.number in drained]
        if free:
            out[s] = int(round(max(0.0, min(free) - hall.now)))
        else:                                       # no open desk serves it: nobody can tell
            out[s] = None
    return out


# ---- the old formula, kept for callers and comparisons ----------------------------------------
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
    """The first estimator (before the replay): 0 when a desk is idle, else (ahead + 0.5) × mean / desks."""
    if ahead < cap.idle_desks:
        return 0
    desks = cap.open_desks or cap.all_desks or 1
    return int(round((ahead + 0.5) * mean_s / desks))
