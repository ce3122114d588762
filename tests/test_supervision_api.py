"""The supervisor's API: the live overview and its alerts, today's tickets, the actions on a
ticket (call to a desk, reactivate, cancel, move), user administration, and the page."""
from __future__ import annotations

import json

import pytest

from tests.conftest import bearer, staff_tokens


@pytest.fixture
def app(staff_app):
    return staff_app


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, name, pw):
    r = client.post("/api/v1/auth/login", json={"username": name, "password": pw})
    return r.get_json()["access_token"] if r.status_code == 200 else None


@pytest.fixture
def tokens(client):
    return {"kiosk": "kiosk-token-1", "hall": "hall-token-1", "desk1": "desk-token-1", **staff_tokens(client)}


def issue(client, service="STP-LLTP"):
    r = client.post("/api/v1/tickets", json={"service": service}, headers=bearer("kiosk-token-1"))
    assert r.status_code == 201
    return r.get_json()["ticket"]


def act(client, token, ticket, action, **body):
    return client.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body or None, headers=bearer(token))


def events(storage, ticket_id):
    with storage.read() as db:
        return [(r[0], r[1], json.loads(r[2] or "{}")) for r in db.execute(
            "SELECT type, desk, data FROM events WHERE ticket = ? ORDER BY id", [ticket_id])]


# ---- overview and alerts ----------------------------------------------------------------------
def test_overview_has_queues_desks_devices_and_no_alerts_on_a_quiet_morning(client, tokens):
    issue(client)
    r = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"]))
    assert r.status_code == 200
    body = r.get_json()
    assert body["server_time"] == "2026-11-23T08:00:00+07:00" and body["day"] == "2026-11-23"
    stp = body["agencies"][0]
    assert (stp["code"], stp["name"], stp["issued_today"]) == ("STP", "Sở Tư pháp", 1)
    lltp = stp["services"][0]
    assert (lltp["code"], lltp["waiting"], lltp["longest_wait_s"], lltp["target_wait_min"]) == ("STP-LLTP", 1, 0, 15)
    assert [d["number"] for d in body["desks"]] == [1, 2, 3] and body["desks"][0]["state"] == "closed"
    assert [k["id"] for k in body["devices"]["kiosks"]] == ["kiosk-1"]
    assert body["devices"]["kiosks"][0]["printer"] is None and body["devices"]["has_printer_data"] is False
    assert {d["id"]: d["kind"] for d in body["devices"]["displays"]} == {"hall-1": "hall", "desk-1": "desk"}
    assert body["thresholds"] == {"pause_alert_min": 15, "called_alert_min": 10}
    # the ticket waits while every desk of its service is closed: that is said (issue 10)
    assert [(a["kind"], a["subject"]) for a in body["alerts"]] == [("no_open_desk", "STP-LLTP")]
    client.post("/api/v1/desks/2/next", headers=bearer(tokens["stp1"]))      # a desk opens and calls it
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()
    assert body["alerts"] == []


def test_alerts_for_a_late_queue_a_long_pause_and_a_printer_fault(client, tokens, clock, storage):
    issue(client)                                               # 08:00, target 15 min
    client.post("/api/v1/desks/2/pause", json={"reason": "Họp giao ban"}, headers=bearer(tokens["stp1"]))
    clock.advance(minutes=15)
    assert client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()["alerts"] == []
    clock.advance(seconds=1)                                    # 08:15:01: one second past both thresholds
    with storage.write() as db:
        db.execute("INSERT INTO device_states (device, state, detail, updated_at) VALUES ('kiosk-1', 'paper_out', "
                   "'Hết giấy in', ?)", [clock.now() - 30])
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["root"])).get_json()
    alerts = [(a["kind"], a["level"], a["subject"], a["since"]) for a in body["alerts"]]
    assert alerts == [("printer", "error", "kiosk-1", "2026-11-23T08:14:31+07:00"),      # oldest first
                      ("late", "error", "STP-LLTP", "2026-11-23T08:15:00+07:00"),
                      ("paused", "warning", "2", "2026-11-23T08:15:00+07:00")]
    late = next(a for a in body["alerts"] if a["kind"] == "late")
    assert late["since"] == "2026-11-23T08:15:00+07:00" and "Lý lịch tư pháp" in late["message"]
    paused = next(a for a in body["alerts"] if a["kind"] == "paused")
    assert paused["since"] == "2026-11-23T08:15:00+07:00" and "Họp giao ban" in paused["message"]
    printer = next(a for a in body["alerts"] if a["kind"] == "printer")
    assert printer["since"] == "2026-11-23T08:14:31+07:00" and "hết giấy" in printer["message"]
    assert body["devices"]["kiosks"][0]["printer"]["state"] == "paper_out"
    assert body["devices"]["has_printer_data"] is True


