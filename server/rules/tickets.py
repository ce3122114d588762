"""Issuing tickets: a daily number per prefix, never given twice in one local day."""
from __future__ import annotations

import math
import secrets

from . import events as ev
from .context import PRIORITIES, RuleContext
from .errors import Invalid, NotFound, RateLimited
from .hours import check_issuing
from .shapes import ticket_row, ticket_view


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


KIOSK_WINDOW_S = 60.0


def check_kiosk_rate(db, kiosk: str, now: float, limit: int) -> None:
    """Refuse a kiosk's ticket when it already issued ``limit`` tickets in the last minute.

    Counted from the tickets table inside the issuing (IMMEDIATE) transaction, so the limit is
    exact even with several server processes on one database. Only the tickets of the window are
    read (``tickets_issued`` index, newest first); the limit itself bounds how many that can be.

    The window is bounded on both sides: tickets stamped after ``now`` (the wall clock has been
    stepped back since) do not count, so Retry-After never exceeds the window's 60 s.
    """
    row = db.execute(
        "SELECT issued_at FROM tickets WHERE issued_at > ? AND issued_at <= ? AND kiosk = ? "
        "ORDER BY issued_at DESC LIMIT 1 OFFSET ?",
        [now - KIOSK_WINDOW_S, now, kiosk, limit - 1]).fetchone()
    if row is None:
        return
    retry = min(int(KIOSK_WINDOW_S), max(1, math.ceil(row[0] + KIOSK_WINDOW_S - now)))
    raise RateLimited(
        "rate_limited",
        f"Ki-ốt đã cấp {limit} số trong một phút vừa qua; xin thử lại sau {retry} giây "
        f"(this kiosk issued {limit} tickets in the last minute; try again in {retry} s).", retry)


def issue_ticket(db, ctx: RuleContext, actor: ev.Actor, service: str, priority: str | None):
    """Issue a ticket for ``service``; returns (ticket view, events).

    A kiosk that issued ``ctx.kiosk_tickets_per_minute`` tickets in the last 60 s gets
    ``RateLimited`` (0 = no limit); a kiosk outside ``ctx.opening_hours`` gets ``CenterClosed``.
    Staff-issued tickets are never limited nor refused for the hour."""
    check_issuing(ctx.opening_hours, actor.role, ctx.clock.local())
    if priority is not None and priority not in PRIORITIES:
        raise Invalid("invalid_priority", f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)} or null")
    svc = db.execute("SELECT code, agency, prefix FROM services WHERE code = ? AND active = 1", [service]).fetchone()
    if svc is None:
        raise NotFound("unknown_service", f"there is no service {service!r}")
    now = ctx.clock.now()
    if ctx.kiosk_tickets_per_minute > 0 and actor.role == "kiosk" and actor.device:
        check_kiosk_rate(db, actor.device, now, ctx.kiosk_tickets_per_minute)
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
