"""The public shapes of tickets, desks and queues (T, D, Q of contract section 3), read inside a
transaction: what the API answers and the pushes carry."""
from __future__ import annotations

from typing import Any

from .context import RuleContext
from .dossiers import ticket_dossiers
from .estimate import estimate_for_ticket, estimate_kind, estimate_kinds, estimates_for_new_tickets
from .hours import next_opening

TICKET_COLUMNS = (
    "t.id, t.code, t.service, t.agency, t.priority, t.status, t.issued_at, t.queued_at, t.called_at, "
    "t.started_at, t.finished_at, t.desk, t.secret, t.day, t.estimated_wait_s AS issue_estimate_s, "
    "s.name AS service_name, a.name AS agency_name"
)
TICKET_FROM = "tickets t JOIN services s ON s.code = t.service JOIN agencies a ON a.code = t.agency"


def ticket_row(db, ticket_id: int) -> dict | None:
    cur = db.execute(f"SELECT {TICKET_COLUMNS} FROM {TICKET_FROM} WHERE t.id = ?", [ticket_id])
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row)) if row else None


def waiting_ahead(db, row: dict) -> int:
    """Tickets of the same service that will be called before this one (priority ones first):
    those issued before it (issue sequence, not the wall clock)."""
    prio = int(row["priority"] is not None)
    ahead = db.execute(
        "SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND prio = ? AND status = 'waiting' AND id < ?",
        [row["day"], row["service"], prio, row["id"]]).fetchone()[0]
    if not prio:
        ahead += db.execute(
            "SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND prio = 1 AND status = 'waiting'",
            [row["day"], row["service"]]).fetchone()[0]
    return ahead


def estimate_info(ctx: RuleContext, kind: str | None, seconds: int | None) -> dict[str, Any] | None:
    """The ``estimate`` of a ticket or queue: what ``estimated_wait_s`` stands on. ``kind`` is
    ``live``, ``history``, ``no_history`` (nothing to go on but the configured default: screens
    say so instead of a number) or ``no_open_desk`` (then ``estimated_wait_s`` is null, and
    ``opens_at`` is when the center opens next, if its opening hours say and it is closed now)."""
    if kind is None:
        return None
    if seconds is None:
        kind = "no_open_desk"
    opens_at = None
    if kind == "no_open_desk":
        opening = next_opening(ctx.opening_hours, ctx.clock.local())
        opens_at = opening.isoformat(timespec="minutes") if opening else None
    return {"kind": kind, "opens_at": opens_at}


def ticket_view(db, ctx: RuleContext, row: dict, known: tuple | None = None) -> dict[str, Any]:
    """``known``: (seconds, kind) of the ticket's estimate when the caller has them (``waiting_views``)."""
    if row["status"] == "waiting":
        ahead = row["ahead"] if "ahead" in row else waiting_ahead(db, row)
        if known is None:
            known = estimate_for_ticket(db, ctx, row, ahead), estimate_kind(db, ctx, row["service"])
        estimate = known[0]
        info = estimate_info(ctx, known[1], estimate)
    else:
        ahead, estimate, info = 0, 0, None
    iso = ctx.clock.iso
    return {
        "id": row["id"],
        "code": row["code"],
        "service": row["service"],
        "service_name": row["service_name"],
        "agency": row["agency"],
        "agency_name": row["agency_name"],
        "priority": row["priority"],
        "status": row["status"],
        "issued_at": iso(row["issued_at"]),
        "called_at": iso(row["called_at"]),
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
        "desk": row["desk"],
        "waiting_ahead": ahead,
        "estimated_wait_s": estimate,
        "estimate": info,
        "status_url": ctx.status_url(row["id"], row["secret"]),
        "dossiers": ticket_dossiers(db, row["id"]),      # issue 14: dossier codes joined at the desk
    }


