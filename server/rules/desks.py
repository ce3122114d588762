"""What an officer does at a desk: call next, recall, start, finish, no-show, transfer, pause, resume.

Every function runs inside one write (``BEGIN IMMEDIATE``) transaction opened by the caller,
so two desks pressing Next at the same moment are served one after the other and can never
take the same ticket.
"""
from __future__ import annotations

from . import events as ev
from .context import RuleContext
from .errors import Conflict, Invalid, NotFound
from .shapes import ticket_row, ticket_view


def _desk(db, number: int) -> dict:
    cur = db.execute("SELECT number, agency, state, current_ticket, priority_streak, officer "
                     "FROM desks WHERE number = ? AND active = 1", [number])
    row = cur.fetchone()
    if row is None:
        raise NotFound("unknown_desk", f"there is no desk {number}")
    return dict(zip([c[0] for c in cur.description], row))


def _current(db, desk: dict, *, allowed: tuple[str, ...] = ("called", "serving")) -> dict:
    if desk["current_ticket"] is None:
        raise Conflict("no_current_ticket", f"desk {desk['number']} has no current ticket")
    row = ticket_row(db, desk["current_ticket"])
    if row["status"] not in allowed:
        raise Conflict("invalid_state",
                       f"ticket {row['code']} is {row['status']}; this needs a ticket that is {' or '.join(allowed)}")
    return row


def _event(db, ctx: RuleContext, actor: ev.Actor, type_: str, desk: int, row: dict | None, **data) -> ev.Event:
    now = ctx.clock.now()
    return ev.record(db, ctx.clock.day_of(now), actor, ev.Event(
        type_, now, ticket=row["id"] if row else None, desk=desk,
        service=row["service"] if row else None, data=data))


def _close_current(db, ctx, actor, desk: dict, status: str, event_type: str) -> ev.Event | None:
    """End the desk's current ticket with ``status`` and free the desk."""
    row = _current(db, desk)
    now = ctx.clock.now()
    db.execute("UPDATE tickets SET status = ?, finished_at = ? WHERE id = ?", [status, now, row["id"]])
    db.execute("UPDATE desks SET current_ticket = NULL, updated_at = ? WHERE number = ?", [now, desk["number"]])
    desk["current_ticket"] = None
    if status == "done":
        ctx.service_times.invalidate(row["service"])
    return _event(db, ctx, actor, event_type, desk["number"], row, code=row["code"])


def _open(db, ctx, actor, desk: dict) -> list[ev.Event]:
    """An officer pressing a desk's buttons is at work there: open (or resume) the desk."""
    events = []
    if desk["state"] == "paused":
        events.append(_event(db, ctx, actor, ev.RESUMED, desk["number"], None))
    elif desk["state"] == "closed":
        events.append(_event(db, ctx, actor, ev.DESK_OPENED, desk["number"], None))
    if desk["officer"] is not None and desk["officer"] != actor.user_id and desk["state"] != "closed":
        # another officer sits down at a desk still open (or paused) under someone else's name
        events.append(_event(db, ctx, actor, ev.DESK_TAKEN_OVER, desk["number"], None, **{"from": desk["officer"]}))
    if events or desk["officer"] != actor.user_id:
        db.execute("UPDATE desks SET state = 'open', pause_reason = NULL, paused_at = NULL, officer = ? "
                   "WHERE number = ?", [actor.user_id, desk["number"]])
        desk["state"] = "open"
    return events


def _oldest_waiting(db, day: str, services: list[str], priority: bool) -> int | None:
    """The oldest waiting ticket of any of ``services``: one probe per service, then the oldest
    of those. Oldest by issue sequence (the ticket's id, given in commit order), not by the wall
    clock: a clock stepped back (NTP, a dead CMOS battery) must not put a new ticket first."""
    probe = ("SELECT * FROM (SELECT id FROM tickets WHERE day = ? AND service = ? AND prio = ? "
             "AND status = 'waiting' ORDER BY id LIMIT 1)")
    sql = " UNION ALL ".join([probe] * len(services)) + " ORDER BY id LIMIT 1"
    params = [p for service in services for p in (day, service, int(priority))]
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None


def choose_next(db, day: str, services: list[str], streak: int, max_in_row: int) -> tuple[int | None, int]:
    """The ticket to call and the desk's new priority streak.

    Priority tickets go first, but after ``max_in_row`` priority calls in a row made while
    normal tickets waited, the oldest normal ticket is called. Order is by the original issue
    time, so a transferred ticket keeps its place.
    """
    if not services:
        return None, streak
    first_priority = _oldest_waiting(db, day, services, priority=True)
    first_normal = _oldest_waiting(db, day, services, priority=False)
    if first_priority and (first_normal is None or streak < max_in_row):
        return first_priority, (streak + 1 if first_normal else 0)
    return first_normal, 0


