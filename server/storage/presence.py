"""Scale-out presence (``presence`` table, migration 8): one row per server process saying which
devices and print agents are connected to it, rewritten every few seconds; a process killed
outright drops out when its row grows old. ``web.realtime.Presence`` decides when to write."""
from __future__ import annotations

import json


def write(db, host: str, row: dict, *, forget_before: float) -> None:
    """This process's row; rows of processes gone for long (``at`` < ``forget_before``) are deleted."""
    db.execute("INSERT INTO presence (host, at, value) VALUES (?, ?, ?) ON CONFLICT (host) DO UPDATE SET "
               "at = excluded.at, value = excluded.value", [host, row["at"], json.dumps(row, separators=(",", ":"))])
    db.execute("DELETE FROM presence WHERE at < ? AND host != ?", [forget_before, host])


def remove(db, host: str) -> None:
    db.execute("DELETE FROM presence WHERE host = ?", [host])


def others(db, host: str, *, fresh_after: float) -> list[dict]:
    """The rows of the other processes written after ``fresh_after``."""
    out = []
    for (raw,) in db.execute("SELECT value FROM presence WHERE host != ? AND at >= ?", [host, fresh_after]):
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("at"), (int, float)):
            out.append(row)
    return out