def test_paper_low_is_a_warning_and_online_is_no_alert(client, tokens, clock, storage):
    with storage.write() as db:
        db.execute("INSERT INTO device_states (device, state, updated_at) VALUES ('kiosk-1', 'paper_low', ?), "
                   "('kiosk-9', 'online', ?)", [clock.now(), clock.now()])
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()
    assert [(a["kind"], a["level"]) for a in body["alerts"]] == [("printer", "warning")]
    assert body["devices"]["other_states"][0]["id"] == "kiosk-9"


@pytest.mark.parametrize("path", ["/api/v1/supervision/overview", "/api/v1/supervision/tickets"])
def test_supervision_reads_are_for_supervisors_and_admins(client, tokens, path):
    assert client.get(path).status_code == 401
    for who in ("kiosk", "hall", "desk1", "stp1"):
        assert client.get(path, headers=bearer(tokens[who])).status_code == 403, who
    for who in ("gs", "root"):
        assert client.get(path, headers=bearer(tokens[who])).status_code == 200


def test_todays_tickets_to_act_on(client, tokens, clock):
    issue(client), issue(client), issue(client, "CA-CC")
    clock.advance(minutes=3)
    client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"]))
    body = client.get("/api/v1/supervision/tickets", headers=bearer(tokens["gs"])).get_json()
    assert [(t["code"], t["status"], t["waited_s"]) for t in body["tickets"]] == [
        ("A002", "waiting", 180), ("C001", "waiting", 180), ("A001", "called", 180)]
    body = client.get("/api/v1/supervision/tickets?status=waiting&agency=ca", headers=bearer(tokens["gs"])).get_json()
    assert [t["code"] for t in body["tickets"]] == ["C001"]
    r = client.get("/api/v1/supervision/tickets?status=lost", headers=bearer(tokens["gs"]))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_status"


# ---- actions ----------------------------------------------------------------------------------
def test_call_a_specific_ticket_to_a_desk(client, tokens, clock, storage):
    issue(client)
    second = issue(client)
    # desk 1 is closed: nobody there to serve
    r = act(client, tokens["gs"], second, "call", desk=1)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "desk_closed"
    client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"]))          # desk 1 takes A001
    r = act(client, tokens["gs"], second, "call", desk=1)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "desk_busy"
    client.post("/api/v1/desks/1/finish", headers=bearer(tokens["stp1"]))
    clock.advance(minutes=4)
    r = act(client, tokens["gs"], second, "call", desk=1)
    assert r.status_code == 200
    ticket = r.get_json()["ticket"]
    assert (ticket["code"], ticket["status"], ticket["desk"], ticket["called_at"]) == \
        ("A002", "called", 1, "2026-11-23T08:04:00+07:00")
    assert events(storage, second["id"])[-1] == ("called", 1, {"code": "A002", "wait_s": 240.0, "by": "supervisor"})
    desk = client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])).get_json()["desk"]
    assert desk["current_ticket"]["code"] == "A002"
    with storage.read() as db:   # served in the name of the desk's officer
        assert db.execute("SELECT u.username FROM tickets t JOIN users u ON u.id = t.officer WHERE t.id = ?",
                          [second["id"]]).fetchone()[0] == "stp1"
    # the officer carries on as usual
    assert client.post("/api/v1/desks/1/start", headers=bearer(tokens["stp1"])).status_code == 200
    # not a waiting ticket any more
    assert act(client, tokens["gs"], second, "call", desk=2).get_json()["error"]["code"] == "invalid_state"


