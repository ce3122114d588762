"""The security review of SECURITY.md, tested: every route refuses callers without credentials
(but an explicit list of public ones) and the roles it does not name, tokens expire and are
revoked, sign-ins and kiosks are rate limited, no response sets a cookie, Socket.IO takes its
token only from the connect payload, no secret reaches the log, the database files are private.

The route tests walk ``app.url_map``: a route added without a thought about who may call it
fails here until it is either protected or named in ``PUBLIC`` with the reason."""
from __future__ import annotations

import re
import sqlite3
import stat
import time
from datetime import datetime

import pytest
import requests
from itsdangerous import TimestampSigner

from server.auth.users import create_user
from server.clock import FixedClock
from server.rules import Actor, QueueService, RateLimited, RuleContext
from server.storage import Storage
from server.storage.sync import sync_config
from server.web.app import create_app
from tests.conftest import bearer, make_config
from tests.centers import CA, STP_LLTP_ONLY, center_toml, desk, desk_display, hall_display, kiosk
from tests.live_server import start_center
from tests.socket_recorder import Recorder

PASSWORDS = {"stp1": "mat-khau-stp-1", "ca1": "mat-khau-ca-1", "gs": "mat-khau-gs-1", "root": "mat-khau-root-1"}
KIOSKS = [{"id": "kiosk-1", "token": "kiosk-token-1"}, {"id": "kiosk-2", "token": "kiosk-token-2"}]
DISPLAYS = [{"id": "hall-1", "token": "hall-token-1", "kind": "hall"},
            {"id": "desk-1", "token": "desk-token-1", "kind": "desk", "desk": 1},
            {"id": "desk-3", "token": "desk-token-3", "kind": "desk", "desk": 3}]
DEVICE_TOKENS = {"kiosk": "kiosk-token-1", "display": "hall-token-1"}


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"], body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def make_app(tmp_path, **overrides):
    config = make_config(tmp_path, kiosks=KIOSKS, displays=DISPLAYS, **overrides)
    storage = Storage(config.server.database, synchronous="OFF")
    clock = FixedClock(config.tz, datetime(2026, 11, 23, 9, 0, tzinfo=config.tz))
    app = create_app(config, storage=storage, clock=clock, voice=False)
    for name, role, agency in (("stp1", "officer", "STP"), ("ca1", "officer", "CA"), ("gs", "supervisor", None),
                               ("root", "admin", None)):
        create_user(storage, name, PASSWORDS[name], role, agency)
    app.clock, app.storage = clock, storage
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.storage.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(client):
    out = dict(DEVICE_TOKENS)
    for name, password in PASSWORDS.items():
        r = client.post("/api/v1/auth/login", json={"username": name, "password": password})
        assert r.status_code == 200, r.get_data(as_text=True)
        out[name] = r.get_json()["access_token"]
    return out


def issue(client, token="kiosk-token-1", service="STP-LLTP"):
    return client.post("/api/v1/tickets", json={"service": service}, headers=bearer(token))


# ---- every route, without credentials ---------------------------------------------------------
# rule → (status without credentials, why it is public). Everything else must answer 401 or 403.
PUBLIC = {
    "/api/v1/health": (200, "liveness probe, says nothing"),
    "/api/v1/openapi.json": (200, "the API's description, no data"),
    "/api/v1/catalog": (200, "agencies, services and waiting counts: shown on every screen of the hall"),
    "/api/v1/queues": (200, "waiting counts: shown on every screen of the hall"),
    "/api/v1/auth/login": (401, "signing in (wrong credentials here: 401 invalid_credentials, rate limited)"),
    # issue 14: the procedure catalog is public information, and so is a link to the province's own page
    "/api/v1/lookup": (200, "the catalog's fields, whether there is a dossier status page, the rating settings"),
    "/api/v1/procedures": (400, "searching the public procedure catalog (400 without ?q=)"),
    "/api/v1/procedures/fields": (200, "the fields of the public procedure catalog"),
    "/api/v1/procedures/<code>": (404, "one procedure of the public catalog (A001 is none)"),
    "/api/v1/dossiers/link": (404, "a dossier code → the province's status page (none configured here)"),
    "/api/v1/dossiers/qr.png": (404, "the QR of that page (none configured here)"),
    "/desk": (200, "static page: signs in through the API, holds no data"),
    "/supervisor": (200, "static page: signs in through the API, holds no data"),
    "/favicon.ico": (200, "the project's icon, drawn by the server, no data"),
    "/static/<path:filename>": (200, "scripts, styles, vendored libraries"),
    "/kiosk-static/<path:filename>": (200, "scripts and styles of the kiosk and phone pages"),
    "/display-static/<path:filename>": (200, "scripts and styles of the display pages"),
    "/display/silence.wav": (200, "0.1 s of silence (autoplay probe)"),
    "/audio/call/<code>/<int:desk>.wav": (404, "the spoken call, only for calls that happened (the hall hears "
                                               "them anyway); nothing is synthesised for made-up codes"),
    "/t/<path:ref>": (404, "the visitor's phone page: needs the ticket's secret ?t=, else a polite 404"),
    "/i18n/index.json": (200, "the catalog's languages: the same for everyone, no secrets"),
    "/i18n/<lang>.json": (200, "one language's words for every page: the same for everyone, no secrets"),
}
STATIC_SAMPLES = {"/static/<path:filename>": "desk/desk.js", "/kiosk-static/<path:filename>": "kiosk.js",
                  "/display-static/<path:filename>": "hall.js"}
