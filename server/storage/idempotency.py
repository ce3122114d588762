"""Answers of ``POST /tickets`` by (caller, Idempotency-Key), shared by server processes in
scale-out (``idempotency`` table, migration 8); ``web.idempotency.IssueGuard`` uses them."""
from __future__ import annotations


def stored(db, scope: str, *, newer_than: float) -> str | None:
    row = db.execute("SELECT body FROM idempotency WHERE scope = ? AND at >= ?", [scope, newer_than]).fetchone()
    return row[0] if row else None


def store(db, scope: str, body: str, at: float) -> None:
    db.execute("INSERT INTO idempotency (scope, at, body) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET "
               "at = excluded.at, body = excluded.body", [scope, at, body])


def prune(db, older_than: float) -> None:
    db.execute("DELETE FROM idempotency WHERE at < ?", [older_than])
