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


def record(db, day: str, actor: Actor, event: Event) -> Event:
    db.execute(
        "INSERT INTO events (at, day, type, ticket, desk, service, user_id, device, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [event.at, day, event.type, event.ticket, event.desk, event.service,
         actor.user_id, actor.device, json.dumps(event.data, ensure_ascii=False) if event.data else None],
    )
    return event