# bodies that pass validation, so that a route checking its caller itself (not in @endpoint) is
# reached; the others check the caller before reading the body
BODIES = {"ratings_api.rate_ticket": {"score": 5}, "api.login": {"username": "nobody", "password": "wrong-1"}}


def concrete(rule, ticket_id: int) -> str:
    if rule.rule in STATIC_SAMPLES:
        return rule.rule.replace("<path:filename>", STATIC_SAMPLES[rule.rule])
    url = rule.rule.replace("<int:number>", "1").replace("<id:ticket_id>", str(ticket_id))
    url = url.replace("<path:ref>", str(ticket_id)).replace("<code>", "A001").replace("<int:desk>", "1")
    url = url.replace("<lang>", "vi")
    assert "<" not in url, f"teach this test how to fill {rule.rule}"
    return url


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_refuses_callers_without_credentials_except_the_public_ones(app, client):
    ticket_id = issue(client).get_json()["ticket"]["id"]
    seen = set()
    for rule, method in routes(app):
        seen.add(rule.rule)
        url = concrete(rule, ticket_id)
        body = BODIES.get(rule.endpoint, {}) if method == "POST" else None
        r = client.open(url, method=method, json=body)
        where = (method, rule.rule, r.status_code, r.get_data()[:200])
        if rule.rule in PUBLIC:
            assert r.status_code == PUBLIC[rule.rule][0], where
        else:
            assert r.status_code in (401, 403), where
            assert "set-cookie" not in {k.lower() for k in r.headers.keys()}, where
    assert set(PUBLIC) <= seen, f"PUBLIC names routes that are gone: {set(PUBLIC) - seen}"


def test_secret_protected_routes_refuse_a_wrong_secret(client):
    ticket = issue(client).get_json()["ticket"]
    secret = ticket["status_url"].split("?t=")[1]
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    error_of(client.get(f"/api/v1/tickets/{ticket['id']}?t={wrong}"), 403, "invalid_secret")
    error_of(client.post(f"/api/v1/tickets/{ticket['id']}/rating?t={wrong}", json={"score": 5}), 403, "invalid_secret")
    assert client.get(f"/t/{ticket['id']}?t={wrong}").status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket['id']}?t={secret}").status_code == 200
    assert client.get(f"/t/{ticket['id']}?t={secret}").status_code == 200
    # another ticket's secret does not open this one
    other = issue(client).get_json()["ticket"]
    error_of(client.get(f"/api/v1/tickets/{other['id']}?t={secret}"), 403, "invalid_secret")


# ---- every route, with each role ---------------------------------------------------------------
ROLE_CALLERS = {"kiosk": "kiosk", "display": "display", "officer": "stp1", "supervisor": "gs", "admin": "root"}


def test_every_api_route_refuses_the_roles_it_does_not_name_and_admits_the_others(app, client, tokens):
    issue(client)
    ticket_id = issue(client).get_json()["ticket"]["id"]
    checked = 0
    for rule, method in routes(app):
        spec = getattr(app.view_functions[rule.endpoint], "spec", None)
        if spec is None or "anyone" in spec.auth:
            continue
        url = concrete(rule, ticket_id)
        for role, caller in ROLE_CALLERS.items():
            r = client.open(url, method=method, json={} if method == "POST" else None, headers=bearer(tokens[caller]))
            where = (role, method, rule.rule, r.status_code, r.get_data()[:200])
            if role in spec.auth:
                assert r.status_code not in (401, 403), where
            else:
                assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden", where
            checked += 1
    assert checked > 100


