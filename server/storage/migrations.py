"""The schema, as an ordered list of migrations recorded in ``schema_migrations``.

A database made by an older release is brought forward one migration at a time, each in its
own transaction; nothing is ever dropped. A database newer than this code is refused.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from ..lookup.store import SCHEMA as _LOOKUP_SCHEMA


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str = ""
    run: Callable[[sqlite_utils.Database], None] | None = None


V1_SCHEMA = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE services (
    code TEXT PRIMARY KEY,
    agency TEXT NOT NULL REFERENCES agencies(code),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    target_wait_min INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    agency TEXT REFERENCES agencies(code),
    active INTEGER NOT NULL DEFAULT 1,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE desks (
    number INTEGER PRIMARY KEY,
    agency TEXT NOT NULL REFERENCES agencies(code),
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'paused')),
    pause_reason TEXT,
    paused_at REAL,
    current_ticket INTEGER REFERENCES tickets(id),
    officer INTEGER REFERENCES users(id),
    priority_streak INTEGER NOT NULL DEFAULT 0,
    updated_at REAL
);
CREATE UNIQUE INDEX desks_current_ticket ON desks(current_ticket) WHERE current_ticket IS NOT NULL;
CREATE TABLE desk_services (
    desk INTEGER NOT NULL REFERENCES desks(number),
    service TEXT NOT NULL REFERENCES services(code),
    PRIMARY KEY (desk, service)
) WITHOUT ROWID;
CREATE INDEX desk_services_service ON desk_services(service, desk);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('kiosk', 'display')),
    name TEXT NOT NULL,
    display_kind TEXT,
    desk INTEGER,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE day_counters (
    day TEXT NOT NULL,
    prefix TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (day, prefix)
) WITHOUT ROWID;
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    code TEXT NOT NULL,
    prefix TEXT NOT NULL,
    number INTEGER NOT NULL,
    service TEXT NOT NULL REFERENCES services(code),
    agency TEXT NOT NULL REFERENCES agencies(code),
    priority TEXT,
    prio INTEGER NOT NULL DEFAULT 0,           -- 1 for a priority ticket: lets the index order both kinds
    status TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')),
    secret TEXT NOT NULL,
    issued_at REAL NOT NULL,
    queued_at REAL NOT NULL,
    called_at REAL,
    started_at REAL,
    finished_at REAL,
    desk INTEGER REFERENCES desks(number),
    officer INTEGER REFERENCES users(id),
    kiosk TEXT,
    estimated_wait_s INTEGER,
    recalls INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    UNIQUE (day, code)
);
CREATE INDEX tickets_waiting ON tickets(day, service, prio, queued_at, id) WHERE status = 'waiting';
CREATE INDEX tickets_done ON tickets(service, finished_at) WHERE status = 'done';
CREATE INDEX tickets_issued ON tickets(issued_at);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    day TEXT NOT NULL,
    type TEXT NOT NULL,
    ticket INTEGER REFERENCES tickets(id),
    desk INTEGER,
    service TEXT,
    user_id INTEGER,
    device TEXT,
    data TEXT
);
CREATE INDEX events_day_type ON events(day, type);
CREATE INDEX events_ticket ON events(ticket);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""

V2_RATINGS_PRINTING = """
CREATE TABLE ratings (
    ticket INTEGER PRIMARY KEY REFERENCES tickets(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    desk INTEGER,
    officer INTEGER REFERENCES users(id),
    source TEXT NOT NULL,                      -- 'desk_display' | 'phone' | 'staff'
    at REAL NOT NULL,
    day TEXT NOT NULL
);
CREATE INDEX ratings_day ON ratings(day);
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY,
    ticket INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    kiosk TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'printed', 'failed', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at REAL,
    done_at REAL,
    error TEXT
);
CREATE INDEX print_jobs_open ON print_jobs(kiosk, status) WHERE status IN ('pending', 'sent');
CREATE TABLE device_states (
    device TEXT PRIMARY KEY,
    state TEXT NOT NULL,                       -- printers: online | paper_out | paper_low | offline | unknown
    detail TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX tickets_day_status ON tickets(day, status);
"""

V3_FIRST_CALL = """
ALTER TABLE tickets ADD COLUMN first_called_at REAL;
ALTER TABLE tickets ADD COLUMN first_service TEXT;
UPDATE tickets SET
    first_called_at = (SELECT min(at) FROM events e WHERE e.ticket = tickets.id AND e.type = 'called'),
    first_service = (SELECT service FROM events e WHERE e.ticket = tickets.id AND e.type = 'called'
                     ORDER BY e.at, e.id LIMIT 1);
CREATE TRIGGER events_first_call AFTER INSERT ON events
WHEN NEW.type = 'called' AND NEW.ticket IS NOT NULL
BEGIN
    UPDATE tickets SET first_called_at = NEW.at, first_service = NEW.service
    WHERE id = NEW.ticket AND first_called_at IS NULL;
END;
"""
# v3 (reports, issue 5): a ticket's first call, kept by the database itself from the event log.
# A wait is issue → first call, but ``called_at`` is the latest call (a transfer or a reactivated
# no-show is called again), so the reports took the first ``called`` event of every ticket: a
# GROUP BY over the period's events, half the time of a 90-day summary. The trigger writes it
# in the same transaction as the event, so it can never disagree with the log.

V4_WAITING_COUNTS = """
CREATE TABLE waiting_counts (
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    prio INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, service, prio)
) WITHOUT ROWID;
INSERT INTO waiting_counts (day, service, prio, n)
    SELECT day, service, prio, count(*) FROM tickets WHERE status = 'waiting' GROUP BY day, service, prio;