def call_next(db, ctx: RuleContext, actor: ev.Actor, number: int):
    """Finish the desk's current ticket, if any, and call the next one (or none when nobody waits)."""
    desk = _desk(db, number)
    events = []
    if desk["current_ticket"] is not None:
        events.append(_close_current(db, ctx, actor, desk, "done", ev.FINISHED))
    events += _open(db, ctx, actor, desk)
    now = ctx.clock.now()
    services = [r[0] for r in db.execute(
        "SELECT ds.service FROM desk_services ds JOIN services s ON s.code = ds.service "
        "WHERE ds.desk = ? AND s.active = 1", [number])]
    ticket_id, streak = choose_next(db, ctx.clock.day_of(now), services, desk["priority_streak"],
                                    ctx.priority_max_in_row)
    db.execute("UPDATE desks SET priority_streak = ?, current_ticket = ?, updated_at = ? WHERE number = ?",
               [streak, ticket_id, now, number])
    if ticket_id is None:
        return None, events
    db.execute("UPDATE tickets SET status = 'called', called_at = ?, desk = ?, officer = ? WHERE id = ?",
               [now, number, actor.user_id, ticket_id])
    row = ticket_row(db, ticket_id)
    events.append(_event(db, ctx, actor, ev.CALLED, number, row, code=row["code"],
                         wait_s=round(max(0.0, now - row["queued_at"]), 3)))
    return ticket_view(db, ctx, row), events


def recall(db, ctx, actor, number: int):
    desk = _desk(db, number)
    row = _current(db, desk, allowed=("called",))
    db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", [row["id"]])
    event = _event(db, ctx, actor, ev.RECALLED, number, row, code=row["code"])
    return ticket_view(db, ctx, row), [event]


def start(db, ctx, actor, number: int):
    desk = _desk(db, number)
    row = _current(db, desk, allowed=("called",))
    now = ctx.clock.now()
    db.execute("UPDATE tickets SET status = 'serving', started_at = ? WHERE id = ?", [now, row["id"]])
    event = _event(db, ctx, actor, ev.STARTED, number, row, code=row["code"])
    return ticket_view(db, ctx, ticket_row(db, row["id"])), [event]


def finish(db, ctx, actor, number: int):
    desk = _desk(db, number)
    ticket_id = desk["current_ticket"]
    event = _close_current(db, ctx, actor, desk, "done", ev.FINISHED)
    return ticket_view(db, ctx, ticket_row(db, ticket_id)), [event]


def no_show(db, ctx, actor, number: int):
    desk = _desk(db, number)
    _current(db, desk, allowed=("called",))
    ticket_id = desk["current_ticket"]
    event = _close_current(db, ctx, actor, desk, "no_show", ev.NO_SHOW)
    return ticket_view(db, ctx, ticket_row(db, ticket_id)), [event]


def transfer(db, ctx, actor, number: int, service: str):
    """The current ticket waits again, for ``service``, keeping its code and its place by issue time."""
    desk = _desk(db, number)
    row = _current(db, desk)
    target = db.execute("SELECT code, agency FROM services WHERE code = ? AND active = 1", [service]).fetchone()
    if target is None:
        raise NotFound("unknown_service", f"there is no service {service!r}")
    now = ctx.clock.now()
    db.execute(
        "UPDATE tickets SET status = 'waiting', service = ?, agency = ?, desk = NULL, called_at = NULL, "
        "started_at = NULL, transfers = transfers + 1 WHERE id = ?", [target[0], target[1], row["id"]])
    db.execute("UPDATE desks SET current_ticket = NULL, updated_at = ? WHERE number = ?", [now, number])
    event = _event(db, ctx, actor, ev.TRANSFERRED, number, row, code=row["code"],
                   from_service=row["service"], to_service=target[0])
    return ticket_view(db, ctx, ticket_row(db, row["id"])), [event]


def pause(db, ctx, actor, number: int, reason: str):
    reason = reason.strip()
    if not reason:
        raise Invalid("invalid_reason", "say why the desk pauses (a short reason)")
    desk = _desk(db, number)
    if desk["state"] == "paused":
        raise Conflict("already_paused", f"desk {number} is already paused")
    now = ctx.clock.now()
    db.execute("UPDATE desks SET state = 'paused', pause_reason = ?, paused_at = ?, officer = ?, updated_at = ? "
               "WHERE number = ?", [reason, now, actor.user_id, now, number])
    return None, [_event(db, ctx, actor, ev.PAUSED, number, None, reason=reason)]


def resume(db, ctx, actor, number: int):
    desk = _desk(db, number)
    if desk["state"] != "paused":
        raise Conflict("not_paused", f"desk {number} is not paused")
    return None, _open(db, ctx, actor, desk)


def close_desk(db, ctx, actor, number: int):
    """The officer signs out of the desk: it no longer counts as open for estimates."""
    desk = _desk(db, number)
    if desk["current_ticket"] is not None:
        raise Conflict("desk_busy", f"desk {number} still has a ticket; finish or transfer it first")
    if desk["state"] == "closed":
        return None, []
    now = ctx.clock.now()
    db.execute("UPDATE desks SET state = 'closed', pause_reason = NULL, paused_at = NULL, officer = NULL, "
               "priority_streak = 0, updated_at = ? WHERE number = ?", [now, number])
    return None, [_event(db, ctx, actor, ev.DESK_CLOSED, number, None)]
