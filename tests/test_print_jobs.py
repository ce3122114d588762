"""Durable print jobs (server.printing) and the server's side of the print agent protocol (server.printing.relay),
in one process: Flask's test client issues tickets, Flask-SocketIO's test client plays the agent."""
from __future__ import annotations

import time

import pytest

from server.auth.users import create_user
from server.printing import jobs as pj
from server.web.app import create_app
from tests.conftest import bearer, make_config

KIOSK_TOKEN = "kiosk-token-1"


@pytest.fixture
def app(tmp_path, storage, clock):
    config = make_config(tmp_path, printing={"max_delay_s": 120},
                         kiosks=[{"id": "kiosk-1", "token": KIOSK_TOKEN}, {"id": "kiosk-2", "token": "kiosk-token-2"}])
    app = create_app(config, storage=storage, clock=clock, voice=False)
    app.extensions["hangdoi"].printing.start_monitor()   # what hangdoi serve's bootstrap starts
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    return app


@pytest.fixture
def hub(app):
    return app.extensions["hangdoi"]


@pytest.fixture
def client(app):
    return app.test_client()


def connect(app, token=KIOSK_TOKEN, hello=True):
    sio = app.extensions["hangdoi"].realtime.socketio.test_client(app, auth={"token": token})
    assert sio.is_connected()
    sio.get_received()                       # the snapshot
    if hello:
        answer = sio.emit("agent_hello", {"version": "test", "printer": "network:127.0.0.1:9", "width": 576,
                                          "state": "online"}, callback=True)
        assert answer["ok"] is True
    return sio


def received(sio, name, want=1, timeout=3.0):
    """Events ``name`` received by a test client, waiting (background pushes) until ``want`` came."""
    got, deadline = [], time.monotonic() + timeout
    while True:
        got += [m["args"][0] for m in sio.get_received() if m["name"] == name]
        if len(got) >= want or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def issue(client, token=KIOSK_TOKEN, service="STP-LLTP", **extra):
    r = client.post("/api/v1/tickets", json={"service": service, **extra}, headers=bearer(token))
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["ticket"]


def job_of(hub, ticket_id):
    with hub.storage.read() as db:
        return pj.job_for_ticket(db, ticket_id)


def login(client, user="gs", password="mat-khau-3"):
    return client.post("/api/v1/auth/login", json={"username": user, "password": password}).get_json()["access_token"]


# ---- jobs as plain functions ------------------------------------------------------------------
def test_job_is_created_in_the_issuing_transaction_for_kiosk_tickets_only(client, hub):
    kiosk_ticket = issue(client)
    staff_ticket = issue(client, token=login(client))
    job = job_of(hub, kiosk_ticket["id"])
    assert job["kiosk"] == "kiosk-1" and job["status"] == "pending" and job["attempts"] == 0
    assert job_of(hub, staff_ticket["id"]) is None


def test_a_failed_issue_leaves_no_job(client, hub):
    r = client.post("/api/v1/tickets", json={"service": "NOPE"}, headers=bearer(KIOSK_TOKEN))
    assert r.status_code == 404
    with hub.storage.read() as db:
        assert db.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 0


def test_acknowledge_rules(storage, clock, client, hub):
    t = issue(client)
    job = job_of(hub, t["id"])
    now = clock.now()
    with storage.write() as db:
        assert pj.acknowledge(db, job["id"], "kiosk-2", True, None, now) is None      # not that kiosk's job
        assert pj.acknowledge(db, job["id"], "kiosk-1", False, "paper_out", now)["status"] == "failed"
        assert pj.acknowledge(db, job["id"], "kiosk-1", True, None, now)["status"] == "printed"   # paper came out after all
        assert pj.acknowledge(db, job["id"], "kiosk-1", False, "late", now)["status"] == "printed"


