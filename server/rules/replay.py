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


def _free(desk: dict | None, ticket: int) -> None:
    if desk is not None and desk["current"] == ticket:
        desk["current"] = None


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
        elif type_ in (ev.FINISHED, ev.NO_SHOW, ev.CANCELLED, ev.CLOSED_END_OF_DAY):
            t["status"] = {ev.FINISHED: "done", ev.NO_SHOW: "no_show"}.get(type_, "cancelled")
            _free(d, ticket)
        elif type_ == ev.TRANSFERRED:                    # from a desk, or a supervisor's move of a waiting ticket
            t.update(status="waiting", service=data["to_service"], desk=None)
            _free(d, ticket)
        elif type_ == ev.REACTIVATED:
            t.update(status="waiting", desk=None)
        elif type_ == ev.PAUSED:
            d["state"] = "paused"
        elif type_ in (ev.RESUMED, ev.DESK_OPENED):
            d["state"] = "open"
        elif type_ == ev.DESK_CLOSED:
            d.update(state="closed", current=None)
        # RATED, RECALLED: no change of state
    return state