def test_an_officer_acts_only_on_his_agencys_desks(app, client, tokens):
    issue(client, service="STP-LLTP")
    desk_actions = [(rule, method) for rule, method in routes(app) if rule.rule.startswith("/api/v1/desks/<int:number>/")]
    assert len(desk_actions) >= 9
    for rule, _ in desk_actions:
        body = {"transfer": {"service": "STP-HT"}, "pause": {"reason": "Họp"}}.get(rule.rule.rsplit("/", 1)[-1])
        r = client.post(rule.rule.replace("<int:number>", "1"), json=body, headers=bearer(tokens["ca1"]))
        error_of(r, 403, "forbidden")
    # nothing happened at desk 1
    desk = client.get("/api/v1/desks/1", headers=bearer(tokens["gs"])).get_json()["desk"]
    assert desk["state"] == "closed" and desk.get("current_ticket") is None
    # his own desks: yes; the desk list shows his agency's only
    assert client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"])).status_code == 200
    listed = client.get("/api/v1/desks", headers=bearer(tokens["ca1"])).get_json()["desks"]
    assert {d["number"] for d in listed} == {3}


def test_device_tokens_stay_in_their_lane(client, tokens):
    ticket = issue(client).get_json()["ticket"]
    for token in ("hall-token-1", "desk-token-1"):
        error_of(issue(client, token), 403, "forbidden")                         # displays never issue
        error_of(client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(token)), 403)
        error_of(client.get(f"/api/v1/tickets/{ticket['id']}/ticket.png", headers=bearer(token)), 403)
    error_of(client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer("kiosk-token-1")), 403)
    # a kiosk's token is no display's and no staff's: pages refuse it too
    assert client.get("/display/hall?token=kiosk-token-1").status_code == 403
    assert client.get("/display/desk/1?token=hall-token-1").status_code == 403
    assert client.get("/display/desk/1?token=desk-token-3").status_code == 403
    assert client.get("/kiosk?token=hall-token-1").status_code == 403
    assert client.get("/display/audio/batch.wav?c=A001-1&c=A002-1&token=kiosk-token-1").status_code == 403


# ---- tokens: lifetime and revocation -----------------------------------------------------------
def test_an_access_token_past_its_lifetime_is_401_and_a_fresh_one_works(app, client, tokens, monkeypatch):
    ttl = app.extensions["hangdoi"].signer.ttl_s
    assert ttl == 12 * 3600                                                  # queue.token_ttl_hours default
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + int(ttl) - 60)
    assert client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])).status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + int(ttl) + 2)
    error_of(client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])), 401, "invalid_token")
    error_of(client.post("/api/v1/desks/1/next", headers=bearer(tokens["gs"])), 401, "invalid_token")
    fresh = client.post("/api/v1/auth/login", json={"username": "stp1", "password": PASSWORDS["stp1"]})
    assert client.get("/api/v1/desks/1", headers=bearer(fresh.get_json()["access_token"])).status_code == 200
    # device tokens do not expire: they are revoked by taking them out of the config
    assert issue(client).status_code == 201


def test_a_disabled_users_token_dies_at_once_and_he_cannot_sign_in(client, tokens):
    admin = bearer(tokens["root"])
    assert client.post("/api/v1/admin/users/disable", json={"username": "stp1"}, headers=admin).status_code == 200
    error_of(client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])), 401, "invalid_token")
    error_of(client.post("/api/v1/auth/login", json={"username": "stp1", "password": PASSWORDS["stp1"]}), 401)
    assert client.post("/api/v1/admin/users/enable", json={"username": "stp1"}, headers=admin).status_code == 200
    error_of(client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])), 401)   # enabling revives no token


# ---- rate limits: sign-in ----------------------------------------------------------------------
def login(client, username, password, address="10.0.0.1", **headers):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


@pytest.fixture
def login_clock(app):
    now = [1000.0]
    app.extensions["hangdoi"].login_limiter.clock = lambda: now[0]
    return now


