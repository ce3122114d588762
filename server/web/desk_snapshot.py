"""A screen's snapshot (``snapshot["desks"]``, contract section 5): the desks in their short shape."""
from __future__ import annotations

from ..rules.shapes import snapshot_desk_rows


def snapshot_desks(db, hub) -> list[dict]:
    return snapshot_desk_rows(db)


def compact_desk(desk: dict) -> dict:
    """A desk view (``D``) in the short shape of ``snapshot["desks"]``."""
    current = desk.get("current_ticket")
    return {"number": desk["number"], "name": desk["name"], "agency": desk["agency"], "state": desk["state"],
            "pause_reason": desk["pause_reason"],
            "current": {"id": current["id"], "code": current["code"], "status": current["status"],
                        "service": current["service"]} if current else None}