def waiting_views(db, ctx: RuleContext, services, ids=None) -> dict[int, dict[str, Any]]:
    """``ticket_view`` of every waiting ticket of ``services`` (only ``ids``, if given), from one
    query and one replay per group of services sharing desks, instead of one replay per ticket."""
    from .estimate import estimates_for_waiting

    if not services:
        return {}
    day = ctx.clock.day_of(ctx.clock.now())
    marks = ", ".join("?" * len(services))
    cur = db.execute(f"SELECT {TICKET_COLUMNS}, t.prio FROM {TICKET_FROM} WHERE t.day = ? AND t.status = 'waiting' "
                     f"AND t.service IN ({marks})", [day, *sorted(services)])
    names = [c[0] for c in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    # waiting_ahead: priority tickets first, then by queue time (and id), per service
    rows.sort(key=lambda r: (r["service"], -r["prio"], r["queued_at"], r["id"]))
    prio_count: dict[str, int] = {}
    for r in rows:
        if r["prio"]:
            prio_count[r["service"]] = prio_count.get(r["service"], 0) + 1
    place: dict[tuple[str, int], int] = {}
    for r in rows:
        key = (r["service"], r["prio"])
        r["ahead"] = place.get(key, 0) + (0 if r["prio"] else prio_count.get(r["service"], 0))
        place[key] = place.get(key, 0) + 1
    wanted = [r for r in rows if ids is None or r["id"] in ids]
    if not wanted:
        return {}
    estimates = estimates_for_waiting(db, ctx, {r["service"] for r in wanted})
    kinds = {s: estimate_kind(db, ctx, s) for s in {r["service"] for r in wanted}}
    return {r["id"]: ticket_view(db, ctx, r, (estimates.get(r["id"]), kinds[r["service"]])) for r in wanted}


def desk_view(db, ctx: RuleContext, number: int) -> dict[str, Any] | None:
    cur = db.execute(
        "SELECT d.number, d.name, d.agency, a.name AS agency_name, d.state, d.pause_reason, d.paused_at, "
        "d.current_ticket, d.officer, u.username AS officer_name, d.active "
        "FROM desks d JOIN agencies a ON a.code = d.agency LEFT JOIN users u ON u.id = d.officer "
        "WHERE d.number = ?", [number])
    row = cur.fetchone()
    if row is None:
        return None
    desk = dict(zip([c[0] for c in cur.description], row))
    services = [r[0] for r in db.execute(
        "SELECT ds.service FROM desk_services ds JOIN services s ON s.code = ds.service "
        "WHERE ds.desk = ? ORDER BY s.position", [number])]
    current = ticket_row(db, desk["current_ticket"]) if desk["current_ticket"] else None
    waiting = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE day = ? AND status = 'waiting' AND service IN "
        f"({', '.join('?' * len(services))}) GROUP BY service", [ctx.clock.day_of(ctx.clock.now()), *services]
    ).fetchall()) if services else {}
    served_today = db.execute(
        "SELECT count(*) FROM tickets WHERE desk = ? AND day = ? AND status = 'done'",
        [number, ctx.clock.day_of(ctx.clock.now())]).fetchone()[0]
    officer_served_today = db.execute(
        "SELECT count(*) FROM tickets WHERE officer = ? AND day = ? AND status = 'done'",
        [desk["officer"], ctx.clock.day_of(ctx.clock.now())]).fetchone()[0] if desk["officer"] else 0
    return {
        "number": desk["number"],
        "name": desk["name"],
        "agency": desk["agency"],
        "agency_name": desk["agency_name"],
        "state": desk["state"],
        "pause_reason": desk["pause_reason"],
        "paused_at": ctx.clock.iso(desk["paused_at"]),
        "officer": desk["officer_name"],
        "services": [{"code": s, "waiting": waiting.get(s, 0)} for s in services],
        "current_ticket": ticket_view(db, ctx, current) if current else None,
        "served_today": served_today,
        "officer_served_today": officer_served_today,   # by the desk's officer, at any desk
    }


def queues_view(db, ctx: RuleContext) -> list[dict[str, Any]]:
    """Every active service: how many wait today, and the estimate for a ticket taken now."""
    now = ctx.clock.now()
    day = ctx.clock.day_of(now)
    waiting = {service: (count, oldest) for service, count, oldest in db.execute(
        "SELECT service, count(*), min(queued_at) FROM tickets WHERE day = ? AND status = 'waiting' "
        "GROUP BY service", [day]).fetchall()}
    estimates = estimates_for_new_tickets(db, ctx)
    kinds = estimate_kinds(db, ctx)
    out = []
    for code, agency in db.execute("SELECT code, agency FROM services WHERE active = 1 ORDER BY position").fetchall():
        n, oldest = waiting.get(code, (0, None))
        out.append({
            "code": code,
            "agency": agency,
            "waiting": n,
            "estimated_wait_s": estimates.get(code),
            "estimate": estimate_info(ctx, kinds.get(code, "no_open_desk"), estimates.get(code)),
            "longest_wait_s": int(now - oldest) if oldest is not None else 0,
        })
    return out


def snapshot_desk_rows(db) -> list[dict]:
    """Every active desk in the short shape of a screen's ``snapshot["desks"]``."""
    rows = db.execute(
        "SELECT d.number, d.name, d.agency, d.state, d.pause_reason, t.code, t.status, t.id, t.service "
        "FROM desks d LEFT JOIN tickets t ON t.id = d.current_ticket WHERE d.active = 1 ORDER BY d.position").fetchall()
    return [{"number": r[0], "name": r[1], "agency": r[2], "state": r[3], "pause_reason": r[4],
             "current": {"id": r[7], "code": r[5], "status": r[6], "service": r[8]} if r[5] else None} for r in rows]


def ticket_origin(db, ticket_id: int) -> tuple[str | None, float] | None:
    """(the kiosk that issued a ticket, or None, and when), or None when there is no such ticket."""
    row = db.execute("SELECT kiosk, issued_at FROM tickets WHERE id = ?", [ticket_id]).fetchone()
    return (row[0], row[1]) if row else None


def agency_exists(db, code: str) -> bool:
    return db.execute("SELECT 1 FROM agencies WHERE code = ?", [code]).fetchone() is not None