def test_the_11th_failed_sign_in_in_a_minute_is_429_even_with_the_right_password(app, client, login_clock):
    for i in range(10):
        login_clock[0] += 1
        error_of(login(client, "stp1", f"wrong-{i}"), 401, "invalid_credentials")
    r = login(client, "stp1", PASSWORDS["stp1"])
    error = error_of(r, 429, "too_many_attempts")
    assert error["message"].startswith("Đăng nhập sai quá nhiều lần")
    assert int(r.headers["Retry-After"]) == 51                # the first failure (t=1001) leaves at t=1061
    # per user name: from another address too
    error_of(login(client, "stp1", PASSWORDS["stp1"], address="10.0.0.2"), 429, "too_many_attempts")
    # per address: another user from that address too; another user from elsewhere is fine
    error_of(login(client, "gs", PASSWORDS["gs"]), 429, "too_many_attempts")
    assert login(client, "gs", PASSWORDS["gs"], address="10.0.0.3").status_code == 200
    # a minute after the failures, the right password works again
    login_clock[0] += 60
    assert login(client, "stp1", PASSWORDS["stp1"]).status_code == 200


def test_a_success_does_not_reset_the_count_of_an_address(client, login_clock):
    for i in range(9):
        error_of(login(client, f"user{i}", "guess"), 401)
    assert login(client, "gs", PASSWORDS["gs"]).status_code == 200            # an account of one's own
    error_of(login(client, "root", "guess"), 401)                              # the 10th failure
    error_of(login(client, "root", PASSWORDS["root"]), 429, "too_many_attempts")


def test_the_address_behind_a_local_proxy_is_the_forwarded_one_and_cannot_be_spoofed(client, login_clock):
    for i in range(10):          # nginx on the same machine: the peer is 127.0.0.1, the client is the last XFF
        error_of(login(client, f"u{i}", "guess", address="127.0.0.1", **{"X-Forwarded-For": "1.2.3.4, 10.9.9.9"}), 401)
    error_of(login(client, "gs", PASSWORDS["gs"], address="127.0.0.1", **{"X-Forwarded-For": "10.9.9.9"}), 429)
    assert login(client, "gs", PASSWORDS["gs"], address="127.0.0.1", **{"X-Forwarded-For": "10.9.9.8"}).status_code == 200
    # a client on the LAN cannot pick its own address by sending the header
    for i in range(10):
        error_of(login(client, f"v{i}", "guess", address="10.5.5.5", **{"X-Forwarded-For": f"10.6.6.{i}"}), 401)
    error_of(login(client, "root", PASSWORDS["root"], address="10.5.5.5", **{"X-Forwarded-For": "10.7.7.7"}), 429)


def test_login_limit_0_is_off(tmp_path):
    app = make_app(tmp_path, limits={"login_attempts_per_minute": 0})
    client = app.test_client()
    for i in range(25):
        error_of(login(client, "stp1", f"wrong-{i}"), 401, "invalid_credentials")
    assert login(client, "stp1", PASSWORDS["stp1"]).status_code == 200
    app.storage.close()


# ---- rate limits: tickets per kiosk ------------------------------------------------------------
def test_the_61st_ticket_of_a_kiosk_in_a_minute_is_429_while_others_still_issue(app, client, tokens):
    for i in range(60):
        assert issue(client, service=("STP-LLTP", "CA-CC")[i % 2]).status_code == 201
    r = issue(client)
    error = error_of(r, 429, "rate_limited")
    assert error["message"].startswith("Ki-ốt đã cấp 60 số")
    assert int(r.headers["Retry-After"]) == 60             # a still clock: the oldest leaves in a minute
    assert issue(client, "kiosk-token-2").status_code == 201                # another kiosk
    assert issue(client, tokens["stp1"]).status_code == 201                 # staff are not limited
    assert issue(client, tokens["gs"]).status_code == 201
    app.clock.advance(30)
    r = issue(client)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 30
    app.clock.advance(31)
    assert issue(client).status_code == 201
    with app.storage.read() as db:
        assert db.execute("SELECT count(*) FROM tickets WHERE kiosk = 'kiosk-1'").fetchone()[0] == 61


def test_an_idempotent_replay_is_not_a_new_ticket_and_not_refused(app, client):
    headers = {**bearer("kiosk-token-1"), "Idempotency-Key": "tap-1"}
    first = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers)
    for _ in range(59):
        assert issue(client).status_code == 201
    again = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    error_of(issue(client), 429, "rate_limited")


def test_kiosk_limit_0_is_off(tmp_path):
    app = make_app(tmp_path, limits={"kiosk_tickets_per_minute": 0})
    client = app.test_client()
    for _ in range(100):
        assert issue(client).status_code == 201
    app.storage.close()