def test_expire_old_only_touches_open_jobs(storage, clock, client, hub):
    a, b = issue(client), issue(client)
    with storage.write() as db:
        pj.acknowledge(db, job_of(hub, a["id"])["id"], "kiosk-1", True, None, clock.now())
        assert pj.expire_old(db, clock.now() + 60, 120) == []
        expired = pj.expire_old(db, clock.now() + 121, 120)
    assert [e["ticket"] for e in expired] == [b["id"]]
    assert job_of(hub, a["id"])["status"] == "printed" and job_of(hub, b["id"])["status"] == "expired"


def test_device_state_keeps_since_while_the_state_stays(storage, clock):
    with storage.write() as db:
        assert pj.set_device_state(db, "kiosk-1", "online", None, 100.0)
        assert not pj.set_device_state(db, "kiosk-1", "online", None, 200.0)
        assert pj.set_device_state(db, "kiosk-1", "paper_out", "out of paper", 300.0)
        assert pj.device_state(db, "kiosk-1")["updated_at"] == 300.0
        with pytest.raises(ValueError):
            pj.set_device_state(db, "kiosk-1", "on fire", None, 400.0)


def test_payload_has_what_the_ticket_prints(client, hub, clock, storage):
    t = issue(client, priority="elderly")
    with storage.read() as db:
        payload = pj.job_payload(db, hub.service.ctx, hub.config.center.name, job_of(hub, t["id"]), clock.now(), 120)
    assert payload["ticket"]["code"] == t["code"] and payload["ticket"]["status_url"] == t["status_url"]
    assert payload["priority_label"] == "Ưu tiên: Người cao tuổi"
    assert payload["center_name"] == hub.config.center.name and payload["expires_in_s"] == 120


# ---- the protocol ---------------------------------------------------------------------------
def test_agent_gets_the_job_acks_it_and_the_kiosk_screen_hears(app, client, hub):
    agent = connect(app)
    screen = connect(app, hello=False)
    t = issue(client)
    [job] = received(agent, "print_job")
    assert job["ticket"]["id"] == t["id"] and job["ticket"]["status_url"] == t["status_url"]
    assert job_of(hub, t["id"])["status"] == "sent"
    agent.emit("print_ack", {"job_id": job["job_id"], "ok": True, "state": "online"})
    assert job_of(hub, t["id"])["status"] == "printed"
    [status] = received(screen, "print_status")
    assert status == {"ticket": t["id"], "code": t["code"], "job_id": job["job_id"], "status": "printed", "error": None}
    # the agent is out of the screens' rooms: no queues, no printer_state echoes
    assert received(agent, "queues", timeout=0.5) == []


def test_staff_tickets_are_not_printed(app, client):
    agent = connect(app)
    issue(client, token=login(client))
    assert received(agent, "print_job", timeout=0.5) == []


def test_each_kiosk_gets_only_its_own_jobs(app, client):
    one, two = connect(app), connect(app, token="kiosk-token-2")
    t = issue(client, token="kiosk-token-2")
    assert [j["ticket"]["id"] for j in received(two, "print_job")] == [t["id"]]
    assert received(one, "print_job", timeout=0.4) == []


def test_unacked_jobs_are_sent_again_when_the_agent_comes_back(app, client, hub):
    agent = connect(app)
    first = issue(client)
    received(agent, "print_job")
    agent.disconnect()                         # printed? we never heard: print it again on reconnect
    second = issue(client)                     # issuing does not need an agent
    assert job_of(hub, second["id"])["status"] == "pending"
    again = connect(app)
    jobs = received(again, "print_job", want=2)
    assert [j["ticket"]["id"] for j in jobs] == [first["id"], second["id"]]
    assert job_of(hub, first["id"])["attempts"] == 2
    for j in jobs:
        again.emit("print_ack", {"job_id": j["job_id"], "ok": True})
    third = connect(app)
    assert received(third, "print_job", timeout=0.5) == []       # nothing left to print


def test_old_jobs_expire_instead_of_printing_late(app, client, hub, clock):
    late = issue(client)
    clock.advance(121)
    fresh = issue(client)
    agent = connect(app)
    jobs = received(agent, "print_job")
    assert [j["ticket"]["id"] for j in jobs] == [fresh["id"]]
    assert received(agent, "print_job", timeout=0.3) == []
    assert job_of(hub, late["id"])["status"] == "expired"


