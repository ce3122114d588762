"""``POST /hub/v1/ingest``: a site's batch of events, kept once per (site, sequence).

- the site is the one of the token (``authenticate_site``: every site's token compared in
  constant time); a ``site`` in the body must be that one, never another;
- a batch is contiguous (``seq`` n, n+1, ...); its events up to the site's high-water mark
  ``hw`` are already here and change nothing (a replay); if it starts past ``hw + 1`` something
  is missing: 409 ``gap`` with ``ack = hw``, and the site resends from there;
- the rest is applied in order, in one transaction with the new ``hw``: the event row
  (``INSERT ... ON CONFLICT DO NOTHING``), the ticket's row as the site sent it (newest sequence
  wins), the rating, a ``dossier_added`` event's code, and the desk's state from the event's type
  (any other type is kept as an event and changes nothing else);
- the answer is ``{"ack": hw, "catalog_hash", "calendar"[, "procedures"]}``: the highest sequence
  kept, the catalog the hub has, the closed dates the province publishes, and the fingerprint of
  the procedure catalog it publishes (when hub.toml names one).
"""
from __future__ import annotations

import hmac
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

DAY = r"^\d{4}-\d{2}-\d{2}$"
SMALL = 2 ** 62


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TicketRow(_Loose):
    id: int = Field(ge=1, le=SMALL)
    day: str = Field(pattern=DAY)
    code: str = Field(min_length=1, max_length=32)
    service: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=64)
    priority: str | None = Field(None, max_length=32)
    status: str = Field(pattern=r"^(waiting|called|serving|done|no_show|cancelled)$")
    issued_at: float
    queued_at: float
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    desk: int | None = Field(None, ge=0, le=SMALL)
    officer: int | None = Field(None, ge=0, le=SMALL)
    kiosk: str | None = Field(None, max_length=128)
    estimated_wait_s: int | None = None
    recalls: int = Field(0, ge=0, le=SMALL)
    transfers: int = Field(0, ge=0, le=SMALL)
    first_called_at: float | None = None
    first_service: str | None = Field(None, max_length=64)


class RatingRow(_Loose):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)
    desk: int | None = Field(None, ge=0, le=SMALL)
    officer: int | None = Field(None, ge=0, le=SMALL)
    source: str = Field(max_length=32)
    at: float
    day: str = Field(pattern=DAY)
    levels: int = Field(5, ge=3, le=5)              # issue 14: the scale the visitor rated on (3 or 5)
    reason: str | None = Field(None, max_length=500)


class Message(_Loose):
    id: int = Field(ge=1, le=SMALL)
    type: str = Field(min_length=1, max_length=64)
    at: float
    day: str = Field(pattern=DAY)
    ticket_id: int | None = Field(None, ge=1, le=SMALL)
    desk: int | None = Field(None, ge=0, le=SMALL)
    service: str | None = Field(None, max_length=64)
    user: int | None = Field(None, ge=0, le=SMALL)
    data: dict[str, Any] = {}
    ticket: TicketRow | None = None
    rating: RatingRow | None = None


class Item(_Loose):
    seq: int = Field(ge=1, le=SMALL)
    m: Message


class Named(_Loose):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=300)
    position: int = 0
    active: int = 1


class ServiceRow(Named):
    agency: str = Field(max_length=64)
    prefix: str = Field(max_length=8)
    target_wait_min: int = Field(ge=1, le=100000)


class DeskRow(_Loose):
    number: int = Field(ge=0, le=SMALL)
    agency: str = Field(max_length=64)
    name: str = Field(max_length=300)
    position: int = 0
    active: int = 1


class Officer(_Loose):
    id: int = Field(ge=0, le=SMALL)
    username: str = Field(max_length=64)


class Catalog(_Loose):
    center: dict[str, Any] = {}
    agencies: list[Named] = Field(default_factory=list, max_length=1000)
    services: list[ServiceRow] = Field(default_factory=list, max_length=5000)
    desks: list[DeskRow] = Field(default_factory=list, max_length=5000)
    officers: list[Officer] = Field(default_factory=list, max_length=20000)
    opening_hours: dict[str, Any] | None = None


class Batch(_Loose):
    site: str | None = None
    events: list[Item] = Field(default_factory=list, max_length=5000)
    catalog: Catalog | None = None
    catalog_hash: str | None = Field(None, max_length=64)
    status: dict[str, Any] | None = None


BATCH = TypeAdapter(Batch)