def test_call_checks_the_desk(client, tokens):
    ca = issue(client, "CA-CC")
    client.post("/api/v1/desks/2/next", headers=bearer(tokens["stp1"]))         # desk 2 open and idle
    r = act(client, tokens["gs"], ca, "call", desk=2)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "service_not_at_desk"
    assert act(client, tokens["gs"], ca, "call", desk=99).status_code == 404
    client.post("/api/v1/desks/2/pause", json={"reason": "Nghỉ"}, headers=bearer(tokens["stp1"]))
    stp = issue(client)
    assert act(client, tokens["gs"], stp, "call", desk=2).get_json()["error"]["code"] == "desk_paused"
    for body in ({}, {"desk": "2"}, {"desk": 0}, {"desk": 1, "x": 1}):
        assert client.post(f"/api/v1/tickets/{stp['id']}/call", json=body,
                           headers=bearer(tokens["gs"])).status_code == 400, body


def test_reactivate_a_no_show_at_its_original_place(client, tokens, clock, storage):
    first = issue(client)
    clock.advance(minutes=1)
    second = issue(client)
    client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"]))
    client.post("/api/v1/desks/1/no-show", headers=bearer(tokens["stp1"]))
    r = act(client, tokens["gs"], second, "reactivate")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = act(client, tokens["gs"], first, "reactivate")
    assert r.status_code == 200 and r.get_json()["ticket"]["status"] == "waiting"
    assert r.get_json()["ticket"]["waiting_ahead"] == 0                   # ahead of the later ticket
    assert events(storage, first["id"])[-1] == ("reactivated", None, {"code": "A001", "from_desk": 1})
    nxt = client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"])).get_json()["ticket"]
    assert nxt["code"] == "A001"
    # its wait in the report is still issue → first call
    totals = client.get("/api/v1/reports/summary?from=2026-11-23&to=2026-11-23",
                        headers=bearer(tokens["gs"])).get_json()["totals"]
    assert totals["called"] == 1 and totals["avg_wait_s"] == 60.0      # called at 08:01, not again


def test_cancel_a_waiting_or_called_ticket(client, tokens, storage):
    waiting, called = issue(client), issue(client, "CA-CC")
    client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"]))
    r = act(client, tokens["gs"], waiting, "cancel", reason="Công dân về")
    assert r.status_code == 200 and r.get_json()["ticket"]["status"] == "cancelled"
    assert events(storage, waiting["id"])[-1] == ("cancelled", None, {"code": "A001", "reason": "Công dân về",
                                                                      "from_status": "waiting"})
    r = act(client, tokens["root"], called, "cancel")
    assert r.status_code == 200
    assert events(storage, called["id"])[-1][:2] == ("cancelled", 3)
    desk = client.get("/api/v1/desks/3", headers=bearer(tokens["ca1"])).get_json()["desk"]
    assert desk["current_ticket"] is None                       # the desk is free again
    assert act(client, tokens["gs"], called, "cancel").get_json()["error"]["code"] == "invalid_state"
    assert client.get("/api/v1/queues").get_json()["services"][0]["waiting"] == 0


def test_a_ticket_being_served_is_not_cancelled(client, tokens):
    t = issue(client)
    client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"]))
    client.post("/api/v1/desks/1/start", headers=bearer(tokens["stp1"]))
    assert act(client, tokens["gs"], t, "cancel").status_code == 409


def test_move_a_waiting_ticket_to_another_service(client, tokens, storage):
    t = issue(client)
    r = act(client, tokens["gs"], t, "move", service="CA-CC")
    assert r.status_code == 200
    moved = r.get_json()["ticket"]
    assert (moved["code"], moved["service"], moved["agency"], moved["status"]) == ("A001", "CA-CC", "CA", "waiting")
    assert events(storage, t["id"])[-1] == ("transferred", None, {"code": "A001", "from_service": "STP-LLTP",
                                                                  "to_service": "CA-CC", "by": "supervisor"})
    assert act(client, tokens["gs"], t, "move", service="CA-CC").get_json()["error"]["code"] == "same_service"
    assert act(client, tokens["gs"], t, "move", service="NOPE").status_code == 404
    assert client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"])).get_json()["ticket"]["code"] == "A001"


@pytest.mark.parametrize("action, body", [("call", {"desk": 1}), ("reactivate", None), ("cancel", None),
                                          ("move", {"service": "CA-CC"})])
