"""Reads about calls for screens and the announcement's audio (no Flask): which calls happened."""
from __future__ import annotations

CALL_TYPES = ("called", "recalled")


def recent_call_events(db, day: str, limit: int) -> list[tuple[int, int, float, str]]:
    """The day's newest call and recall events, newest first: (ticket, desk, at, type)."""
    return db.execute(
        "SELECT ticket, desk, at, type FROM events WHERE day = ? AND type IN ('called', 'recalled') "
        "ORDER BY id DESC LIMIT ?", [day, limit]).fetchall()


def was_called(db, days: list[str], code: str, desk: int) -> bool:
    """Whether the ticket ``code`` of one of ``days`` was called (or recalled) to ``desk``."""
    marks = ", ".join("?" * len(days))
    return db.execute(
        f"SELECT 1 FROM tickets t JOIN events e ON e.ticket = t.id WHERE t.day IN ({marks}) AND t.code = ? "
        "AND e.desk = ? AND e.type IN ('called', 'recalled') LIMIT 1", [*days, code, desk]).fetchone() is not None


def desk_name(db, desk: int) -> str | None:
    row = db.execute("SELECT name FROM desks WHERE number = ?", [desk]).fetchone()
    return row[0] if row else None