class IngestError(Exception):
    def __init__(self, status: int, code: str, message: str, ack: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.ack = status, code, message, ack


def authenticate_site(config, header: str) -> str | None:
    """The site whose token is the bearer token of ``header``; every token is compared, in constant time."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    given = token.strip().encode()
    found = None
    for site in config.sites:
        if hmac.compare_digest(given, site.token.encode()):
            found = site.code
    return found


def parse_batch(raw: Any) -> Batch:
    """A batch from its JSON bytes (parsed and checked by pydantic in one pass) or a parsed object."""
    try:
        if isinstance(raw, (bytes, str)):
            return BATCH.validate_json(raw)
        return BATCH.validate_python(raw)
    except ValidationError as err:
        first = err.errors()[0]
        if first["type"] == "json_invalid" or (first["type"] == "model_type" and not first["loc"]):
            raise IngestError(400, "invalid_json", "the body must be a JSON object") from None
        place = ".".join(str(p) for p in first["loc"])
        raise IngestError(400, "invalid_batch", f"{place}: {first['msg']}") from None


def ingest(storage, config, site: str, batch: Batch, now: float) -> dict:
    if batch.site is not None and batch.site != site:
        raise IngestError(403, "wrong_site", f"this token is site {site}'s; it cannot send events of {batch.site[:20]!r}")
    items = batch.events
    for a, b in zip(items, items[1:]):
        if b.seq != a.seq + 1:
            raise IngestError(400, "not_contiguous", f"the batch jumps from seq {a.seq} to {b.seq}; send it in order")
    with storage.write() as db:
        row = db.execute("SELECT hw, last_seen_at, link_since FROM sites WHERE code = ?", [site]).fetchone()
        if row is None:
            raise IngestError(403, "unknown_site", f"site {site} is not in hub.toml")
        hw, last_seen, link_since = row
        gap = bool(items) and items[0].seq > hw + 1      # nothing of it is kept; the site was heard from
        if batch.catalog is not None:
            apply_catalog(db, site, batch.catalog, batch.catalog_hash)
        fresh = [(item.seq, item.m) for item in items if item.seq > hw] if not gap else []   # the rest: replays
        if fresh:
            apply_events(db, site, fresh, now)
            hw = fresh[-1][0]
        _seen(db, site, now, last_seen, link_since, config, batch, hw)
        answer = answer_for(db, site, hw, publishes_procedures=config.procedures_file is not None)
    if gap:
        raise IngestError(409, "gap", f"the hub has every event up to {hw}; this batch starts at {items[0].seq}",
                          ack=hw)
    return answer


def _seen(db, site, now, last_seen, link_since, config, batch: Batch, hw: int) -> None:
    down = last_seen is None or now - last_seen > config.link_down_after_s
    status = json.dumps(batch.status, ensure_ascii=False) if batch.status is not None else None
    db.execute(
        "UPDATE sites SET hw = ?, last_seen_at = ?, first_seen_at = coalesce(first_seen_at, ?), link_since = ?, "
        "status = coalesce(?, status), status_at = CASE WHEN ? IS NULL THEN status_at ELSE ? END WHERE code = ?",
        [hw, now, now, now if down else link_since, status, status, now, site])


def answer_for(db, site: str, hw: int, *, publishes_procedures: bool = False) -> dict:
    version, dates = db.execute("SELECT version, closed_dates FROM calendar").fetchone()
    digest = db.execute("SELECT catalog_hash FROM sites WHERE code = ?", [site]).fetchone()[0]
    answer = {"ack": hw, "catalog_hash": digest, "calendar": {"version": version, "closed_dates": json.loads(dates)}}
    if publishes_procedures:
        # issue 14: the fingerprint of the province's procedure catalog; a site whose copy differs
        # fetches it (GET /hub/v1/site/procedures) - it is far too big to ride on every answer
        row = db.execute("SELECT fingerprint, procedures FROM procedure_catalog WHERE id = 1").fetchone()
        if row is not None:
            answer["procedures"] = {"fingerprint": row[0], "count": row[1]}
    return answer


TICKET_COLUMNS = ("id", "day", "code", "service", "agency", "priority", "status", "issued_at", "queued_at",
                  "called_at", "started_at", "finished_at", "desk", "officer", "kiosk", "estimated_wait_s",
                  "recalls", "transfers", "first_called_at", "first_service")
_TICKET_SQL = (
    f"INSERT INTO tickets (site, {', '.join(TICKET_COLUMNS)}, last_seq) "
    f"VALUES (?, {', '.join('?' * len(TICKET_COLUMNS))}, ?) ON CONFLICT (site, id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in TICKET_COLUMNS[1:]) + ", last_seq = excluded.last_seq "
    "WHERE excluded.last_seq > tickets.last_seq")

OPENS = {"desk_opened", "resumed"}
FREES = {"finished", "no_show", "transferred", "cancelled", "closed_end_of_day"}
_EVENT_SQL = ("INSERT INTO site_events (site, seq, id, type, at, day, ticket, desk, service, user_id, data, received_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
_RATING_SQL = ("INSERT INTO ratings (site, ticket, score, comment, desk, officer, source, at, day, levels, reason) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, ticket) DO NOTHING")
_DOSSIER_SQL = "INSERT INTO dossiers (site, ticket, code, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
DOSSIER_ADDED = "dossier_added"                 # issue 14: data {"code": the ticket's, "dossier": the code}
_DESK_COLUMNS = ("state", "pause_reason", "current_ticket", "officer", "updated_at")


def apply_events(db, site: str, items: list[tuple[int, Message]], now: float) -> None:
    """The new events of a batch, in order, in the caller's transaction. Each message carries the
    ticket's whole row, so a ticket is written once per batch, from its last message; a desk's
    state is folded over the batch's events in order and written once."""
    events, ratings, dossiers, tickets, desks = [], [], [], {}, {}
    for seq, m in items:
        events.append([site, seq, m.id, m.type, m.at, m.day, m.ticket_id, m.desk, m.service, m.user,
                       json.dumps(m.data, ensure_ascii=False) if m.data else None, now])
        if m.ticket is not None:
            tickets[m.ticket.id] = (m.ticket, seq)
        if m.rating is not None and m.ticket_id is not None:
            r = m.rating
            ratings.append([site, m.ticket_id, r.score, r.comment, r.desk, r.officer, r.source, r.at, r.day,
                            r.levels if r.levels in (3, 5) else 5, r.reason])
        if m.type == DOSSIER_ADDED and m.ticket_id is not None:
            code = m.data.get("dossier")            # any other shape is kept as the event only
            if isinstance(code, str) and 0 < len(code) <= 64:
                dossiers.append([site, m.ticket_id, code, m.at])
        if m.desk is not None:
            desk = desks.get(m.desk)
            if desk is None:
                row = db.execute(f"SELECT {', '.join(_DESK_COLUMNS)} FROM desks WHERE site = ? AND number = ?",
                                 [site, m.desk]).fetchone()
                desk = desks[m.desk] = dict(zip(_DESK_COLUMNS, row or ("closed", None, None, None, None)))
            fold_desk(desk, m)
    db.conn.executemany(_EVENT_SQL, events)
    db.conn.executemany(_TICKET_SQL, [[site, *(getattr(t, c) for c in TICKET_COLUMNS), seq] for t, seq in tickets.values()])
    if ratings:
        db.conn.executemany(_RATING_SQL, ratings)
    if dossiers:
        db.conn.executemany(_DOSSIER_SQL, dossiers)
    db.conn.executemany(
        f"INSERT INTO desks (site, number, {', '.join(_DESK_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (site, number) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _DESK_COLUMNS),
        [[site, number, *(d[c] for c in _DESK_COLUMNS)] for number, d in desks.items()])


def apply_event(db, site: str, seq: int, m: Message, now: float) -> None:
    apply_events(db, site, [(seq, m)], now)


def fold_desk(desk: dict, m: Message) -> None:
    """A desk's state after one event, as the site's rules changed it (from the events alone)."""
    if m.type in OPENS:
        desk.update(state="open", pause_reason=None, officer=m.user, updated_at=m.at)
    elif m.type == "paused":
        desk.update(state="paused", pause_reason=str(m.data.get("reason", ""))[:200], officer=m.user, updated_at=m.at)
    elif m.type == "desk_taken_over":
        desk.update(officer=m.user, updated_at=m.at)
    elif m.type == "desk_closed":
        desk.update(state="closed", pause_reason=None, officer=None, current_ticket=None, updated_at=m.at)
    elif m.type == "called":
        desk.update(current_ticket=m.ticket_id, updated_at=m.at)
    elif m.type in FREES and desk["current_ticket"] == m.ticket_id:
        desk.update(current_ticket=None, updated_at=m.at)


def apply_catalog(db, site: str, catalog: Catalog, digest: str | None) -> None:
    """The site's reference data: names and targets the reports join on (never the desks' state)."""
    for a in catalog.agencies:
        db.execute("INSERT INTO agencies (site, code, name, position, active) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (site, code) DO UPDATE SET name = excluded.name, position = excluded.position, "
                   "active = excluded.active", [site, a.code, a.name, a.position, a.active])
    for s in catalog.services:
        db.execute("INSERT INTO services (site, code, agency, name, prefix, target_wait_min, position, active) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, code) DO UPDATE SET agency = excluded.agency, "
                   "name = excluded.name, prefix = excluded.prefix, target_wait_min = excluded.target_wait_min, "
                   "position = excluded.position, active = excluded.active",
                   [site, s.code, s.agency, s.name, s.prefix, s.target_wait_min, s.position, s.active])
    for d in catalog.desks:
        db.execute("INSERT INTO desks (site, number, agency, name, position, active) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (site, number) DO UPDATE SET agency = excluded.agency, name = excluded.name, "
                   "position = excluded.position, active = excluded.active",
                   [site, d.number, d.agency, d.name, d.position, d.active])
    for o in catalog.officers:
        db.execute("INSERT INTO officers (site, id, username) VALUES (?, ?, ?) "
                   "ON CONFLICT (site, id) DO UPDATE SET username = excluded.username", [site, o.id, o.username])
    db.execute("UPDATE sites SET catalog = ?, catalog_hash = ? WHERE code = ?",
               [json.dumps(catalog.model_dump(), ensure_ascii=False), digest, site])


