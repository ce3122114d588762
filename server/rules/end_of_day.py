"""End of day: a new local day starts clean.

At local midnight (and when the server starts after a night off) every ticket of an earlier day
that is still ``waiting``, ``called`` or ``serving`` is closed as **cancelled** — not served —
with one ``closed_end_of_day`` event each, and every desk is reset to closed (no officer, no
current ticket, no pause).

Why ``cancelled`` and not ``no_show``: in the reports ``no_show`` is an officer's judgement at a
desk ("called, did not come"); a ticket left over at midnight was closed by the system, mostly
never called at all. Counting those as no-shows would blame desks for the queue's length. The
event keeps what the ticket was (``from_status``), so the log tells both cases apart. A ticket
still ``serving`` at midnight was most likely served and not finished; we cannot know when it
ended, so it is cancelled too and has no service time (it still has its wait).

``finished_at`` of a closed ticket is the local midnight that ended its day (not the moment of the
close, which may be days later after a night off), so "how long it waited" stays true. The close
event is filed under the ticket's own day (``events.day``), with ``closed_on`` in its data.

Desks are reset once per local day: the date of the last reset is kept in ``settings``
(``end_of_day_done``), so a server restarted at 10:00 does not sign out the officers at work.
"""
from __future__ import annotations

from datetime import date

from . import events as ev
from .context import RuleContext

OPEN_STATUSES = ("waiting", "called", "serving")
SETTING_KEY = "end_of_day_done"


def close_earlier_days(db, ctx: RuleContext, actor: ev.Actor = ev.SYSTEM):
    """Close what is left of earlier days; returns ({"tickets": n, "desks": n, "day": today}, events)."""
    now = ctx.clock.now()
    today = ctx.clock.day_of(now)
    events: list[ev.Event] = []
    rows = db.execute(
        "SELECT id, day, code, service, status, desk FROM tickets "
        "WHERE day < ? AND status IN ('waiting', 'called', 'serving') ORDER BY id", [today]).fetchall()
    for tid, day, code, service, status, desk in rows:
        ended = min(now, ctx.clock.end_of_day(date.fromisoformat(day)))
        db.execute("UPDATE tickets SET status = 'cancelled', finished_at = ? WHERE id = ?", [ended, tid])
        events.append(ev.record(db, day, actor, ev.Event(
            ev.CLOSED_END_OF_DAY, now, ticket=tid, desk=desk, service=service,
            data={"code": code, "from_status": status, "closed_on": today})))
    stale = {r[0] for r in db.execute(
        "SELECT d.number FROM desks d JOIN tickets t ON t.id = d.current_ticket WHERE t.day < ?", [today])}
    done = db.execute("SELECT value FROM settings WHERE key = ?", [SETTING_KEY]).fetchone()
    reset_all = done is None or done[0] < today
    # a desk serving one of today's tickets is at work now: it is never signed out under it
    desks = db.execute(
        "SELECT d.number FROM desks d LEFT JOIN tickets t ON t.id = d.current_ticket "
        "WHERE (d.state != 'closed' OR d.current_ticket IS NOT NULL OR d.officer IS NOT NULL) "
        "AND (t.id IS NULL OR t.day < ?) ORDER BY d.position", [today]).fetchall() if reset_all else []
    closed = sorted({r[0] for r in desks} | stale)
    for number in closed:
        db.execute("UPDATE desks SET state = 'closed', current_ticket = NULL, officer = NULL, pause_reason = NULL, "
                   "paused_at = NULL, priority_streak = 0, updated_at = ? WHERE number = ?", [now, number])
        events.append(ev.record(db, today, actor, ev.Event(
            ev.DESK_CLOSED, now, desk=number, data={"reason": "end_of_day"})))
    if reset_all:
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   [SETTING_KEY, today])
    return {"day": today, "tickets": len(rows), "desks": len(closed)}, events
