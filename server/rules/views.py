"""The public shape of tickets, desks and queues (contract section 3), read inside a transaction."""
from __future__ import annotations

from typing import Any

from .context import RuleContext
from .dossiers import ticket_dossiers
from .estimate import estimate_for_ticket, estimates_for_new_tickets

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
    """Tickets of the same service that will be called before this one (priority ones first)."""
    prio = int(row["priority"] is not None)
    ahead = db.execute(
        "SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND prio = ? AND status = 'waiting' "
        "AND (queued_at < ? OR (queued_at = ? AND id < ?))",
        [row["day"], row["service"], prio, row["queued_at"], row["queued_at"], row["id"]]).fetchone()[0]
    if not prio:
        ahead += db.execute(
            "SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND prio = 1 AND status = 'waiting'",
            [row["day"], row["service"]]).fetchone()[0]
    return ahead


def ticket_view(db, ctx: RuleContext, row: dict) -> dict[str, Any]:
    if row["status"] == "waiting":
        ahead = waiting_ahead(db, row)
        estimate = estimate_for_ticket(db, ctx, row, ahead)
    else:
        ahead, estimate = 0, 0
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
        "status_url": ctx.status_url(row["id"], row["secret"]),
        "dossiers": ticket_dossiers(db, row["id"]),      # issue 14: dossier codes joined at the desk
    }


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
    out = []
    for code, agency in db.execute("SELECT code, agency FROM services WHERE active = 1 ORDER BY position").fetchall():
        n, oldest = waiting.get(code, (0, None))
        out.append({
            "code": code,
            "agency": agency,
            "waiting": n,
            "estimated_wait_s": estimates.get(code, 0),
            "longest_wait_s": int(now - oldest) if oldest is not None else 0,
        })
    return out
