"""Issue 9, item 11: every push goes once, through the realtime worker, in commit order; and the
opening hours are a rule of issuing (every caller of the rule gets them), not a web hook.

The push test runs the real server with real Socket.IO clients; it ends on a marker event (the
next call at the same desk, pushed by the same worker after the supervisor's cancel), no sleeps."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests

from server.clock import FixedClock
from server.rules import Actor, QueueService, RuleContext
from server.rules.hours import CenterClosed
from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, desk_display, hall_display, kiosk
from tests.conftest import KIOSK, OFFICER_STP, make_config
from tests.live_server import start_center
from tests.socket_recorder import Recorder

PASSWORD = "mat-khau-single-push"
KIOSK_AUTH = {"Authorization": "Bearer kiosk-token-single"}
CONFIG = center_toml(
    "data/single.db", limits={"kiosk_tickets_per_minute": 0}, announce={"repeat": 1},
    agencies=[STP, CA], desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", "kiosk-token-single")],
    displays=[hall_display("hall-1", "hall-token-single"), desk_display("desk-1", "desk-1-token-single", 1)])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("single"), CONFIG,
                          {"stp": (PASSWORD, "officer", "STP"), "gs": (PASSWORD, "supervisor")})
    yield server
    server.stop()


def login(live, name):
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=15)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["access_token"]}, r.json()["access_token"]


def post(live, path, headers, **body):
    r = requests.post(live.url + "/api/v1" + path, json=body or None, headers=headers, timeout=15)
    assert r.status_code in (200, 201), r.text
    return r.json()


def waiting(queues_payload, code="STP-LLTP"):
    return next(s["waiting"] for s in queues_payload["services"] if s["code"] == code)


def desk1(payload):
    return payload["desk"] if payload["desk"]["number"] == 1 else None


def test_a_supervisors_cancel_is_pushed_once_to_staff_desk_display_and_hall(live):
    officer, _ = login(live, "stp")
    supervisor, gs_token = login(live, "gs")
    first = post(live, "/tickets", KIOSK_AUTH, service="STP-LLTP")["ticket"]
    second = post(live, "/tickets", KIOSK_AUTH, service="STP-LLTP")["ticket"]
    assert post(live, "/desks/1/next", officer)["ticket"]["id"] == first["id"]
    staff = Recorder(live.url, gs_token, name="supervisor").connect()
    display = Recorder(live.url, "desk-1-token-single", name="desk display").connect()
    hall = Recorder(live.url, "hall-token-single", name="hall").connect()
    screens = (staff, display, hall)
    try:
        for r in screens:
            r.wait_count("snapshot", 1)
        post(live, f"/tickets/{first['id']}/cancel", supervisor, reason="quý khách đã về")
        # the worker has pushed the cancel, and the queues loop its waiting counts, before the marker
        staff.wait_for(lambda r: any(desk1(d) and d["desk"]["current_ticket"] is None for d in r.of("desk")),
                       what="desk 1 idle")
        staff.wait_for(lambda r: any(waiting(q) == 1 for q in r.of("queues")), what="queues after the cancel")
        # marker: the next call at desk 1, pushed by the same worker after the cancel
        assert post(live, "/desks/1/next", officer)["ticket"]["id"] == second["id"]

        def called_second(r):
            return any(desk1(d) and (d["desk"]["current_ticket"] or {}).get("id") == second["id"]
                       for d in r.of("desk"))

        staff.wait_for(called_second, what="desk 1 calling the second ticket")
        display.wait_for(called_second, what="desk 1 calling the second ticket")
        hall.wait_for(lambda r: any(c["ticket"]["id"] == second["id"] for c in r.of("call")), what="the call")
        staff.wait_for(lambda r: any(waiting(q) == 0 for q in r.of("queues")), what="queues after the call")

        for r in (staff, display):
            idle = [d for d in r.of("desk") if desk1(d) and d["desk"]["current_ticket"] is None]
            assert len(idle) == 1, f"{r.name} got desk 1's cancel {len(idle)} times"
        idle_rows = [row for d in hall.of("desks") for row in d["desks"] if row["number"] == 1 and row["current"] is None]
        assert len(idle_rows) == 1, f"the hall got desk 1's cancel {len(idle_rows)} times"
        for r in screens:
            after_cancel = [q for q in r.of("queues") if waiting(q) == 1]
            assert len(after_cancel) == 1, f"{r.name} got the queues after the cancel {len(after_cancel)} times"
    finally:
        for r in screens:
            r.close()


# ---- opening hours: the issuing rule's, with an injected clock ------------------------------------
HOURS = {"mon": ["07:30-11:30", "13:30-17:00"], "tue": ["07:30-11:30"], "closed_dates": ["2026-11-24"]}
SUPERVISOR = Actor(kind="user", role="supervisor", name="gs")


@pytest.fixture
def hours_service(tmp_path):
    from server.storage import Storage
    from server.storage.sync import sync_config

    config = make_config(tmp_path, opening_hours=HOURS)
    clock = FixedClock(config.tz, datetime(2026, 11, 23, 6, 0, tzinfo=config.tz))      # Monday 06:00
    storage = Storage(config.server.database)
    sync_config(storage, config)
    service = QueueService(storage, RuleContext(clock=clock, public_url="http://x", opening_hours=config.opening_hours))
    yield service, clock, config
    storage.close()


def test_the_issuing_rule_refuses_a_kiosk_outside_the_opening_hours(hours_service):
    service, clock, config = hours_service
    with pytest.raises(CenterClosed) as refused:
        service.issue(KIOSK, "STP-LLTP")
    assert refused.value.code == "center_closed" and refused.value.kind == "conflict"
    assert refused.value.next_opening == datetime(2026, 11, 23, 7, 30, tzinfo=config.tz)
    assert "07:30 Thứ Hai, 23/11/2026" in refused.value.message
    assert refused.value.details == [{"field": "next_opening", "message": "2026-11-23T07:30+07:00"}]
    with service.storage.read() as db:       # nothing was written: no number used, no event, no print job
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=config.tz))
    assert service.issue(KIOSK, "STP-LLTP").result["code"] == "A001"
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=config.tz))                            # lunch
    with pytest.raises(CenterClosed) as refused:
        service.issue(KIOSK, "STP-LLTP")
    assert refused.value.next_opening.hour == 13
    clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=config.tz))            # evening; the 24th is a holiday
    with pytest.raises(CenterClosed) as refused:
        service.issue(KIOSK, "STP-LLTP")
    assert refused.value.next_opening == datetime(2026, 11, 30, 7, 30, tzinfo=config.tz)


def test_staff_still_issue_outside_the_opening_hours(hours_service):
    service, clock, config = hours_service
    assert service.issue(SUPERVISOR, "STP-LLTP").result["code"] == "A001"
    assert service.issue(OFFICER_STP, "STP-HT").result["code"] == "A002"


def test_a_rule_context_without_hours_is_always_open(service, clock, config):
    clock.set(datetime(2026, 11, 22, 3, 0, tzinfo=config.tz))                             # Sunday 03:00
    assert service.issue(KIOSK, "STP-LLTP").result["status"] == "waiting"


def test_the_web_answers_the_rules_refusal_as_before(tmp_path):
    """409 center_closed with the next opening in details, through the rule's error (no web hook)."""
    from server.web.app import create_app

    config = make_config(tmp_path, opening_hours=HOURS)
    clock = FixedClock(config.tz, datetime(2026, 11, 23, 6, 0, tzinfo=config.tz))
    app = create_app(config, clock=clock, voice=False)
    assert not any(getattr(f, "__name__", "") == "refuse_kiosk_when_closed"
                   for f in app.before_request_funcs.get(None, []))
    r = app.test_client().post("/api/v1/tickets", json={"service": "STP-LLTP"},
                               headers={"Authorization": "Bearer kiosk-token-1"})
    assert r.status_code == 409
    assert r.get_json()["error"]["details"] == [{"field": "next_opening", "message": "2026-11-23T07:30+07:00"}]


