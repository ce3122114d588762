"""Issuing tickets: a daily number per prefix, never given twice in one local day."""
from __future__ import annotations

import secrets

from . import events as ev
from .context import PRIORITIES, RuleContext
from .errors import Invalid, NotFound
from .views import ticket_row, ticket_view


def format_code(prefix: str, number: int) -> str:
    """``A`` + 7 → ``A007``; numbers past 999 grow a digit instead of wrapping (``A1000``)."""
    return f"{prefix}{number:03d}"


def next_number(db, day: str, prefix: str) -> int:
    """Allocate the day's next number of a prefix. Call inside a write (IMMEDIATE) transaction."""
    row = db.execute(
        "INSERT INTO day_counters (day, prefix, last_number) VALUES (?, ?, 1) "
        "ON CONFLICT (day, prefix) DO UPDATE SET last_number = last_number + 1 RETURNING last_number",
        [day, prefix],
    ).fetchone()
    return row[0]


def issue_ticket(db, ctx: RuleContext, actor: ev.Actor, service: str, priority: str | None):
    """Issue a ticket for ``service``; returns (ticket view, events)."""
    if priority is not None and priority not in PRIORITIES:
        raise Invalid("invalid_priority", f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)} or null")
    svc = db.execute("SELECT code, agency, prefix FROM services WHERE code = ? AND active = 1", [service]).fetchone()
    if svc is None:
        raise NotFound("unknown_service", f"there is no service {service!r}")
    now = ctx.clock.now()
    day = ctx.clock.day_of(now)
    number = next_number(db, day, svc[2])
    code = format_code(svc[2], number)
    ticket_id = db.execute(
        "INSERT INTO tickets (day, code, prefix, number, service, agency, priority, prio, status, secret, "
        "issued_at, queued_at, kiosk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)",
        [day, code, svc[2], number, svc[0], svc[1], priority, int(priority is not None),
         secrets.token_urlsafe(12), now, now, actor.device],
    ).lastrowid
    view = ticket_view(db, ctx, ticket_row(db, ticket_id))
    db.execute("UPDATE tickets SET estimated_wait_s = ? WHERE id = ?", [view["estimated_wait_s"], ticket_id])
    event = ev.record(db, day, actor, ev.Event(
        ev.ISSUED, now, ticket=ticket_id, service=svc[0],
        data={"code": code, "priority": priority, "estimated_wait_s": view["estimated_wait_s"],
              "waiting_ahead": view["waiting_ahead"]}))
    if actor.role == "kiosk" and actor.device:
        _create_print_job(db, ticket_id, actor.device, now)
    return view, [event]


def _create_print_job(db, ticket_id: int, kiosk: str, now: float) -> None:
    """Printing (issue 4): a kiosk's ticket gets its print job in this same transaction, so a
    committed ticket always has a durable job for the kiosk's print agent (server.printing)."""
    from ..printing.jobs import create_job

    create_job(db, ticket_id, kiosk, now)
