"""What the site tells the hub besides its events: its reference data (the ``catalog``: agencies,
services with their targets, desks, officers' display names, opening hours) and its queues now."""
from __future__ import annotations

import hashlib
import json

from ..rules.hours import is_open
from ..config import WEEKDAYS


def _hours(config) -> dict | None:
    hours = config.opening_hours
    if hours is None:
        return None
    out = {day: [f"{s:%H:%M}-{e:%H:%M}" for s, e in hours.weekly.get(i, ())] for i, day in enumerate(WEEKDAYS)}
    out["closed_dates"] = sorted(d.isoformat() for d in hours.closed_dates)
    return out


def build_catalog(h) -> dict:
    """Everything the hub needs to name what the events refer to (inactive rows included: old
    tickets still point at them)."""
    config = h.config
    with h.storage.read() as db:
        def rows(sql: str) -> list[dict]:
            cur = db.execute(sql)
            names = [c[0] for c in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

        catalog = {
            "center": {"name": config.center.name, "timezone": config.center.timezone,
                       "public_url": config.center.public_url, "kind": config.site.kind if config.site else None},
            "agencies": rows("SELECT code, name, position, active FROM agencies ORDER BY position, code"),
            "services": rows("SELECT code, agency, name, prefix, target_wait_min, position, active FROM services "
                             "ORDER BY position, code"),
            "desks": rows("SELECT number, agency, name, position, active FROM desks ORDER BY position, number"),
            "officers": rows("SELECT id, username FROM users ORDER BY id"),
            "opening_hours": _hours(config),
        }
    return catalog


def catalog_hash(catalog: dict) -> str:
    return hashlib.sha256(json.dumps(catalog, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def live_status(h) -> dict:
    """The site's queues right now (for the hub's public page) and how many desks are open."""
    queues = [{"code": q["code"], "waiting": q["waiting"], "estimated_wait_s": q["estimated_wait_s"],
               "longest_wait_s": q.get("longest_wait_s", 0)}
              for q in h.service.queues()]
    with h.storage.read() as db:
        open_desks = db.execute("SELECT count(*) FROM desks WHERE active = 1 AND state != 'closed'").fetchone()[0]
    return {"at": h.clock.now(), "open_now": is_open(h.config.opening_hours, h.clock.local()),
            "open_desks": open_desks, "queues": queues}
