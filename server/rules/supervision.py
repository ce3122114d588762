"""What a supervisor does to a ticket from the supervision page: call it to a chosen desk,
reactivate a no-show, cancel it, move it to another service. Each is one write transaction
with one event, like the desk rules.

- **call to a desk**: a ticket of today that waits, to a desk that is open (an officer is signed
  in, not paused), idle, and offers the ticket's service (move the ticket first otherwise). The
  ticket is called in the name of the desk's officer (who serves it); the event records the
  supervisor. It is a ``called`` event like any other: the hall board and the desk display
  announce it.
- **reactivate**: a no-show of today waits again, at its original place (by issue time): the
  visitor who came back late is called next. ``reactivated`` event.
- **cancel**: a waiting or called ticket is cancelled (a called one frees its desk); a ticket
  being served is the officer's to finish. ``cancelled`` event, with the reason.
- **move**: a waiting ticket waits for another service instead, keeping its code and its place;
  a ``transferred`` event without a desk.
"""
from __future__ import annotations

from . import events as ev
from .context import RuleContext
from .errors import Conflict, NotFound
from .shapes import ticket_row, ticket_view

MAX_REASON = 200


def _ticket(db, ticket_id: int) -> dict:
    row = ticket_row(db, ticket_id)
    if row is None:
        raise NotFound("unknown_ticket", f"there is no ticket {ticket_id}")
    row.update(dict(zip(("officer", "prio"), db.execute(
        "SELECT officer, prio FROM tickets WHERE id = ?", [ticket_id]).fetchone())))
    return row


def _require(row: dict, ctx: RuleContext, statuses: tuple[str, ...], *, today: bool = True) -> None:
    if row["status"] not in statuses:
        raise Conflict("invalid_state", f"ticket {row['code']} is {row['status']}; "
                                        f"this needs a ticket that is {' or '.join(statuses)}")
    if today and row["day"] != ctx.clock.day_of(ctx.clock.now()):
        raise Conflict("not_today", f"ticket {row['code']} is of {row['day']}, not of today")


def _record(db, ctx, actor, type_, row, desk=None, **data) -> ev.Event:
    now = ctx.clock.now()
    return ev.record(db, ctx.clock.day_of(now), actor, ev.Event(
        type_, now, ticket=row["id"], desk=desk, service=row["service"], data={"code": row["code"], **data}))


def call_ticket(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int, number: int):
    desk = db.execute("SELECT number, state, current_ticket, officer FROM desks WHERE number = ? AND active = 1",
                      [number]).fetchone()
    if desk is None:
        raise NotFound("unknown_desk", f"there is no desk {number}")
    row = _ticket(db, ticket_id)
    _require(row, ctx, ("waiting",))
    _, state, current, officer = desk
    if state == "closed":
        raise Conflict("desk_closed", f"nobody is signed in at desk {number}")
    if state == "paused":
        raise Conflict("desk_paused", f"desk {number} is paused")
    if current is not None:
        raise Conflict("desk_busy", f"desk {number} has a ticket already; it must finish it first")
    if db.execute("SELECT 1 FROM desk_services WHERE desk = ? AND service = ?", [number, row["service"]]).fetchone() is None:
        raise Conflict("service_not_at_desk",
                       f"desk {number} does not offer {row['service']}; move the ticket to one of its services first")
    now = ctx.clock.now()
    db.execute("UPDATE tickets SET status = 'called', called_at = ?, desk = ?, officer = ? WHERE id = ?",
               [now, number, officer, row["id"]])
    db.execute("UPDATE desks SET current_ticket = ?, updated_at = ? WHERE number = ?", [row["id"], now, number])
    row = ticket_row(db, row["id"])
    event = _record(db, ctx, actor, ev.CALLED, row, desk=number, wait_s=round(max(0.0, now - row["queued_at"]), 3),
                    by="supervisor")
    return ticket_view(db, ctx, row), [event]


def reactivate(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int):
    row = _ticket(db, ticket_id)
    _require(row, ctx, ("no_show",))
    db.execute("UPDATE tickets SET status = 'waiting', desk = NULL, officer = NULL, called_at = NULL, "
               "started_at = NULL, finished_at = NULL WHERE id = ?", [row["id"]])
    event = _record(db, ctx, actor, ev.REACTIVATED, row, from_desk=row["desk"])
    return ticket_view(db, ctx, ticket_row(db, row["id"])), [event]


def cancel(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int, reason: str | None):
    row = _ticket(db, ticket_id)
    _require(row, ctx, ("waiting", "called"), today=False)
    reason = (reason or "").strip()[:MAX_REASON] or None
    now = ctx.clock.now()
    db.execute("UPDATE tickets SET status = 'cancelled', finished_at = ? WHERE id = ?", [now, row["id"]])
    desk = db.execute("SELECT number FROM desks WHERE current_ticket = ?", [row["id"]]).fetchone()
    if desk is not None:
        db.execute("UPDATE desks SET current_ticket = NULL, updated_at = ? WHERE number = ?", [now, desk[0]])
    event = _record(db, ctx, actor, ev.CANCELLED, row, desk=desk[0] if desk else None, reason=reason,
                    from_status=row["status"])
    return ticket_view(db, ctx, ticket_row(db, row["id"])), [event]


def move(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int, service: str):
    row = _ticket(db, ticket_id)
    _require(row, ctx, ("waiting",))
    target = db.execute("SELECT code, agency FROM services WHERE code = ? AND active = 1", [service]).fetchone()
    if target is None:
        raise NotFound("unknown_service", f"there is no service {service!r}")
    if target[0] == row["service"]:
        raise Conflict("same_service", f"ticket {row['code']} already waits for {service}")
    db.execute("UPDATE tickets SET service = ?, agency = ?, transfers = transfers + 1 WHERE id = ?",
               [target[0], target[1], row["id"]])
    event = _record(db, ctx, actor, ev.TRANSFERRED, row, from_service=row["service"], to_service=target[0],
                    by="supervisor")
    return ticket_view(db, ctx, ticket_row(db, row["id"])), [event]


SUPERVISED_LIMIT = 500


def todays_tickets(db, day: str, statuses: list[str], agency: str | None) -> list[dict]:
    """The supervision page's list: the day's tickets in ``statuses`` (of one agency, or all),
    waiting ones first in the order they will be called, at most SUPERVISED_LIMIT."""
    cur = db.execute(
        "SELECT t.id, t.code, t.service, s.name AS service_name, t.agency, t.priority, t.status, t.issued_at, "
        "t.called_at, t.desk, t.queued_at, t.finished_at FROM tickets t JOIN services s ON s.code = t.service "
        f"WHERE t.day = ? AND t.status IN ({', '.join('?' * len(statuses))}) AND (? IS NULL OR t.agency = ?) "
        "ORDER BY t.status = 'waiting' DESC, t.prio DESC, t.queued_at, t.id LIMIT ?",
        [day, *statuses, agency, agency, SUPERVISED_LIMIT])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