def test_actions_are_for_supervisors_and_admins(client, tokens, action, body):
    t = issue(client)
    path = f"/api/v1/tickets/{t['id']}/{action}"
    assert client.post(path, json=body).status_code == 401
    for who in ("kiosk", "hall", "desk1", "stp1", "ca1"):
        r = client.post(path, json=body, headers=bearer(tokens[who]))
        assert r.status_code == 403, who
    assert client.post("/api/v1/tickets/9999/cancel", headers=bearer(tokens["gs"])).status_code == 404


# ---- user administration ----------------------------------------------------------------------
def test_admin_adds_users_with_the_same_rules_as_the_cli(client, tokens):
    h = bearer(tokens["root"])
    r = client.post("/api/v1/admin/users", json={"username": "Lan", "password": "mat-khau-lan", "role": "officer",
                                                  "agency": "stp"}, headers=h)
    assert r.status_code == 201
    assert r.get_json()["user"] == {"id": 5, "username": "lan", "role": "officer", "agency": "STP", "active": True}
    assert login(client, "lan", "mat-khau-lan")
    r = client.post("/api/v1/admin/users", json={"username": "lan", "password": "xxxxxxx", "role": "supervisor"}, headers=h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "user_exists"
    for body, words in [
        ({"username": "hoa", "password": "12345", "role": "supervisor"}, "at least 6"),
        ({"username": "hoa", "password": "123456", "role": "officer"}, "needs --agency"),
        ({"username": "hoa", "password": "123456", "role": "officer", "agency": "XYZ"}, "unknown agency"),
        ({"username": "Hoà Bình", "password": "123456", "role": "admin"}, "must be 2–32 characters"),
    ]:
        r = client.post("/api/v1/admin/users", json=body, headers=h)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_user", body
        assert words in r.get_json()["error"]["message"]
    r = client.post("/api/v1/admin/users", json={"username": "hoa", "password": "123456", "role": "king"}, headers=h)
    assert r.status_code == 400
    users = client.get("/api/v1/admin/users", headers=h).get_json()["users"]
    assert [u["username"] for u in users] == ["ca1", "gs", "lan", "root", "stp1"]


def test_disable_and_reset_password_revoke_tokens(client, tokens):
    h = bearer(tokens["root"])
    officer = tokens["stp1"]
    assert client.get("/api/v1/desks", headers=bearer(officer)).status_code == 200
    r = client.post("/api/v1/admin/users/disable", json={"username": "stp1"}, headers=h)
    assert r.status_code == 200 and r.get_json()["user"]["active"] is False
    assert client.get("/api/v1/desks", headers=bearer(officer)).status_code == 401   # the old token is dead
    assert login(client, "stp1", "mat-khau-1") is None                               # and no new one
    client.post("/api/v1/admin/users/enable", json={"username": "stp1"}, headers=h)
    fresh = login(client, "stp1", "mat-khau-1")
    assert fresh and client.get("/api/v1/desks", headers=bearer(fresh)).status_code == 200
    r = client.post("/api/v1/admin/users/password", json={"username": "stp1", "password": "moi"}, headers=h)
    assert r.status_code == 400 and "at least 6" in r.get_json()["error"]["message"]
    r = client.post("/api/v1/admin/users/password", json={"username": "stp1", "password": "mat-khau-moi"}, headers=h)
    assert r.status_code == 200
    assert client.get("/api/v1/desks", headers=bearer(fresh)).status_code == 401
    assert login(client, "stp1", "mat-khau-1") is None and login(client, "stp1", "mat-khau-moi")
    r = client.post("/api/v1/admin/users/disable", json={"username": "nobody"}, headers=h)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_user"


def test_bind_an_officer_to_an_agency(client, tokens):
    h = bearer(tokens["root"])
    r = client.post("/api/v1/admin/users/agency", json={"username": "stp1", "agency": "CA"}, headers=h)
    assert r.status_code == 200 and r.get_json()["user"]["agency"] == "CA"
    # the officer's token lives on, and now acts for the new agency only
    assert client.post("/api/v1/desks/3/next", headers=bearer(tokens["stp1"])).status_code == 200
    assert client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"])).status_code == 403
    r = client.post("/api/v1/admin/users/agency", json={"username": "stp1", "agency": None}, headers=h)
    assert r.status_code == 400 and "needs an agency" in r.get_json()["error"]["message"]
    assert client.post("/api/v1/admin/users/agency", json={"username": "stp1", "agency": "NOPE"},
                       headers=h).status_code == 400
    assert client.post("/api/v1/admin/users/agency", json={"username": "gs", "agency": None}, headers=h).status_code == 200


def test_admins_keep_at_least_one_admin(client, tokens):
    h = bearer(tokens["root"])
    r = client.post("/api/v1/admin/users/disable", json={"username": "root"}, headers=h)
    assert r.status_code == 400 and "own account" in r.get_json()["error"]["message"]
    client.post("/api/v1/admin/users", json={"username": "root2", "password": "mat-khau-5", "role": "admin"}, headers=h)
    other = login(client, "root2", "mat-khau-5")
    assert client.post("/api/v1/admin/users/disable", json={"username": "root"},
                       headers=bearer(other)).status_code == 200
    r = client.post("/api/v1/admin/users/disable", json={"username": "root2"}, headers=bearer(other))
    assert r.status_code == 400


@pytest.mark.parametrize("method, path, body", [
    ("get", "/api/v1/admin/users", None),
    ("post", "/api/v1/admin/users", {"username": "x1", "password": "123456", "role": "admin"}),
    ("post", "/api/v1/admin/users/disable", {"username": "stp1"}),
    ("post", "/api/v1/admin/users/enable", {"username": "stp1"}),
    ("post", "/api/v1/admin/users/password", {"username": "stp1", "password": "123456"}),
    ("post", "/api/v1/admin/users/agency", {"username": "stp1", "agency": "CA"}),
])
def test_user_administration_is_for_admins_only(client, tokens, method, path, body):
    assert getattr(client, method)(path, json=body).status_code == 401
    for who in ("kiosk", "hall", "stp1", "gs"):
        assert getattr(client, method)(path, json=body, headers=bearer(tokens[who])).status_code == 403, who


# ---- the page ---------------------------------------------------------------------------------
def test_the_supervisor_page_is_static_and_locked_down(client):
    r = client.get("/supervisor")
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    html = r.get_data(as_text=True)
    assert '<html lang="vi">' in html and "Giám sát" in html
    assert "/static/vendor/chart.umd.min.js" in html and "/static/vendor/socket.io.min.js" in html
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert "Set-Cookie" not in r.headers
    tabs = ("page", "live", "tickets", "reports", "users", "start")      # loaded in this order, start last
    where = [html.index(f"/static/supervisor/{name}.js") for name in tabs]
    assert html.index("/static/staff.js") < where[0] and where == sorted(where)
    for asset in [f"/static/supervisor/{name}.js" for name in tabs] + [
            "/static/supervisor/supervisor.css", "/static/vendor/chart.umd.min.js", "/static/staff.js"]:
        assert client.get(asset).status_code == 200, asset
    page_js = client.get("/static/supervisor/page.js").get_data(as_text=True)
    shared_js = client.get("/static/staff.js").get_data(as_text=True)
    assert "HangDoiStaff(" in page_js
    for js in [client.get(f"/static/supervisor/{name}.js").get_data(as_text=True) for name in tabs] + [shared_js]:
        assert "innerHTML" not in js and "localStorage" not in js
    assert "sessionStorage" in shared_js and 'credentials: "omit"' in shared_js


# ---- pushes -----------------------------------------------------------------------------------
def test_a_cancel_is_pushed_to_screens_and_staff(app, client, tokens):
    """The realtime module pushes queues and desks for the desk rules' events; a supervisor's cancel
    (and a reactivation, the end-of-day close) is pushed by this module: fresh queues, the freed desk."""
    import time

    sio = app.extensions["hangdoi"].realtime.socketio
    watcher = sio.test_client(app, auth={"token": tokens["gs"]})
    assert watcher.is_connected()
    ticket = issue(client, "CA-CC")
    client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"]))
    time.sleep(0.5)
    watcher.get_received()
    assert act(client, tokens["gs"], ticket, "cancel").status_code == 200
    deadline = time.time() + 3
    got = []
    while time.time() < deadline and not {"queues", "desk"} <= {m["name"] for m in got}:
        got += watcher.get_received()
        time.sleep(0.05)
    queues = next(m for m in got if m["name"] == "queues")["args"][0]["services"]
    assert {q["code"]: q["waiting"] for q in queues}["CA-CC"] == 0
    desk = next(m for m in got if m["name"] == "desk")["args"][0]["desk"]
    assert desk["number"] == 3 and desk["current_ticket"] is None
    watcher.disconnect()
