"""Dossier codes joined to tickets (issue 14): the officer who serves a visitor records the codes
of the dossiers (hồ sơ) received, typed or scanned from the receipt. Each is one row of
``dossiers`` and one ``dossier_added`` event (the provincial hub reads it from the event log).

Who may add one (the officer at that ticket's desk, supervisors) is checked here too, since it
depends on the ticket: an officer of another desk is refused, whatever his agency.
"""
from __future__ import annotations

from ..lookup.dossiers import EXAMPLE, DossierPattern
from . import events as ev
from .context import RuleContext
from .errors import Conflict, Forbidden, Invalid, NotFound

DOSSIER_ADDED = "dossier_added"
MAX_PER_TICKET = 50


def ticket_dossiers(db, ticket_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM dossiers WHERE ticket = ? ORDER BY id", [ticket_id])]


def may_add(db, actor: ev.Actor, ticket_id: int) -> None:
    """Raise unless ``actor`` may join dossiers to the ticket."""
    row = db.execute("SELECT t.code, t.desk, t.officer, d.officer FROM tickets t "
                     "LEFT JOIN desks d ON d.number = t.desk WHERE t.id = ?", [ticket_id]).fetchone()
    if row is None:
        raise NotFound("unknown_ticket", f"there is no ticket {ticket_id}")
    code, desk, served_by, desk_officer = row
    if actor.role in ("supervisor", "admin"):
        return
    if actor.role == "officer" and actor.user_id is not None and actor.user_id in (served_by, desk_officer) \
            and desk is not None:
        return
    raise Forbidden("forbidden", f"ticket {code} is not served at your desk")


def add_dossier(db, ctx: RuleContext, actor: ev.Actor, ticket_id: int, code: str, pattern: DossierPattern):
    """Join a dossier code to a ticket; returns ({"ticket", "code", "dossiers"}, events)."""
    may_add(db, actor, ticket_id)
    normalized = pattern.normalize(code)
    if normalized is None:
        example = f" (e.g. {EXAMPLE})" if pattern.pattern == DossierPattern().pattern else ""
        raise Invalid("invalid_dossier_code",
                      f"Mã hồ sơ không đúng định dạng / the dossier code does not match the expected format{example}")
    tcode, desk, service, day = db.execute("SELECT code, desk, service, day FROM tickets WHERE id = ?",
                                           [ticket_id]).fetchone()
    existing = ticket_dossiers(db, ticket_id)
    if normalized in existing:
        raise Conflict("duplicate_dossier", f"dossier {normalized} is already joined to ticket {tcode}")
    if len(existing) >= MAX_PER_TICKET:
        raise Conflict("too_many_dossiers", f"a ticket may have at most {MAX_PER_TICKET} dossiers")
    now = ctx.clock.now()
    db.execute("INSERT INTO dossiers (ticket, code, at, desk, user_id) VALUES (?, ?, ?, ?, ?)",
               [ticket_id, normalized, now, desk, actor.user_id])
    event = ev.record(db, day, actor, ev.Event(DOSSIER_ADDED, now, ticket=ticket_id, desk=desk, service=service,
                                               data={"code": tcode, "dossier": normalized}))
    return {"ticket": ticket_id, "code": normalized, "dossiers": existing + [normalized]}, [event]