CREATE TRIGGER tickets_waiting_insert AFTER INSERT ON tickets
WHEN NEW.status = 'waiting'
BEGIN
    INSERT INTO waiting_counts (day, service, prio, n) VALUES (NEW.day, NEW.service, NEW.prio, 1)
    ON CONFLICT (day, service, prio) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_waiting_update AFTER UPDATE OF status, service, prio, day ON tickets
WHEN OLD.status = 'waiting' OR NEW.status = 'waiting'
BEGIN
    UPDATE waiting_counts SET n = n - 1
    WHERE OLD.status = 'waiting' AND day = OLD.day AND service = OLD.service AND prio = OLD.prio;
    INSERT INTO waiting_counts (day, service, prio, n)
    SELECT NEW.day, NEW.service, NEW.prio, 1 WHERE NEW.status = 'waiting'
    ON CONFLICT (day, service, prio) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tickets_waiting_delete AFTER DELETE ON tickets
WHEN OLD.status = 'waiting'
BEGIN
    UPDATE waiting_counts SET n = n - 1 WHERE day = OLD.day AND service = OLD.service AND prio = OLD.prio;
END;
"""
# v4 (issue 6, speed): how many tickets wait, per day, service and priority, kept by the database
# itself. The estimate of every new ticket needs the waiting count of each service its desks
# serve; counting the tickets made issuing slower the longer the queue (a third of the time at
# 3,000 waiting). The triggers run in the same transaction as the change, whatever rule made it.

V5_OUTBOX = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,     -- the site's sequence: contiguous, never reused
    event INTEGER NOT NULL,
    at REAL NOT NULL,
    message TEXT NOT NULL
);
CREATE TRIGGER events_outbox AFTER INSERT ON events
WHEN (SELECT value FROM settings WHERE key = 'outbox') = 'on'
BEGIN
    INSERT INTO outbox (event, at, message) SELECT NEW.id, NEW.at, json_object(
        'id', NEW.id, 'type', NEW.type, 'at', NEW.at, 'day', NEW.day, 'ticket_id', NEW.ticket,
        'desk', NEW.desk, 'service', NEW.service, 'user', NEW.user_id, 'device', NEW.device,
        'data', json(coalesce(NEW.data, '{}')),
        'ticket', json((SELECT json_object(
            'id', t.id, 'day', t.day, 'code', t.code, 'service', t.service, 'agency', t.agency,
            'priority', t.priority, 'status', t.status, 'issued_at', t.issued_at, 'queued_at', t.queued_at,
            'called_at', t.called_at, 'started_at', t.started_at, 'finished_at', t.finished_at,
            'desk', t.desk, 'officer', t.officer, 'kiosk', t.kiosk, 'estimated_wait_s', t.estimated_wait_s,
            'recalls', t.recalls, 'transfers', t.transfers,
            'first_called_at', coalesce(t.first_called_at, CASE WHEN NEW.type = 'called' THEN NEW.at END),
            'first_service', coalesce(t.first_service, CASE WHEN NEW.type = 'called' THEN NEW.service END))
            FROM tickets t WHERE t.id = NEW.ticket)),
        'rating', json(CASE WHEN NEW.type = 'rated' THEN (SELECT json_object(
            'score', r.score, 'comment', r.comment, 'desk', r.desk, 'officer', r.officer, 'source', r.source,
            'at', r.at, 'day', r.day) FROM ratings r WHERE r.ticket = NEW.ticket) END));
END;
"""
# v5 (issue 12, the province): every event also goes into ``outbox`` as a self-sufficient JSON
# message for the provincial hub — the event and the ticket's row as it is after the change (never
# its secret), with the rating for ``rated``. A trigger, so it is in the same transaction as the
# change whatever rule made it, and nothing on the hot path changes. ``server/site/sender.py``
# ships it; acknowledged rows are pruned after a few days (the events stay in ``events``).
# Only a site fills it: ``hangdoi serve`` with ``[site]`` sets ``settings.outbox = 'on'`` (a lone
# center's events are not copied). ``first_called_at`` is completed from the event itself: the order in which SQLite fires the
# two AFTER INSERT triggers of ``events`` is not something to rely on.

