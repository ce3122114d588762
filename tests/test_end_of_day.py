"""End of day (closing what is left at local midnight, on start after a night off, by the
background task) and opening hours for kiosks."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from server.auth.users import create_user
from server.clock import FixedClock
from server.rules import Actor
from server.web.app import create_app
from server.end_of_day import end_of_day_loop, run_end_of_day
from server.rules.hours import opening_text
from server.bootstrap import start_background_tasks
from tests.conftest import KIOSK, OFFICER_STP, make_config

CA_OFFICER = Actor(kind="user", role="officer", agency="CA", name="officer-ca")


def statuses(storage):
    with storage.read() as db:
        return dict(db.execute("SELECT code, status FROM tickets"))


def desk_states(storage):
    with storage.read() as db:
        return {r[0]: (r[1], r[2]) for r in db.execute("SELECT number, state, current_ticket FROM desks")}


def leftover_day(service, clock):
    """A day that ends with one ticket waiting, one called, one being served, one done, desk 2 paused."""
    for code in ("STP-LLTP", "STP-LLTP", "STP-LLTP", "CA-CC", "STP-LLTP"):
        service.issue(KIOSK, code)
    clock.advance(minutes=10)
    service.call_next(OFFICER_STP, 1)            # A001 called … then done by the next call
    service.call_next(OFFICER_STP, 1)            # A002 called
    service.start(OFFICER_STP, 1)                # A002 serving
    service.call_next(CA_OFFICER, 3)             # C001 called
    service.pause(OFFICER_STP, 2, "Họp giao ban")
    # A003 and A004 wait


def test_midnight_closes_what_is_left_as_cancelled_and_resets_desks(service, clock, config, storage):
    leftover_day(service, clock)
    clock.set(datetime(2026, 11, 24, 0, 0, 5, tzinfo=config.tz))
    today = service.issue(KIOSK, "STP-LLTP").result          # a ticket of the new day: untouched
    outcome = service.close_earlier_days()
    assert outcome.result == {"day": "2026-11-24", "tickets": 4, "desks": 3}
    s = statuses(storage)
    assert [s[c] for c in ("A002", "A003", "A004", "C001")] == ["cancelled"] * 4
    with storage.read() as db:
        by_day = dict(db.execute("SELECT day || ' ' || code, status FROM tickets"))
        closed = db.execute("SELECT e.day, t.code, e.data FROM events e JOIN tickets t ON t.id = e.ticket "
                            "WHERE e.type = 'closed_end_of_day' ORDER BY t.code").fetchall()
        finished = {r[0] for r in db.execute("SELECT finished_at FROM tickets WHERE status = 'cancelled'")}
        desk_events = db.execute("SELECT desk, data FROM events WHERE type = 'desk_closed' ORDER BY desk").fetchall()
    assert by_day["2026-11-23 A001"] == "done" and by_day["2026-11-24 A001"] == "waiting"
    assert [(d, c, json.loads(data)["from_status"]) for d, c, data in closed] == [
        ("2026-11-23", "A002", "serving"), ("2026-11-23", "A003", "waiting"), ("2026-11-23", "A004", "waiting"),
        ("2026-11-23", "C001", "called")]
    assert json.loads(closed[0][2])["closed_on"] == "2026-11-24"
    assert finished == {datetime(2026, 11, 24, tzinfo=config.tz).timestamp()}     # local midnight
    assert [(d, json.loads(data)) for d, data in desk_events] == [
        (1, {"reason": "end_of_day"}), (2, {"reason": "end_of_day"}), (3, {"reason": "end_of_day"})]
    assert desk_states(storage) == {1: ("closed", None), 2: ("closed", None), 3: ("closed", None)}
    assert {e.type for e in outcome.events} == {"closed_end_of_day", "desk_closed"}
    # the new day's ticket is called normally afterwards
    assert service.call_next(OFFICER_STP, 1).result["id"] == today["id"]
    # and a second run closes nothing more and leaves the desk at work alone
    again = service.close_earlier_days()
    assert again.result == {"day": "2026-11-24", "tickets": 0, "desks": 0} and again.events == []
    assert desk_states(storage)[1] == ("open", today["id"])


def test_a_restart_during_the_day_does_not_sign_officers_out(service, clock, storage):
    service.close_earlier_days()                 # the morning's run
    service.issue(KIOSK, "STP-LLTP")
    service.call_next(OFFICER_STP, 1)
    clock.advance(hours=2)
    assert service.close_earlier_days().events == []        # the server restarted at 10:00
    assert desk_states(storage)[1][0] == "open"


def test_after_a_night_off_the_close_happens_on_start(config, storage, clock):
    from server.rules import QueueService, RuleContext

    service = QueueService(storage, RuleContext(clock=clock, public_url="http://x"))
    leftover_day(service, clock)
    clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=config.tz))   # three days later
    app = create_app(config, storage=storage, clock=clock, voice=False)
    before = statuses(storage)
    assert "waiting" in before.values()         # the factory does no work nobody asked for
    background = start_background_tasks(app, config)    # hangdoi serve's bootstrap step
    background.stop()
    assert all(v in ("done", "cancelled") for v in statuses(storage).values())
    with storage.read() as db:
        ends = {r[0] for r in db.execute("SELECT finished_at FROM tickets WHERE status = 'cancelled'")}
    assert ends == {datetime(2026, 11, 24, tzinfo=config.tz).timestamp()}   # the end of their own day
    assert {s for s, _ in desk_states(storage).values()} == {"closed"}
    # and the day's reports are exact: nothing is left "waiting" in the past
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "gs", "password": "mat-khau-3"}).get_json()["access_token"]
    totals = client.get("/api/v1/reports/summary?from=2026-11-23&to=2026-11-23",
                        headers={"Authorization": f"Bearer {token}"}).get_json()["totals"]
    assert (totals["issued"], totals["served"], totals["cancelled"]) == (5, 1, 4)


def test_the_background_task_closes_at_local_midnight(config, storage, clock):
    clock.set(datetime(2026, 11, 23, 23, 58, tzinfo=config.tz))
    app = create_app(config, storage=storage, clock=clock, voice=False)
    hub = app.extensions["hangdoi"]
    hub.service.issue(KIOSK, "STP-LLTP")
    slept = []

    def sleep(seconds):                           # time passes only when the task sleeps
        slept.append(seconds)
        clock.advance(seconds)

    end_of_day_loop(hub, sleep, rounds=1)          # first sleep: until 00:00 (capped at 60 s)
    assert statuses(storage) == {"A001": "waiting"}
    end_of_day_loop(hub, sleep, max_sleep_s=3600, rounds=1)
    assert slept[0] == 60 and 60 < slept[1] <= 60.5     # woke just after midnight
    assert clock.local().strftime("%H:%M") == "00:00"
    assert statuses(storage) == {"A001": "cancelled"}


def test_run_end_of_day_never_raises(config, storage, clock):
    app = create_app(config, storage=storage, clock=clock, voice=False)
    hub = app.extensions["hangdoi"]

    def broken():
        raise RuntimeError("disk on fire")

    hub.service.close_earlier_days = broken
    assert run_end_of_day(hub) is None


# ---- opening hours ----------------------------------------------------------------------------
HOURS = {"mon": ["07:30-11:30", "13:30-17:00"], "tue": ["07:30-11:30", "13:30-17:00"],
         "wed": ["07:30-11:30"], "thu": ["07:30-11:30"], "fri": ["07:30-11:30"],
         "closed_dates": ["2026-11-24"]}


@pytest.fixture
def hours_app(tmp_path):
    config = make_config(tmp_path, opening_hours=HOURS)
    clock = FixedClock(config.tz, datetime(2026, 11, 23, 6, 0, tzinfo=config.tz))   # Monday 06:00
    app = create_app(config, clock=clock, voice=False)
    create_user(app.extensions["hangdoi"].storage, "gs", "mat-khau-3", "supervisor")
    app.clock = clock
    return app


def issue_as(client, token):
    return client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers={"Authorization": f"Bearer {token}"})


def test_outside_opening_hours_a_kiosk_is_refused_with_the_next_opening(hours_app):
    client = hours_app.test_client()
    r = issue_as(client, "kiosk-token-1")
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "center_closed"
    assert "07:30 Thứ Hai, 23/11/2026" in error["message"]
    assert error["details"] == [{"field": "next_opening", "message": "2026-11-23T07:30+07:00"}]
    hours_app.clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=hours_app.clock.tz))
    assert issue_as(client, "kiosk-token-1").status_code == 201
    hours_app.clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=hours_app.clock.tz))     # lunch
    assert "13:30 Thứ Hai" in issue_as(client, "kiosk-token-1").get_json()["error"]["message"]
    hours_app.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=hours_app.clock.tz))     # evening; 24th is a holiday
    assert "07:30 Thứ Tư, 25/11/2026" in issue_as(client, "kiosk-token-1").get_json()["error"]["message"]
    assert client.get("/api/v1/catalog").get_json()["center"]["is_open"] is False


def test_staff_may_issue_outside_opening_hours(hours_app):
    client = hours_app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "gs", "password": "mat-khau-3"}).get_json()["access_token"]
    assert issue_as(client, token).status_code == 201
    assert issue_as(client, "bad-token").status_code == 401           # still the endpoint's own answer
    assert issue_as(client, "hall-token-1").status_code == 403


def test_a_center_without_opening_hours_is_always_open(config, storage, clock):
    clock.set(datetime(2026, 11, 22, 3, 0, tzinfo=config.tz))      # Sunday 03:00
    client = create_app(config, storage=storage, clock=clock, voice=False).test_client()
    assert issue_as(client, "kiosk-token-1").status_code == 201


def test_opening_text():
    assert opening_text(datetime(2026, 11, 29, 7, 5)) == "07:05 Chủ Nhật, 29/11/2026"


def test_first_close_of_the_day_never_signs_out_a_desk_serving_todays_ticket(service, storage):
    """Found by the property test: the first run of a day used to clear a desk's current ticket of
    today, leaving that ticket 'called' at no desk."""
    from tests.conftest import KIOSK, OFFICER_STP

    ticket = service.issue(KIOSK, "STP-LLTP").result
    service.call_next(OFFICER_STP, 1)
    service.close_earlier_days()
    desk = service.desk(1)
    assert desk["current_ticket"]["id"] == ticket["id"] and desk["state"] == "open"
    assert service.finish(OFFICER_STP, 1).result["status"] == "done"