def test_the_kiosk_limit_is_counted_in_the_database_across_processes(config, clock):
    """Two services on one file, as two server processes: together they issue no more than the limit."""
    kiosk = Actor(kind="device", role="kiosk", device="kiosk-1", name="kiosk-1")
    storages = [Storage(config.server.database) for _ in range(2)]
    sync_config(storages[0], config)
    services = [QueueService(s, RuleContext(clock=clock, public_url="http://x", kiosk_tickets_per_minute=10))
                for s in storages]
    for i in range(10):
        services[i % 2].issue(kiosk, "STP-LLTP")
    for service in services:
        with pytest.raises(RateLimited) as refused:
            service.issue(kiosk, "STP-LLTP")
        assert refused.value.retry_after_s == 60 and refused.value.code == "rate_limited"
    services[1].issue(Actor(kind="device", role="kiosk", device="kiosk-2", name="kiosk-2"), "STP-LLTP")
    with storages[0].read() as db:
        plan = " ".join(str(r[-1]) for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT issued_at FROM tickets WHERE issued_at > ? AND kiosk = ? "
            "ORDER BY issued_at DESC LIMIT 1 OFFSET ?", [0, "kiosk-1", 9]))
    assert "INDEX" in plan, plan              # only the last minute's tickets are read, not the day's
    for s in storages:
        s.close()


def test_openapi_documents_429_with_retry_after(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/auth/login", "/tickets"):
        answer = doc["paths"][path]["post"]["responses"]["429"]
        assert "Retry-After" in answer["headers"]


# ---- a real server: cookies, Socket.IO, logs, files --------------------------------------------
LIVE_KIOSK, LIVE_HALL, LIVE_DESK = "kiosk-secret-token-7f3a9c", "hall-secret-token-2b8e4d", "desk-secret-token-9c1f6a"
LIVE_PASSWORDS = {"stp": "Mat-Khau-Bi-Mat-STP-81", "ca": "Mat-Khau-Bi-Mat-CA-92", "quantri": "Mat-Khau-Quan-Tri-73"}


LIVE_CONFIG = center_toml(
    "data/security.db", name="Trung tâm thử bảo mật", agencies=[STP_LLTP_ONLY, CA],
    desks=[desk(1, "STP", "STP-LLTP"), desk(3, "CA", "CA-CC")], kiosks=[kiosk("kiosk-1", LIVE_KIOSK)],
    displays=[hall_display("hall-1", LIVE_HALL), desk_display("desk-1", LIVE_DESK, 1)])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("security"), LIVE_CONFIG, {
        "stp": (LIVE_PASSWORDS["stp"], "officer", "STP"), "ca": (LIVE_PASSWORDS["ca"], "officer", "CA"),
        "quantri": (LIVE_PASSWORDS["quantri"], "admin")}, args=("--access-log",))
    yield server
    server.stop()


