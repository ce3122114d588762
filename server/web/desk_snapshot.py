"""A screen's snapshot (``snapshot["desks"]``, contract section 5): the desks in their short shape."""
from __future__ import annotations


def snapshot_desks(db, hub) -> list[dict]:
    rows = db.execute(
        "SELECT d.number, d.name, d.agency, d.state, d.pause_reason, t.code, t.status, t.id, t.service "
        "FROM desks d LEFT JOIN tickets t ON t.id = d.current_ticket WHERE d.active = 1 ORDER BY d.position").fetchall()
    return [{"number": r[0], "name": r[1], "agency": r[2], "state": r[3], "pause_reason": r[4],
             "current": {"id": r[7], "code": r[5], "status": r[6], "service": r[8]} if r[5] else None} for r in rows]


def compact_desk(desk: dict) -> dict:
    """A desk view (``D``) in the short shape of ``snapshot["desks"]``."""
    current = desk.get("current_ticket")
    return {"number": desk["number"], "name": desk["name"], "agency": desk["agency"], "state": desk["state"],
            "pause_reason": desk["pause_reason"],
            "current": {"id": current["id"], "code": current["code"], "status": current["status"],
                        "service": current["service"]} if current else None}