def test_agent_found_the_job_too_old(app, client, hub):
    agent = connect(app)
    t = issue(client)
    [job] = received(agent, "print_job")
    agent.emit("print_ack", {"job_id": job["job_id"], "ok": False, "error": "expired"})
    assert job_of(hub, t["id"])["status"] == "expired"


def test_printer_states_reach_the_database_the_kiosk_screen_and_staff(app, client, hub):
    agent = connect(app)
    screen = connect(app, hello=False)
    staff = hub.realtime.socketio.test_client(app, auth={"token": login(client)})
    staff.get_received()
    agent.emit("printer_state", {"state": "paper_out", "detail": "out of paper"})
    with hub.storage.read() as db:
        assert pj.device_state(db, "kiosk-1")["state"] == "paper_out"
    [pushed] = received(screen, "printer_state")
    assert pushed["state"] == "paper_out" and pushed["agent"] is True and pushed["kiosk"] == "kiosk-1"
    [seen] = received(staff, "device_state")
    assert seen["device"] == "kiosk-1" and seen["kind"] == "printer" and seen["state"] == "paper_out"
    screen.emit("kiosk_status")
    assert received(screen, "printer_state")[0]["state"] == "paper_out"
    # a failed job carries the state too
    t = issue(client)
    [job] = received(agent, "print_job")
    agent.emit("print_ack", {"job_id": job["job_id"], "ok": False, "error": "refused", "state": "offline",
                             "detail": "network printer refused the connection"})
    assert job_of(hub, t["id"])["status"] == "failed" and job_of(hub, t["id"])["error"] == "refused"
    assert received(screen, "printer_state")[-1]["state"] == "offline"


def test_a_kiosk_without_agent_shows_offline(app, hub):
    screen = connect(app, hello=False)
    screen.emit("kiosk_status")
    [state] = received(screen, "printer_state")
    assert state["state"] == "offline" and state["agent"] is False


def test_agent_gone_marks_the_printer_offline(app, hub):
    agent = connect(app)
    screen = connect(app, hello=False)
    agent.emit("printer_state", {"state": "online"})
    agent.disconnect()
    pushes = received(screen, "printer_state", want=2, timeout=4)
    assert pushes[-1]["state"] == "offline" and pushes[-1]["agent"] is False
    with hub.storage.read() as db:
        assert pj.device_state(db, "kiosk-1")["state"] == "offline"


@pytest.mark.parametrize("event, data", [
    ("print_ack", {"job_id": "1", "ok": True}),
    ("print_ack", None),
    ("print_ack", {"job_id": 999999, "ok": True}),
    ("printer_state", {"state": "melted"}),
    ("printer_state", "online"),
])
def test_bad_agent_messages_get_an_error_and_change_nothing(app, event, data):
    agent = connect(app)
    agent.emit(event, data)
    errors = received(agent, "error")
    assert errors and errors[0]["code"] in ("invalid_ack", "unknown_job", "invalid_state")


def test_only_kiosks_may_act_as_agents(app, client):
    staff = app.extensions["hangdoi"].realtime.socketio.test_client(app, auth={"token": login(client)})
    staff.get_received()
    staff.emit("agent_hello", {})
    assert received(staff, "error")[0]["code"] == "forbidden"
    staff.emit("print_ack", {"job_id": 1, "ok": True})
    assert received(staff, "error")[0]["code"] == "forbidden"
    visitor = app.extensions["hangdoi"].realtime.socketio.test_client(app)
    visitor.emit("printer_state", {"state": "online"})
    assert received(visitor, "error")[0]["code"] == "forbidden"


def test_a_second_agent_takes_over(app, client):
    old, new = connect(app), connect(app)
    t = issue(client)
    assert [j["ticket"]["id"] for j in received(new, "print_job")] == [t["id"]]
    assert received(old, "print_job", timeout=0.3) == []