def live_login(live, name, session=None) -> str:
    r = (session or requests).post(live.url + "/api/v1/auth/login",
                                   json={"username": name, "password": LIVE_PASSWORDS[name]}, timeout=15)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def live_issue(live, session=None, service="STP-LLTP") -> dict:
    r = (session or requests).post(live.url + "/api/v1/tickets", json={"service": service},
                                   headers=bearer(LIVE_KIOSK), timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def call_until(live, officer: str, desk: int, ticket: dict, session=None) -> None:
    """Call the next ticket at ``desk`` until ``ticket`` is the one called (others may wait before it)."""
    for _ in range(50):
        r = (session or requests).post(f"{live.url}/api/v1/desks/{desk}/next", headers=bearer(officer), timeout=15)
        assert r.status_code == 200, r.text
        if r.json()["ticket"] and r.json()["ticket"]["id"] == ticket["id"]:
            return
    raise AssertionError(f"{ticket['code']} never came up at desk {desk}")


def flow(live) -> dict:
    """Sign in, open every page, issue, follow, call, serve, rate: every kind of request once.
    Returns the secrets that went over the wire, and every response."""
    session = requests.Session()
    responses = []
    session.hooks["response"].append(lambda r, *a, **k: responses.append(r))
    get = lambda path, **kw: session.get(live.url + path, timeout=15, **kw)   # noqa: E731
    for page in ("/desk", "/supervisor", f"/kiosk?token={LIVE_KIOSK}", f"/display/hall?token={LIVE_HALL}",
                 f"/display/desk/1?token={LIVE_DESK}"):
        assert get(page).status_code == 200, page
    officer = live_login(live, "stp", session)
    admin = live_login(live, "quantri", session)
    ticket = live_issue(live, session)
    secret = ticket["status_url"].split("?t=")[1]
    assert get(f"/t/{ticket['id']}?t={secret}").status_code == 200
    assert get(f"/api/v1/tickets/{ticket['id']}", params={"t": secret}).status_code == 200
    assert get(f"/api/v1/tickets/{ticket['id']}/ticket.png", headers=bearer(LIVE_KIOSK)).status_code == 200
    handshake = get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert handshake.status_code == 200 and handshake.text.startswith("0{")
    call_until(live, officer, 1, ticket, session)
    for action in ("start", "finish"):
        r = session.post(f"{live.url}/api/v1/desks/1/{action}", headers=bearer(officer), timeout=15)
        assert r.status_code == 200, r.text
    r = session.post(f"{live.url}/api/v1/tickets/{ticket['id']}/rating", params={"t": secret}, json={"score": 5},
                     timeout=15)
    assert r.status_code == 201, r.text
    assert session.get(live.url + "/api/v1/supervision/overview", headers=bearer(admin), timeout=15).status_code == 200
    return {"session": session, "responses": responses, "officer": officer, "admin": admin, "secret": secret,
            "ticket": ticket}


def test_no_response_of_a_whole_flow_sets_a_cookie(live):
    done = flow(live)
    assert len(done["responses"]) >= 15
    for r in done["responses"]:
        assert "Set-Cookie" not in r.headers, (r.request.method, r.url, r.headers.get("Set-Cookie"))
    assert len(done["session"].cookies) == 0


class Client(Recorder):
    """A recorder connected at once with whatever auth, headers or query string the test gives
    (the server must take a token from the connect auth only)."""

    def __init__(self, live, *, auth=None, headers=None, query=""):
        super().__init__(live.url + query)
        self.sio.connect(self.url, auth=auth, headers=headers or {}, transports=["websocket"], wait_timeout=10)


def test_socketio_takes_the_token_only_from_the_connect_payload(live):
    officer = live_login(live, "stp")
    by_query = Client(live, query=f"?token={LIVE_HALL}")
    by_header = Client(live, headers=bearer(officer))
    by_auth = Client(live, auth={"token": LIVE_HALL})
    try:
        for c in (by_query, by_header, by_auth):
            c.wait_count("snapshot", 1)
        by_header.sio.emit("watch_desk", {"desk": 1})               # a visitor for the server: refused
        assert by_header.wait_count("error", 1)[0]["code"] == "forbidden"
        ticket = live_issue(live)
        call_until(live, officer, 1, ticket)
        assert ticket["code"] in [c["ticket"]["code"] for c in by_auth.wait_count("call", 1)]
        time.sleep(0.5)
        for c in (by_query, by_header):                              # no room, no calls, no queues
            assert c.of("call") == [] and c.of("queues") == [], c.events
        requests.post(f"{live.url}/api/v1/desks/1/finish", headers=bearer(officer), timeout=15)
    finally:
        for c in (by_query, by_header, by_auth):
            c.close()


def test_a_browser_page_of_another_site_cannot_open_a_socket(live):
    """Same origin only: a page of this server may connect (python-socketio's websocket sends the
    server's own Origin, as a page of the server does), a page of another site may not."""
    import websocket

    own = Client(live, auth={"token": LIVE_HALL})
    try:
        own.wait_count("snapshot", 1)
    finally:
        own.close()
    ws_url = live.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    def first_frame(origin):
        ws = websocket.create_connection(ws_url, origin=origin, timeout=10)
        try:
            return ws.recv()
        except websocket.WebSocketConnectionClosedException:
            return ""
        finally:
            ws.close()

    assert first_frame("http://evil.example") == ""            # closed before any session opens
    assert first_frame(live.url).startswith('0{"sid"')          # the engine.io open packet
    polling = requests.get(f"{live.url}/socket.io/?EIO=4&transport=polling",
                           headers={"Origin": "http://evil.example"}, timeout=15)
    assert polling.status_code == 400 and "Access-Control-Allow-Origin" not in polling.headers
    polling = requests.get(f"{live.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": live.url}, timeout=15)
    assert polling.status_code == 200