# v6 (lookup, issue 14; first written as a v5 beside the hub's outbox, hence idempotent): the
# procedure catalog with its two FTS5 indexes (server/lookup/store.py owns that schema, so the provincial hub can create the same tables in its own database), the
# dossier codes joined to tickets, and the rating's scale (3 or 5 levels, as the center ran it
# when the visitor rated) and reason. A 3-level score stays 1..3: reports read it with its levels.
V6_LOOKUP = _LOOKUP_SCHEMA + """
CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY,
    ticket INTEGER NOT NULL REFERENCES tickets(id),
    code TEXT NOT NULL,
    at REAL NOT NULL,
    desk INTEGER,
    user_id INTEGER REFERENCES users(id),
    UNIQUE (ticket, code)
);
CREATE INDEX dossiers_code ON dossiers(code);
"""
V6_RATING_COLUMNS = (("levels", "INTEGER NOT NULL DEFAULT 5"), ("reason", "TEXT"))
# ... and the outbox's trigger again, its rating with the scale and the reason (the hub keeps both)
V6_OUTBOX_TRIGGER = "DROP TRIGGER IF EXISTS events_outbox;\n" + V5_OUTBOX[V5_OUTBOX.index("CREATE TRIGGER"):].replace(
    "'at', r.at, 'day', r.day)", "'at', r.at, 'day', r.day, 'levels', r.levels, 'reason', r.reason)")
assert "r.levels" in V6_OUTBOX_TRIGGER


def _v6_lookup(db: sqlite_utils.Database) -> None:
    """Idempotent (a re-run after a renumbering or a partial restore changes nothing): each table,
    index and column is made only when it is not there yet; the outbox trigger is made again."""
    have = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    for statement in _statements(V6_LOOKUP):
        name = re.match(r"CREATE\s+(?:VIRTUAL\s+)?(?:TABLE|INDEX)\s+(\w+)", statement).group(1)
        if name not in have:
            db.execute(statement)
    columns = {r[1] for r in db.execute("PRAGMA table_info(ratings)")}
    for column, kind in V6_RATING_COLUMNS:
        if column not in columns:
            db.execute(f"ALTER TABLE ratings ADD COLUMN {column} {kind}")
    if "outbox" not in have:                # a database of the lookup branch, whose v5 was this one
        db.execute(V5_OUTBOX[: V5_OUTBOX.index("CREATE TRIGGER")].strip())
    for statement in _statements(V6_OUTBOX_TRIGGER):
        db.execute(statement)

# v7 (issue 9): the desks call the oldest waiting ticket by issue sequence (the ticket's id), not
# by the wall clock (a clock stepped back must not put a new ticket first); this index serves
# that probe, one seek per service, as ``tickets_waiting`` served the old order by ``queued_at``
# (without it SQLite walked the whole day's tickets in id order: call-next 20x slower, 3,000 waiting).
V7_WAITING_BY_SEQUENCE = """
CREATE INDEX IF NOT EXISTS tickets_waiting_seq ON tickets(day, service, prio, id) WHERE status = 'waiting';
"""

# v8 (issue 11): scale-out presence rows and idempotency answers in tables of their own, not in
# the catch-all ``settings`` (whose old rows of both kinds are dropped: they live seconds to minutes)
V8_PRESENCE_IDEMPOTENCY = """
CREATE TABLE IF NOT EXISTS presence (
    host TEXT PRIMARY KEY,                 -- one server process
    at REAL NOT NULL,
    value TEXT NOT NULL                    -- JSON {"at", "pid", "devices", "agents", "speaking"}
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT PRIMARY KEY,                -- "CALLER:KEY"
    at REAL NOT NULL,
    body TEXT NOT NULL                     -- the 201 answer
);
CREATE INDEX IF NOT EXISTS idempotency_at ON idempotency(at);
DELETE FROM settings WHERE key LIKE 'presence:%' OR key LIKE 'idem:%';
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", V1_SCHEMA),
    Migration(2, "satisfaction ratings, durable print jobs, device states", V2_RATINGS_PRINTING),
    Migration(3, "first call of each ticket, kept from the event log (reports)", V3_FIRST_CALL),
    Migration(4, "waiting tickets counted per day, service and priority (estimates)", V4_WAITING_COUNTS),
    Migration(5, "outbox for the provincial hub, filled from the event log (sites)", V5_OUTBOX),
    Migration(6, "procedure catalog and its search, dossier codes, rating scale and reason (lookup)", run=_v6_lookup),
    Migration(7, "waiting tickets by issue sequence (the desks' order)", V7_WAITING_BY_SEQUENCE),
    Migration(8, "presence rows and idempotency answers in tables of their own", V8_PRESENCE_IDEMPOTENCY),
)


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: sqlite_utils.Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every migration newer than the database; return the resulting version."""
    from .db import SchemaTooNew

    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    latest = max(m.version for m in migrations)
    version = current_version(db)
    if version > latest:
        raise SchemaTooNew(
            f"the database is at schema version {version}, newer than this Hàng Đợi "
            f"(which knows up to {latest}): upgrade Hàng Đợi, or restore a matching backup"
        )
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version <= version:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if current_version(db) >= migration.version:  # another process got there first
                db.execute("ROLLBACK")
                continue
            if migration.sql:
                for statement in _statements(migration.sql):
                    db.execute(statement)
            if migration.run:
                migration.run(db)
            db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       [migration.version, migration.name, time.time()])
            db.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
        version = migration.version
    return version


def _statements(sql: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement keeps triggers whole)."""
    import sqlite3

    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
