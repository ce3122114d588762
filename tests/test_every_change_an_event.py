"""Every change is an event (issue 11): the province's hub is fed from the event log alone, so a
write path that changes a table without writing an event would be invisible there.

The test walks every write path a center has — the kiosk, the desk's buttons, an officer taking
over another's desk, the supervisor's actions, ratings, dossiers, user administration, the
printer's state and a print job's end — and after each one compares every table with the one
before: whenever a table other than the log itself (and the caches beside it) changed, new
events must have been written, of the expected types."""
from __future__ import annotations

import hashlib

import pytest

from server.rules import events as ev
from tests.conftest import bearer, staff_tokens

#: not the center's state: the log, its outbox, the search index, caches and secrets
NOT_STATE = {"events", "outbox", "settings", "presence", "idempotency", "sqlite_sequence", "schema_migrations",
             "procedure_catalog"}


def tables(db) -> list[str]:
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [n for n in names if n not in NOT_STATE and not n.startswith(("procedures", "sqlite_"))]


def state(storage) -> dict[str, str]:
    with storage.read() as db:
        out = {}
        for name in tables(db):
            rows = db.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out


def last_event(storage) -> int:
    with storage.read() as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


class Walk:
    def __init__(self, storage):
        self.storage = storage
        self.walked: list[str] = []

    def step(self, what: str, action, *expected: str) -> None:
        before, since = state(self.storage), last_event(self.storage)
        result = action()
        status = getattr(result, "status_code", 200)
        assert status < 300, f"{what}: {status} {getattr(result, 'get_data', lambda **k: '')(as_text=True)}"
        after = state(self.storage)
        changed = sorted(name for name in after if after[name] != before.get(name))
        with self.storage.read() as db:
            written = [r[0] for r in db.execute("SELECT type FROM events WHERE id > ? ORDER BY id", [since])]
        assert changed, f"{what}: changed nothing (the walk is not testing what it says)"
        assert written, f"{what}: changed {changed} and wrote no event"
        for type_ in expected:
            assert type_ in written, f"{what}: wrote {written}, not {type_!r}"
        self.walked.append(what)


@pytest.fixture
def walk(staff_app, storage):
    return Walk(storage)