def test_screens_and_visitors_cannot_send_staff_or_agent_events(live):
    hall = Client(live, auth={"token": LIVE_HALL})
    desk = Client(live, auth={"token": LIVE_DESK})
    kiosk_screen = Client(live, auth={"token": LIVE_KIOSK})
    phone = Client(live)
    try:
        for c in (hall, desk, phone):
            c.sio.emit("watch_desk", {"desk": 1})
            c.sio.emit("agent_hello", {"version": "x", "printer": "preview:/tmp", "width": 576})
            c.sio.emit("print_ack", {"job_id": 1, "ok": True})
            c.sio.emit("printer_state", {"state": "paper_out"})
            errors = c.wait_count("error", 4)
            assert [e["code"] for e in errors] == ["forbidden"] * 4, errors
        kiosk_screen.sio.emit("print_ack", {"job_id": 1, "ok": True})     # a kiosk screen is no print agent
        kiosk_screen.sio.emit("printer_state", {"state": "paper_out"})
        assert [e["code"] for e in kiosk_screen.wait_count("error", 2)] == ["forbidden"] * 2
        overview = requests.get(live.url + "/api/v1/supervision/overview",
                                headers=bearer(live_login(live, "quantri")), timeout=15).json()
        assert overview["devices"]["kiosks"][0]["printer"] is None       # nobody changed the printer's state
    finally:
        for c in (hall, desk, kiosk_screen, phone):
            c.close()


def expired_token(live, user_id: int, token_version: int = 0) -> str:
    """An access token signed with the server's own key a day ago (the key is in the database)."""
    from server.auth.tokens import TokenSigner

    with sqlite3.connect(live.database) as db:
        key = db.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()[0]
    signer = TokenSigner(key, 3600)
    day_ago = int(time.time()) - 86400
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: day_ago
    try:
        return signer.issue(user_id, token_version)
    finally:
        TimestampSigner.get_timestamp = original


def assert_refused_at_connect(live, token):
    import socketio

    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    client.disconnect()


def test_expired_and_revoked_tokens_are_refused_at_connect_and_over_http(live):
    admin = live_login(live, "quantri")
    users = requests.get(live.url + "/api/v1/admin/users", headers=bearer(admin), timeout=15).json()["users"]
    ca = next(u for u in users if u["username"] == "ca")
    old = expired_token(live, ca["id"])
    assert requests.get(live.url + "/api/v1/desks/3", headers=bearer(old), timeout=15).status_code == 401
    token = live_login(live, "ca")
    assert requests.get(live.url + "/api/v1/desks/3", headers=bearer(token), timeout=15).status_code == 200
    assert requests.post(live.url + "/api/v1/admin/users/disable", json={"username": "ca"}, headers=bearer(admin),
                         timeout=15).status_code == 200
    try:
        assert requests.get(live.url + "/api/v1/desks/3", headers=bearer(token), timeout=15).status_code == 401
        for bad in (old, token):
            assert_refused_at_connect(live, bad)
    finally:
        requests.post(live.url + "/api/v1/admin/users/enable", json={"username": "ca"}, headers=bearer(admin), timeout=15)


def test_an_open_staff_socket_is_cut_when_its_access_ends(live):
    """A console left open keeps no access: disabling the user cuts his socket (within the
    server's recheck interval), so staff pushes stop reaching it, and it cannot come back."""
    from server.web.realtime import STAFF_RECHECK_S

    admin = live_login(live, "quantri")
    officer = live_login(live, "ca")
    console = Client(live, auth={"token": officer})
    bystander = Client(live, auth={"token": live_login(live, "stp")})
    try:
        console.wait_count("snapshot", 1)
        bystander.wait_count("snapshot", 1)
        assert console.sio.connected
        assert requests.post(live.url + "/api/v1/admin/users/disable", json={"username": "ca"},
                             headers=bearer(admin), timeout=15).status_code == 200
        deadline = time.monotonic() + STAFF_RECHECK_S + 10
        while console.sio.connected:
            assert time.monotonic() < deadline, "the socket of a disabled user stayed open"
            time.sleep(0.05)
        assert bystander.sio.connected, "another officer's socket was cut too"
        assert_refused_at_connect(live, officer)
    finally:
        requests.post(live.url + "/api/v1/admin/users/enable", json={"username": "ca"}, headers=bearer(admin), timeout=15)
        console.close()
        bystander.close()


