"""The hub's database: one SQLite file (the same ``Storage`` as a site: WAL, pooled connections,
migrations), its own schema. Everything about the sites is built from their events alone:

- ``site_events``: every event once, keyed by (site, seq) — the site's outbox sequence;
- ``sites``: each site's high-water mark ``hw`` (the highest sequence kept: every one up to it is
  here), when it was last heard from, its catalog and its live queue figures;
- ``tickets``, ``ratings``, ``dossiers``, ``desks``, ``agencies``, ``services``, ``officers``: the same columns
  as a site's tables, plus ``site`` in the key (``users`` are the hub's own staff).

The report code of the sites (``server/reports``) runs on these tables with its site dimension.
"""
from __future__ import annotations

from ..storage import Storage
from ..storage.migrations import Migration

V1_HUB = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    agency TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE sites (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    hw INTEGER NOT NULL DEFAULT 0,
    first_seen_at REAL,
    last_seen_at REAL,
    link_since REAL,                      -- when the link last came up (after a silence)
    catalog TEXT,
    catalog_hash TEXT,
    status TEXT,                          -- the site's live figures of its last batch (JSON)
    status_at REAL
);
CREATE TABLE site_events (
    site TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id INTEGER NOT NULL,                  -- the event's id at the site
    type TEXT NOT NULL,
    at REAL NOT NULL,
    day TEXT NOT NULL,
    ticket INTEGER,
    desk INTEGER,
    service TEXT,
    user_id INTEGER,
    data TEXT,
    received_at REAL NOT NULL,
    PRIMARY KEY (site, seq)
) WITHOUT ROWID;
CREATE INDEX site_events_day ON site_events(day, type);
CREATE TABLE agencies (
    site TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (site, code)
);
CREATE TABLE services (
    site TEXT NOT NULL,
    code TEXT NOT NULL,
    agency TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    target_wait_min INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (site, code)
);
CREATE TABLE desks (
    site TEXT NOT NULL,
    number INTEGER NOT NULL,
    agency TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    state TEXT NOT NULL DEFAULT 'closed',
    pause_reason TEXT,
    current_ticket INTEGER,
    officer INTEGER,
    updated_at REAL,
    PRIMARY KEY (site, number)
);
CREATE TABLE officers (
    site TEXT NOT NULL,
    id INTEGER NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (site, id)
);
CREATE TABLE tickets (
    site TEXT NOT NULL,
    id INTEGER NOT NULL,
    day TEXT NOT NULL,
    code TEXT NOT NULL,
    service TEXT NOT NULL,
    agency TEXT NOT NULL,
    priority TEXT,
    status TEXT NOT NULL,
    issued_at REAL NOT NULL,
    queued_at REAL NOT NULL,
    called_at REAL,
    started_at REAL,
    finished_at REAL,
    desk INTEGER,
    officer INTEGER,
    kiosk TEXT,
    estimated_wait_s INTEGER,
    recalls INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    first_called_at REAL,
    first_service TEXT,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (site, id)
);
CREATE INDEX tickets_day_status ON tickets(day, status);
CREATE INDEX tickets_site_day ON tickets(site, day, status);
CREATE TABLE ratings (
    site TEXT NOT NULL,
    ticket INTEGER NOT NULL,
    score INTEGER NOT NULL,
    comment TEXT,
    desk INTEGER,
    officer INTEGER,
    source TEXT NOT NULL,
    at REAL NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (site, ticket)
);
CREATE TABLE calendar (
    version INTEGER NOT NULL,
    closed_dates TEXT NOT NULL            -- JSON array of YYYY-MM-DD
);
"""

V2_HUB_LOOKUP = """
ALTER TABLE ratings ADD COLUMN levels INTEGER NOT NULL DEFAULT 5;
ALTER TABLE ratings ADD COLUMN reason TEXT;
CREATE TABLE dossiers (
    site TEXT NOT NULL,
    ticket INTEGER NOT NULL,
    code TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (site, ticket, code)
);
"""
# v2 (issue 14, lookup): a rating's scale (3 or 5 levels) and reason, as the site's outbox sends
# them, and the dossier codes joined to each ticket, from the sites' ``dossier_added`` events.

def _catalog_schema() -> str:
    from ..lookup.store import SCHEMA
    return SCHEMA


HUB_MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the hub: sites, their events, and the tables built from them", V1_HUB),
    Migration(2, "rating scale and reason, dossier codes per ticket (lookup)", V2_HUB_LOOKUP),
    Migration(3, "the province's procedure catalog, searched as at a site (lookup)", _catalog_schema()),
)


def open_hub_storage(path) -> Storage:
    return Storage(path, migrations=HUB_MIGRATIONS)


def sync_sites(storage: Storage, config) -> None:
    """The sites of hub.toml, by code; a site no longer named is retired (its history stays)."""
    import json

    with storage.write() as db:
        db.execute("UPDATE sites SET active = 0")
        for site in config.sites:
            db.execute("INSERT INTO sites (code, name, kind, active) VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, active = 1",
                       [site.code, site.name, site.kind])
        dates = json.dumps(sorted(d.isoformat() for d in config.calendar.closed_dates))
        row = db.execute("SELECT version, closed_dates FROM calendar").fetchone()
        if row is None:
            db.execute("INSERT INTO calendar (version, closed_dates) VALUES (1, ?)", [dates])
        elif row[1] != dates:
            db.execute("UPDATE calendar SET version = version + 1, closed_dates = ?", [dates])
        from ..lookup import store          # the catalog the hub publishes (issue 14); none: none searched
        store.replace_catalog(db, list(config.procedures))
