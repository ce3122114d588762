"""Estimates that can be true (issue 10, item 4): no number when no open desk serves the service,
the morning's first estimates from earlier days, "nothing to go on" said plainly, and the
supervisors' alerts for tickets no open desk serves and for calls nobody started."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from kiosk.ticket_layout import wait_text
from server.config import parse_config
from server.rules import QueueService, RuleContext
from server.rules.shapes import ticket_row, ticket_view, waiting_views
from tests.conftest import KIOSK, OFFICER_STP, SMALL_CENTER, bearer, staff_tokens

OFFICER_CA = replace(OFFICER_STP, agency="CA", name="officer-ca")


def issue(service, code="STP-LLTP", priority=None):
    return service.issue(KIOSK, code, priority).result


def queue(service, code):
    return {q["code"]: q for q in service.queues()}[code]


def test_no_open_desk_means_no_number_and_the_reason(service):
    t = issue(service, "CA-CC")
    assert t["estimated_wait_s"] is None and t["estimate"] == {"kind": "no_open_desk", "opens_at": None}
    q = queue(service, "CA-CC")
    assert q["estimated_wait_s"] is None and q["estimate"]["kind"] == "no_open_desk"
    service.call_next(OFFICER_CA, 3)              # desk 3 opens and calls C001
    second = issue(service, "CA-CC")
    assert second["estimated_wait_s"] > 0 and second["estimate"]["kind"] == "no_history"
    service.finish(OFFICER_CA, 3)
    assert service.ticket(second["id"])[0]["estimate"]["kind"] == "live"    # C001 finished today
    service.close_desk(OFFICER_CA, 3)             # closes again mid-day: back to no number
    view, _ = service.ticket(second["id"])
    assert view["estimated_wait_s"] is None and view["estimate"]["kind"] == "no_open_desk"


def test_a_paused_desk_still_serves_its_services(service):
    issue(service, "CA-CC")
    service.call_next(OFFICER_CA, 3)
    service.finish(OFFICER_CA, 3)
    service.pause(OFFICER_CA, 3, "Họp")
    t = issue(service, "CA-CC")
    assert t["estimated_wait_s"] is not None and t["estimate"]["kind"] != "no_open_desk"


def test_when_the_center_is_closed_the_estimate_says_when_it_opens(tmp_path, storage, clock):
    hours = parse_config({**SMALL_CENTER, "opening_hours": {"mon": ["07:30-11:30", "13:30-17:00"]},
                          "server": {"database": str(tmp_path / "x.db")}}, tmp_path).opening_hours
    svc = QueueService(storage, RuleContext(clock=clock, public_url="http://x", opening_hours=hours))
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=clock.tz))     # Monday, lunch: closed (staff may still issue)
    t = svc.issue(OFFICER_CA, "CA-CC", None).result
    assert t["estimate"] == {"kind": "no_open_desk", "opens_at": "2026-11-23T13:30+07:00"}
    assert wait_text(t["estimated_wait_s"], t["estimate"]) == \
        "Thời gian chờ dự kiến: Chưa có quầy mở (mở cửa lúc 13:30 ngày 23/11)"


def test_the_first_estimates_of_a_day_stand_on_earlier_days(service, clock):
    # yesterday: five Căn cước tickets of 5 minutes each at desk 3
    clock.set(datetime(2026, 11, 22, 9, 0, tzinfo=clock.tz))
    for _ in range(5):
        issue(service, "CA-CC")
    for _ in range(5):
        service.call_next(OFFICER_CA, 3)
        clock.advance(300)
    service.finish(OFFICER_CA, 3)
    service.close_desk(OFFICER_CA, 3)
    # this morning: the desk opens and calls the first ticket; the second waits one service time
    clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=clock.tz))
    issue(service, "CA-CC")
    service.call_next(OFFICER_CA, 3)
    second = issue(service, "CA-CC")
    assert second["estimate"]["kind"] == "history"
    # 5 minutes from yesterday, not the configured 20 (which said "10 phút" from nothing)
    assert 240 <= second["estimated_wait_s"] <= 360, second


def test_with_nothing_to_go_on_the_screens_say_so(service):
    issue(service, "CA-CC")
    service.call_next(OFFICER_CA, 3)
    t = issue(service, "CA-CC")
    assert t["estimate"]["kind"] == "no_history"
    assert wait_text(t["estimated_wait_s"], t["estimate"]) == "Thời gian chờ dự kiến: chưa có số liệu để ước tính"
    assert wait_text(0, {"kind": "no_history", "opens_at": None}) == "Thời gian chờ dự kiến: dưới 1 phút"


def test_the_followers_batch_gives_what_each_ticket_would_show(service, storage, clock):
    """``waiting_views`` (one replay for many followers) equals ``ticket_view`` of each ticket."""
    for i in range(12):
        issue(service, "STP-LLTP" if i % 3 else "STP-HT", "elderly" if i % 5 == 0 else None)
        clock.advance(7)
    service.call_next(OFFICER_STP, 1)
    service.call_next(OFFICER_STP, 2)
    clock.advance(200)
    service.call_next(OFFICER_STP, 1)
    with storage.read() as db:
        batch = waiting_views(db, service.ctx, {"STP-LLTP", "STP-HT"})
        ids = [r[0] for r in db.execute("SELECT id FROM tickets WHERE status = 'waiting'")]
        one_by_one = {i: ticket_view(db, service.ctx, ticket_row(db, i)) for i in ids}
    assert len(batch) == 9 and batch == one_by_one


# ---- the supervisors' alerts -------------------------------------------------------------------
@pytest.fixture
def client(staff_app):
    return staff_app.test_client()


def test_alerts_no_open_desk_and_a_call_nobody_started(client, clock):
    tokens = staff_tokens(client)
    client.post("/api/v1/tickets", json={"service": "CA-CC"}, headers=bearer("kiosk-token-1"))
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()
    assert [(a["kind"], a["subject"]) for a in body["alerts"]] == [("no_open_desk", "CA-CC")]
    assert "chưa có quầy nào mở" in body["alerts"][0]["message"]
    client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"]))     # C001 called, never started
    clock.advance(minutes=10)
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()
    assert body["alerts"] == []
    clock.advance(seconds=1)
    body = client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()
    assert [(a["kind"], a["subject"], a["since"]) for a in body["alerts"]] == [
        ("called_long", "3", "2026-11-23T08:10:00+07:00")]
    assert "C001" in body["alerts"][0]["message"]
    client.post("/api/v1/desks/3/start", headers=bearer(tokens["ca1"]))
    assert client.get("/api/v1/supervision/overview", headers=bearer(tokens["gs"])).get_json()["alerts"] == []


def test_called_alert_min_is_configurable(tmp_path):
    from tests.conftest import make_config

    assert make_config(tmp_path).queue.called_alert_min == 10
    assert make_config(tmp_path, queue={"called_alert_min": 3}).queue.called_alert_min == 3