def test_an_officer_moved_to_another_agency_leaves_the_old_agencys_rooms(live):
    from server.web.realtime import STAFF_RECHECK_S

    admin = live_login(live, "quantri")
    officer = live_login(live, "stp")
    console = Client(live, auth={"token": officer})

    def move(agency):
        r = requests.post(live.url + "/api/v1/admin/users/agency", json={"username": "stp", "agency": agency},
                          headers=bearer(admin), timeout=15)
        assert r.status_code == 200, r.text

    try:
        console.wait_count("snapshot", 1)
        move("CA")
        deadline = time.monotonic() + STAFF_RECHECK_S + 10
        while console.sio.connected:
            assert time.monotonic() < deadline, "the socket kept the old agency's rooms"
            time.sleep(0.05)
        again = Client(live, auth={"token": officer})      # the token still holds: it connects again
        again.wait_count("snapshot", 1)
        again.close()
    finally:
        move("STP")
        console.close()


def test_no_password_token_or_ticket_secret_reaches_the_log(live):
    done = flow(live)
    follower = Client(live)
    agentless_kiosk = Client(live, auth={"token": LIVE_KIOSK})
    try:
        follower.sio.emit("follow", {"ticket": done["ticket"]["id"], "t": done["secret"]})
        follower.wait_count("ticket", 1)
        agentless_kiosk.wait_count("snapshot", 1)
    finally:
        follower.close()
        agentless_kiosk.close()
    error_of_login = requests.post(live.url + "/api/v1/auth/login",
                                   json={"username": "stp", "password": "Sai-Mat-Khau-Rieng-55"}, timeout=15)
    assert error_of_login.status_code == 401
    for page in (f"/display/hall?token={LIVE_HALL}", f"/t/{done['ticket']['id']}?t={done['secret']}"):
        assert requests.get(live.url + page, timeout=15).status_code == 200
    time.sleep(0.5)
    log = live.log()
    # The server runs with --access-log: it writes a line per request, masked too.
    assert any('"POST /api/v1/tickets HTTP/1.1" 201' in line for line in log.splitlines()), log[-3000:]
    assert any("/display/hall?token=***" in line for line in log.splitlines()), log[-3000:]
    for line in log.splitlines():
        if "/display/hall?token=" in line or f"/t/{done['ticket']['id']}?t=" in line:
            assert "token=***" in line or "t=***" in line, line
    secrets = {"officer's password": LIVE_PASSWORDS["stp"], "admin's password": LIVE_PASSWORDS["quantri"],
               "wrong password": "Sai-Mat-Khau-Rieng-55", "kiosk token": LIVE_KIOSK, "hall token": LIVE_HALL,
               "desk display token": LIVE_DESK, "officer's access token": done["officer"],
               "admin's access token": done["admin"], "ticket secret": done["secret"]}
    leaked = [name for name, secret in secrets.items() if secret in log]
    assert not leaked, f"{leaked} in the server log"
    with sqlite3.connect(live.database) as db:                    # nor the secret key, nor a password hash
        key = db.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()[0]
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
    assert key not in log and not any(h.split("$")[-1] in log for h in hashes)


def test_the_database_its_wal_shm_and_lock_files_are_private(live):
    live_issue(live)                                          # the WAL has something in it
    folder = live.database.parent
    names = [live.database.name + suffix for suffix in ("", "-wal", "-shm", ".lock")]
    for name in names:
        path = folder / name
        assert path.exists(), f"{name} is missing: {sorted(p.name for p in folder.iterdir())}"
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is {oct(mode)}: readable by others"


def test_the_log_filter_masks_tokens_secrets_and_bearer_values():
    from server.logs import redact

    line = ('10.0.0.7 - - "GET /display/hall?token=abc.DEF-123_x HTTP/1.1" 200 "GET /t/42?t=Zx9_-q&x=1" '
            "Authorization: Bearer eyJ1Ijo.xyz-123 /kiosk?lang=vi&token=k1")
    masked = redact(line)
    assert re.findall(r"abc|Zx9|eyJ1|k1\b", masked) == [], masked
    assert "token=***" in masked and "?t=***&x=1" in masked and "Bearer ***" in masked and "lang=vi" in masked
    assert redact("cannot reach redis://:s3cret@127.0.0.1:6379/0 nor rediss://app:p%40ss@h/1") == \
        "cannot reach redis://:***@127.0.0.1:6379/0 nor rediss://app:***@h/1"
