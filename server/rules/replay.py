"""Rebuild tickets' and desks' state from the event log alone.

The events table is the audit trail: replaying it must give exactly the state the tables hold.
Tests check that after any sequence of operations; an auditor can run it on a live database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import events as ev


@dataclass
class ReplayedState:
    tickets: dict[int, dict] = field(default_factory=dict)      # id -> {status, service, desk}
    desks: dict[int, dict] = field(default_factory=dict)        # number -> {state, current}


def replay(db) -> ReplayedState:
    state = ReplayedState()
    rows = db.execute("SELECT type, ticket, desk, service, data FROM events ORDER BY id").fetchall()
    for type_, ticket, desk, service, data in rows:
        data = json.loads(data) if data else {}
        t = state.tickets.get(ticket) if ticket is not None else None
        d = state.desks.setdefault(desk, {"state": "closed", "current": None}) if desk is not None else None
        if type_ == ev.ISSUED:
            state.tickets[ticket] = {"status": "waiting", "service": service, "desk": None}
        elif type_ == ev.CALLED:
            t.update(status="called", desk=desk)
            d["current"] = ticket
        elif type_ == ev.STARTED:
            t["status"] = "serving"
        elif type_ in (ev.FINISHED, ev.NO_SHOW):
            t["status"] = "done" if type_ == ev.FINISHED else "no_show"
            if d is not None and d["current"] == ticket:
                d["current"] = None
        elif type_ == ev.TRANSFERRED:
            t.update(status="waiting", service=data["to_service"], desk=None)
            d["current"] = None
        elif type_ == ev.PAUSED:
            d["state"] = "paused"
        elif type_ in (ev.RESUMED, ev.DESK_OPENED):
            d["state"] = "open"
        elif type_ == ev.DESK_CLOSED:
            d["state"] = "closed"
    return state
