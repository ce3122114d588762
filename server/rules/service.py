"""The service layer: each use case in one write transaction, handing back what happened.

Nothing here knows Flask or Socket.IO. Callers get ``Outcome(result, events)``; the events are
committed before the caller sees them, so pushing them to screens can never announce a change
that did not happen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..storage import Storage
from . import desks, dossiers, end_of_day, ratings, supervision, tickets
from .context import RuleContext
from .errors import NotFound
from .events import SYSTEM, Actor, Event
from .shapes import desk_view, queues_view, ticket_row, ticket_view


@dataclass
class Outcome:
    result: Any
    events: list[Event] = field(default_factory=list)


class QueueService:
    def __init__(self, storage: Storage, ctx: RuleContext):
        self.storage = storage
        self.ctx = ctx

    def _write(self, fn, *args) -> Outcome:
        result, events = self.storage.run_write(lambda db: fn(db, self.ctx, *args))
        return Outcome(result, events)

    # --- tickets -------------------------------------------------------------------------
    def issue(self, actor: Actor, service: str, priority: str | None = None) -> Outcome:
        return self._write(tickets.issue_ticket, actor, service, priority)

    def ticket(self, ticket_id: int) -> tuple[dict, str]:
        """The ticket's public view and its secret."""
        with self.storage.read() as db:
            row = ticket_row(db, ticket_id)
            if row is None:
                raise NotFound("unknown_ticket", f"there is no ticket {ticket_id}")
            return ticket_view(db, self.ctx, row), row["secret"]

    # --- desks ---------------------------------------------------------------------------
    def call_next(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.call_next, actor, desk)

    def recall(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.recall, actor, desk)

    def start(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.start, actor, desk)

    def finish(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.finish, actor, desk)

    def no_show(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.no_show, actor, desk)

    def transfer(self, actor: Actor, desk: int, service: str) -> Outcome:
        return self._write(desks.transfer, actor, desk, service)

    def pause(self, actor: Actor, desk: int, reason: str) -> Outcome:
        return self._write(desks.pause, actor, desk, reason)

    def resume(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.resume, actor, desk)

    def close_desk(self, actor: Actor, desk: int) -> Outcome:
        return self._write(desks.close_desk, actor, desk)

    def desk(self, number: int) -> dict:
        with self.storage.read() as db:
            view = desk_view(db, self.ctx, number)
        if view is None:
            raise NotFound("unknown_desk", f"there is no desk {number}")
        return view

    def desks(self, agency: str | None = None) -> list[dict]:
        with self.storage.read() as db:
            numbers = [r[0] for r in db.execute(
                "SELECT number FROM desks WHERE active = 1 AND (? IS NULL OR agency = ?) ORDER BY position",
                [agency, agency])]
            return [desk_view(db, self.ctx, n) for n in numbers]

    def desk_agency(self, number: int) -> str | None:
        with self.storage.read() as db:
            row = db.execute("SELECT agency FROM desks WHERE number = ? AND active = 1", [number]).fetchone()
        return row[0] if row else None

    # --- queues --------------------------------------------------------------------------
    def queues(self) -> list[dict]:
        with self.storage.read() as db:
            return queues_view(db, self.ctx)

    # --- supervision (issue 5): ratings, end of day, a supervisor's actions on tickets ----
    def rate(self, actor: Actor, ticket_id: int, score: int, comment: str | None, source: str,
             reason: str | None = None, levels: int = 5) -> Outcome:
        return self._write(ratings.rate, actor, ticket_id, score, comment, source, reason, levels)

    # --- lookup (issue 14): dossier codes joined to a ticket ------------------------------
    def add_dossier(self, actor: Actor, ticket_id: int, code: str, pattern) -> Outcome:
        return self._write(dossiers.add_dossier, actor, ticket_id, code, pattern)

    def close_earlier_days(self, actor: Actor = SYSTEM) -> Outcome:
        return self._write(end_of_day.close_earlier_days, actor)

    def call_ticket(self, actor: Actor, ticket_id: int, desk: int) -> Outcome:
        return self._write(supervision.call_ticket, actor, ticket_id, desk)

    def reactivate(self, actor: Actor, ticket_id: int) -> Outcome:
        return self._write(supervision.reactivate, actor, ticket_id)

    def cancel(self, actor: Actor, ticket_id: int, reason: str | None = None) -> Outcome:
        return self._write(supervision.cancel, actor, ticket_id, reason)

    def move(self, actor: Actor, ticket_id: int, service: str) -> Outcome:
        return self._write(supervision.move, actor, ticket_id, service)
