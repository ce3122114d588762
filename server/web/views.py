"""Read models for screens: the recent calls and the desks, as sent in ``snapshot``."""
from __future__ import annotations

from .announcements import call_payload


def recent_calls(db, hub, limit: int = 20) -> list[dict]:
    """Today's calls, newest first, one per ticket (its latest call or recall)."""
    day = hub.clock.day_of(hub.clock.now())
    rows = db.execute(
        "SELECT ticket, desk, at, type FROM events WHERE day = ? AND type IN ('called', 'recalled') "
        "ORDER BY id DESC LIMIT ?", [day, limit * 5]).fetchall()
    seen, calls = set(), []
    for ticket, desk, at, type_ in rows:
        if ticket in seen:
            continue
        seen.add(ticket)
        payload = call_payload(db, hub, ticket, desk, at, recall=type_ == "recalled")
        if payload:
            calls.append(payload)
        if len(calls) == limit:
            break
    return calls


def snapshot_desks(db, hub) -> list[dict]:
    rows = db.execute(
        "SELECT d.number, d.name, d.agency, d.state, d.pause_reason, t.code, t.status, t.id, t.service "
        "FROM desks d LEFT JOIN tickets t ON t.id = d.current_ticket WHERE d.active = 1 ORDER BY d.position").fetchall()
    return [{"number": r[0], "name": r[1], "agency": r[2], "state": r[3], "pause_reason": r[4],
             "current": {"id": r[7], "code": r[5], "status": r[6], "service": r[8]} if r[5] else None} for r in rows]


def public_call(call: dict) -> dict:
    """A call as shown on screens: the ticket's ``status_url`` without its secret (``?t=``)."""
    ticket = dict(call["ticket"])
    if ticket.get("status_url"):
        ticket["status_url"] = ticket["status_url"].split("?", 1)[0]
    return {**call, "ticket": ticket}


def compact_desk(desk: dict) -> dict:
    """A desk view (``D``) in the short shape of ``snapshot["desks"]``."""
    current = desk.get("current_ticket")
    return {"number": desk["number"], "name": desk["name"], "agency": desk["agency"], "state": desk["state"],
            "pause_reason": desk["pause_reason"],
            "current": {"id": current["id"], "code": current["code"], "status": current["status"],
                        "service": current["service"]} if current else None}