def test_an_officers_console_watching_its_desk_gets_each_push_once_with_the_secret(live):
    """The console is in ``staff`` and watches its desk: one ``desk`` per change and one ``call``
    (before, it got every ``desk`` twice: to ``staff`` and to the desk display's room), and it may
    see the ticket's secret, which the desk display may not."""
    officer, token = login(live, "stp")
    console = Recorder(live.url, token, name="console").connect()
    display = Recorder(live.url, "desk-1-token-single", name="desk display").connect()
    try:
        for r in (console, display):
            r.wait_count("snapshot", 1)
        console.sio.emit("watch_desk", {"desk": 1})
        ticket = post(live, "/tickets", KIOSK_AUTH, service="STP-LLTP")["ticket"]
        post(live, "/tickets", KIOSK_AUTH, service="STP-LLTP")
        # the watch is taken before the first call: wait until a call at desk 1 reaches the console
        called = post(live, "/desks/1/next", officer)["ticket"]
        console.wait_for(lambda r: any(c["ticket"]["id"] == called["id"] for c in r.of("call")), what="the call")
        post(live, "/desks/1/start", officer)
        # marker: the next call at desk 1, after the start
        marker = post(live, "/desks/1/next", officer)["ticket"]
        for r in (console, display):
            r.wait_for(lambda r: any(c["ticket"]["id"] == marker["id"] for c in r.of("call")), what="the marker call")
            r.wait_for(lambda r: any(desk1(d) and (d["desk"]["current_ticket"] or {}).get("id") == marker["id"]
                                     for d in r.of("desk")), what="desk 1 at the marker")
        serving = [d for d in console.of("desk") if desk1(d) and (d["desk"]["current_ticket"] or {}).get("status") == "serving"]
        assert len(serving) == 1, f"the console got the start {len(serving)} times"
        calls = [c for c in console.of("call") if c["ticket"]["id"] == marker["id"]]
        assert len(calls) == 1, f"the console got the call {len(calls)} times"
        assert "?t=" in calls[0]["ticket"]["status_url"]                  # staff see the follow link
        shown = [c for c in display.of("call") if c["ticket"]["id"] == marker["id"]]
        assert len(shown) == 1 and "?t=" not in shown[0]["ticket"]["status_url"]
        assert ticket["id"] != marker["id"]
    finally:
        console.close()
        display.close()
