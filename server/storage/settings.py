"""The ``settings`` table: one text value per key (the signing key, the hub's calendar and
procedure catalog fingerprint, the outbox switch). Presence rows and idempotency answers have
tables of their own (``storage.presence``, ``storage.idempotency``)."""
from __future__ import annotations


def get_setting(db, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put_setting(db, key: str, value: str) -> None:
    """Set ``key`` to ``value``, replacing what it held."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