def test_every_write_path_writes_its_events(staff_app, storage, clock, walk):
    client = staff_app.test_client()
    hub = staff_app.extensions["hangdoi"]
    tokens = staff_tokens(client)
    kiosk = {"Authorization": "Bearer kiosk-token-1"}
    stp, gs, root = bearer(tokens["stp1"]), bearer(tokens["gs"]), bearer(tokens["root"])
    post = client.post

    def issue():
        return post("/api/v1/tickets", json={"service": "STP-LLTP", "priority": None}, headers=kiosk)

    walk.step("a kiosk issues a ticket", issue, ev.ISSUED)
    walk.step("a second ticket", issue, ev.ISSUED)
    walk.step("a third ticket", issue, ev.ISSUED)
    walk.step("the officer calls next", lambda: post("/api/v1/desks/1/next", headers=stp), ev.DESK_OPENED, ev.CALLED)
    walk.step("recall", lambda: post("/api/v1/desks/1/recall", headers=stp), ev.RECALLED)
    walk.step("start", lambda: post("/api/v1/desks/1/start", headers=stp), ev.STARTED)
    walk.step("finish", lambda: post("/api/v1/desks/1/finish", headers=stp), ev.FINISHED)
    done = hub.service.ticket(1)[0]
    walk.step("a rating", lambda: post(f"/api/v1/tickets/{done['id']}/rating", json={"score": 5}, headers=gs), ev.RATED)
    walk.step("a dossier code", lambda: post(f"/api/v1/tickets/{done['id']}/dossiers",
                                            json={"code": "000.00.27.H42-261123-0001"}, headers=gs), "dossier_added")
    walk.step("pause", lambda: post("/api/v1/desks/1/pause", json={"reason": "họp"}, headers=stp), ev.PAUSED)
    walk.step("resume", lambda: post("/api/v1/desks/1/resume", headers=stp), ev.RESUMED)

    # user administration
    walk.step("an admin adds an officer", lambda: post("/api/v1/admin/users", headers=root, json={
        "username": "lan", "password": "mat-khau-lan", "role": "officer", "agency": "STP"}), ev.USER_ADDED)
    walk.step("changes his agency", lambda: post("/api/v1/admin/users/agency", headers=root,
                                                  json={"username": "lan", "agency": "CA"}), ev.USER_AGENCY_CHANGED)
    walk.step("and back", lambda: post("/api/v1/admin/users/agency", headers=root,
                                        json={"username": "lan", "agency": "STP"}), ev.USER_AGENCY_CHANGED)
    walk.step("resets his password", lambda: post("/api/v1/admin/users/password", headers=root,
                                                   json={"username": "lan", "password": "mat-khau-moi"}),
              ev.USER_PASSWORD_RESET)
    walk.step("disables him", lambda: post("/api/v1/admin/users/disable", headers=root, json={"username": "lan"}),
              ev.USER_DISABLED)
    walk.step("enables him", lambda: post("/api/v1/admin/users/enable", headers=root, json={"username": "lan"}),
              ev.USER_ENABLED)

    # another officer sits down at desk 1, still open under stp1's name
    lan = client.post("/api/v1/auth/login", json={"username": "lan", "password": "mat-khau-moi"}).get_json()
    walk.step("another officer takes over the open desk",
              lambda: post("/api/v1/desks/1/next", headers=bearer(lan["access_token"])), ev.DESK_TAKEN_OVER, ev.CALLED)
    walk.step("no-show", lambda: post("/api/v1/desks/1/no-show", headers=bearer(lan["access_token"])), ev.NO_SHOW)
    waiting = [t for t in client.get("/api/v1/supervision/tickets?status=waiting", headers=gs).get_json()["tickets"]]
    walk.step("the supervisor moves a waiting ticket", lambda: post(
        f"/api/v1/tickets/{waiting[0]['id']}/move", json={"service": "STP-HT"}, headers=gs), ev.TRANSFERRED)
    walk.step("cancels it", lambda: post(f"/api/v1/tickets/{waiting[0]['id']}/cancel", json={}, headers=gs),
              ev.CANCELLED)
    no_show = client.get("/api/v1/supervision/tickets?status=no_show", headers=gs).get_json()["tickets"][0]
    walk.step("takes a no-show back", lambda: post(f"/api/v1/tickets/{no_show['id']}/reactivate", headers=gs),
              ev.REACTIVATED)
    walk.step("the desk closes", lambda: post("/api/v1/desks/1/close", headers=bearer(lan["access_token"])),
              ev.DESK_CLOSED)

    # the printer: its state, and the end of a print job, as the print agent's answers record them
    relay = hub.printing
    walk.step("the printer runs out of paper", lambda: relay._apply_state("kiosk-1", "paper_out", "hết giấy"),
              ev.DEVICE_STATE)
    from server.printing import jobs as pj

    def printed():
        with storage.write() as db:
            job = pj.job_for_ticket(db, done["id"])
            return pj.acknowledge(db, job["id"], "kiosk-1", True, None, clock.now(), relay._journal("kiosk-1"))

    walk.step("a print job is printed", printed, ev.PRINT_JOB)

    def expired():
        clock.set(clock.now() + 3600)
        with storage.write() as db:
            return pj.expire_old(db, clock.now(), hub.config.printing.max_delay_s, journal=relay._journal())

    walk.step("the day's other print jobs expire", expired, ev.PRINT_JOB)
    assert len(walk.walked) == 26


def test_no_event_carries_a_password_or_its_hash(staff_app, storage):
    client = staff_app.test_client()
    root = bearer(staff_tokens(client)["root"])
    client.post("/api/v1/admin/users", headers=root, json={"username": "lan", "password": "bi-mat-cua-lan",
                                                           "role": "supervisor"})
    client.post("/api/v1/admin/users/password", headers=root, json={"username": "lan", "password": "bi-mat-moi-1"})
    with storage.read() as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
        data = " ".join(r[0] or "" for r in db.execute("SELECT data FROM events"))
    assert "user_added" in {r for r in _types(storage)} and "bi-mat" not in data
    assert not any(h in data for h in hashes)


def _types(storage):
    with storage.read() as db:
        return [r[0] for r in db.execute("SELECT type FROM events")]
