"""Domain events: every change of a ticket or a desk is one row of the append-only ``events`` table.

The rules write them inside the same transaction as the change, and hand them back so the web
layer can push them to screens once the transaction has committed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ISSUED = "issued"
CALLED = "called"
RECALLED = "recalled"
STARTED = "started"
FINISHED = "finished"
NO_SHOW = "no_show"
TRANSFERRED = "transferred"
PAUSED = "paused"
RESUMED = "resumed"
DESK_OPENED = "desk_opened"
DESK_CLOSED = "desk_closed"
# supervision (issue 5): ratings, the end-of-day close and the supervisor's actions on tickets
RATED = "rated"
CLOSED_END_OF_DAY = "closed_end_of_day"
CANCELLED = "cancelled"
REACTIVATED = "reactivated"
# what is not a ticket's or a desk's rule (issue 11, "every change is an event"): the province's
# hub is fed from the event log alone
DESK_TAKEN_OVER = "desk_taken_over"      # another officer works at an open desk: data {"from": user id}
USER_ADDED = "user_added"                # data {"username", "role", "agency"}; never a password or its hash
USER_DISABLED = "user_disabled"          # data {"username"}
USER_ENABLED = "user_enabled"
USER_PASSWORD_RESET = "user_password_reset"
USER_AGENCY_CHANGED = "user_agency_changed"   # data {"username", "agency"}
DEVICE_STATE = "device_state"            # a kiosk's printer: data {"device", "state", "detail"}
PRINT_JOB = "print_job"                  # a print job ended: data {"job", "kiosk", "status", "error"}


@dataclass(frozen=True)
class Actor:
    """Who asked: a signed-in user, a device from the config, or the system itself."""
    kind: str                      # "user" | "device" | "system"
    role: str                      # officer | supervisor | admin | kiosk | display | system
    user_id: int | None = None
    device: str | None = None
    agency: str | None = None
    name: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in ("officer", "supervisor", "admin")


SYSTEM = Actor(kind="system", role="system", name="system")


@dataclass(frozen=True)
class Event:
    type: str
    at: float
    ticket: int | None = None
    desk: int | None = None
    service: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Journal:
    """Writes the events of changes made outside the queue rules (users, printers, print jobs),
    with the center's clock, in the caller's transaction. Where there is no event log (the hub's
    own users) callers get ``None`` instead of a journal."""
    clock: Any
    actor: Actor = SYSTEM

    def write(self, db, type_: str, *, ticket: int | None = None, desk: int | None = None, **data) -> Event:
        at = self.clock.now()
        return record(db, self.clock.day_of(at), self.actor, Event(type_, at, ticket=ticket, desk=desk, data=data))


def record(db, day: str, actor: Actor, event: Event) -> Event:
    db.execute(
        "INSERT INTO events (at, day, type, ticket, desk, service, user_id, device, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [event.at, day, event.type, event.ticket, event.desk, event.service,
         actor.user_id, actor.device, json.dumps(event.data, ensure_ascii=False) if event.data else None],
    )
    return event
