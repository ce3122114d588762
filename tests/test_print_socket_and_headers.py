"""Issue 9, the attacker's tour (helper harden-b): the print agent's socket, the headers of the
phone page and the API, the supervisor's exports, and what a stolen kiosk tablet's token reads.

Screens and anonymous clients sending agent events are in test_security.py; here: one kiosk's
token acting as the print agent of another kiosk, forged printer words, answers stored by caches,
the export's headers, and a kiosk token reading the day's earlier tickets (their QR codes hold
their secrets)."""
from __future__ import annotations

import sqlite3
import time

import pytest
import requests

from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, kiosk
from tests.conftest import KIOSK, bearer, staff_tokens
from tests.live_server import start_center
from tests.socket_recorder import Recorder

CONFIG = center_toml("data/tour.db", limits={"kiosk_tickets_per_minute": 0}, agencies=[STP, CA],
                     desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", "tour-kiosk-1"), kiosk("kiosk-2", "tour-kiosk-2")])


class Agent(Recorder):
    """A hand-made print agent: records every event (print_job included)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sio.on("*", self._any)

    def _any(self, event, data=None, *_):
        with self.cond:
            self.events.append((event, data, time.monotonic()))
            self.cond.notify_all()

    def hello(self) -> dict:
        return self.sio.call("agent_hello", {"version": "x", "printer": "network:10.0.0.9", "width": 576}, timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("tour"), CONFIG)
    yield server
    server.stop()


def issue(live, token) -> dict:
    r = requests.post(live.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer(token), timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def db(live, sql, *args):
    with sqlite3.connect(live.database) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.mark.slow
def test_one_kiosks_token_gets_and_answers_only_its_own_print_jobs(live):
    other = Agent(live.url, "tour-kiosk-2", name="kiosk-2 agent").connect()
    try:
        assert other.hello()["kiosk"] == "kiosk-2"
        theirs = issue(live, "tour-kiosk-1")
        mine = issue(live, "tour-kiosk-2")                       # marker: its own job comes after
        other.wait_for(lambda r: any(j["ticket"]["id"] == mine["id"] for j in r.of("print_job")), what="its job")
        jobs = other.of("print_job")
        assert [j["ticket"]["id"] for j in jobs] == [mine["id"]], jobs
        (their_job,) = db(live, "SELECT id FROM print_jobs WHERE ticket = ?", theirs["id"])[0]
        other.sio.emit("print_ack", {"job_id": their_job, "ok": True})
        error = other.wait_for(lambda r: r.of("error"), what="the refusal")[0]
        assert error["code"] == "unknown_job"
        assert db(live, "SELECT status FROM print_jobs WHERE ticket = ?", theirs["id"])[0][0] == "pending"
        # its own words are stored as one clean line (the supervisor's page, the log)
        other.sio.emit("print_ack", {"job_id": jobs[0]["job_id"], "ok": False,
                                     "error": "kẹt giấy\n2026-12-04 INFO hangdoi: user admin2 added\x1b[31m"})
        other.sio.emit("printer_state", {"state": "offline", "detail": "cáp\r\nINFO forged\x00line\u2028x"})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not db(live, "SELECT detail FROM device_states WHERE device = 'kiosk-2' "
                                                           "AND detail LIKE 'cáp%'"):
            time.sleep(0.05)
        (error_text,) = db(live, "SELECT error FROM print_jobs WHERE ticket = ?", mine["id"])[0]
        assert error_text == "kẹt giấy 2026-12-04 INFO hangdoi: user admin2 added [31m"
        assert db(live, "SELECT detail FROM device_states WHERE device = 'kiosk-2'")[0][0] == "cáp INFO forged line x"
    finally:
        other.close()


# ---- headers, exports and a stolen kiosk token: the app in-process --------------------------------
@pytest.fixture
def client(staff_app):
    return staff_app.test_client()


@pytest.fixture
def tokens(client):
    return staff_tokens(client)


def test_api_answers_are_never_stored_and_never_sniffed(client, tokens):
    ticket = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer("kiosk-token-1")).get_json()
    secret = ticket["ticket"]["status_url"].split("?t=")[1]
    for path, headers in [(f"/api/v1/tickets/{ticket['ticket']['id']}?t={secret}", {}), ("/api/v1/queues", {}),
                          ("/api/v1/catalog", {}), ("/api/v1/desks/1", bearer(tokens["stp1"])),
                          ("/api/v1/tickets/999999", {}), ("/api/v1/openapi.json", {})]:
        r = client.get(path, headers=headers)
        assert r.headers["Cache-Control"] == "no-store", path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "no-referrer", path
    r = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer("kiosk-token-1"))
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store"     # it carries the secret
    assert client.get("/static/staff.js").headers["X-Content-Type-Options"] == "nosniff"


def test_the_phone_page_keeps_its_secret_to_itself(client):
    ticket = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer("kiosk-token-1")).get_json()
    url = ticket["ticket"]["status_url"]
    r = client.get(url[url.index("/t/"):])
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
                      "base-uri 'none'", "form-action 'self'"):
        assert directive in csp
    assert r.headers["Referrer-Policy"] == "no-referrer"         # the ?t= never leaves in a Referer
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
    html = r.get_data(as_text=True)
    assert "http://" not in html.replace(url, "").replace("http://hangdoi.test", "")   # no outside resource


def test_the_export_headers_are_clean_whatever_the_agency_code(client, tokens, storage):
    with storage.write() as db_:
        db_.execute("INSERT INTO agencies (code, name) VALUES (?, ?)", ['X"; FILENAME=EVIL.EXE;Ư', "Lạ"])
    for fmt in ("csv", "xlsx"):
        r = client.get('/api/v1/reports/tickets?from=2026-11-23&to=2026-11-23&format=' + fmt + '&agency=X"; FILENAME=EVIL.EXE;Ư',
                       headers=bearer(tokens["gs"]))
        assert r.status_code == 200, r.get_data(as_text=True)
        disposition = r.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="hangdoi-phieu-2026-11-23_2026-11-23-X___FILENAME_EVIL.EXE__.{fmt}"'
        assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Type"].count("charset") <= 1
    csv_type = client.get("/api/v1/reports/tickets?from=2026-11-23&to=2026-11-23",
                          headers=bearer(tokens["gs"])).headers["Content-Type"]
    assert csv_type == "text/csv; charset=utf-8"
    for who, status in (("stp1", 403), (None, 401)):
        assert client.get("/api/v1/reports/tickets?from=2026-11-23&to=2026-11-23",
                          headers=bearer(tokens.get(who))).status_code == status
    assert client.get("/api/v1/reports/tickets?from=2026-11-23&to=2026-11-23",
                      headers=bearer("kiosk-token-1")).status_code == 403


def test_a_stolen_kiosk_token_reads_only_its_last_minutes(staff_app, client, tokens, clock):
    hub = staff_app.extensions["hangdoi"]
    kiosk = bearer("kiosk-token-1")
    old = hub.service.issue(KIOSK, "STP-LLTP").result
    clock.advance(minutes=11)
    fresh = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=kiosk).get_json()["ticket"]
    for tail in ("qr.png", "ticket.png"):
        assert client.get(f"/api/v1/tickets/{fresh['id']}/{tail}", headers=kiosk).status_code == 200
        r = client.get(f"/api/v1/tickets/{old['id']}/{tail}", headers=kiosk)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
        assert client.get(f"/api/v1/tickets/{old['id']}/{tail}", headers=bearer(tokens["gs"])).status_code == 200
    # and nothing else of the day: no ticket without its secret, no desk, no report, no overview
    for path in (f"/api/v1/tickets/{old['id']}", "/api/v1/desks", "/api/v1/desks/1", "/api/v1/supervision/overview",
                 "/api/v1/supervision/tickets", "/api/v1/admin/users",
                 "/api/v1/reports/summary?from=2026-11-23&to=2026-11-23"):
        assert client.get(path, headers=kiosk).status_code == 403, path
    for path in ("/api/v1/desks/1/next", f"/api/v1/tickets/{old['id']}/cancel", f"/api/v1/tickets/{old['id']}/rating"):
        assert client.post(path, json={"score": 5} if path.endswith("rating") else {}, headers=kiosk).status_code == 403, path


def test_a_desk_displays_url_rates_only_the_visitor_just_served(staff_app, client, clock):
    """A desk display's token could rate every earlier ticket of its desk (rating fraud from a URL)."""
    from server.rules import Actor

    hub = staff_app.extensions["hangdoi"]
    officer = Actor(kind="user", role="officer", agency="STP", name="stp1")
    served = []
    for _ in range(2):
        served.append(hub.service.issue(KIOSK, "STP-LLTP").result["id"])
        hub.service.call_next(officer, 1)
        hub.service.finish(officer, 1)
        clock.advance(minutes=11)
    display = bearer("desk-token-1")
    r = client.post(f"/api/v1/tickets/{served[0]}/rating", json={"score": 1}, headers=display)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    clock.advance(minutes=-2)                     # nine minutes after the second one was finished
    assert client.post(f"/api/v1/tickets/{served[1]}/rating", json={"score": 5}, headers=display).status_code == 201
