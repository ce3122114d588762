"""Hardening (issue 9, item 5): the wall clock stepping back (an NTP correction, a dead CMOS
battery) changes neither the queue's order nor the kiosk's rate window; codes stay unique.
Unit tests with an injected clock, and the real server under libfaketime."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.rules import QueueService, RuleContext
from server.rules.errors import RateLimited
from tests.conftest import KIOSK, OFFICER_STP


def issue(service, code="STP-LLTP"):
    return service.issue(KIOSK, code, None).result


def test_a_ticket_taken_after_the_clock_steps_back_waits_behind_the_older_ones(service, clock):
    a = issue(service)
    clock.advance(minutes=1)
    b = issue(service)
    clock.advance(hours=-1)                         # NTP sets the clock an hour back
    c = issue(service)
    assert c["waiting_ahead"] == 2, c
    called = [service.call_next(OFFICER_STP, 1).result["id"] for _ in range(3)]
    assert called == [a["id"], b["id"], c["id"]]


def test_the_kiosk_window_is_bounded_when_the_clock_steps_back(storage, clock, config):
    limited = QueueService(storage, RuleContext(clock=clock, public_url=config.center.public_url,
                                                priority_max_in_row=config.queue.priority_max_in_row,
                                                default_service_s=1200, kiosk_tickets_per_minute=5))
    for _ in range(5):
        issue(limited)
        clock.advance(5)
    with pytest.raises(RateLimited) as refused:
        issue(limited)
    assert 1 <= refused.value.retry_after_s <= 60
    clock.advance(hours=-1)
    issue(limited)                                  # the tickets "from the future" do not count
    for _ in range(4):
        issue(limited)
    with pytest.raises(RateLimited) as again:       # the limit still holds in the new time
        issue(limited)
    assert 1 <= again.value.retry_after_s <= 60


def test_stepping_back_across_midnight_keeps_codes_unique_and_order_by_sequence(service, clock, config, storage):
    clock.set(datetime(2026, 11, 24, 0, 0, 30, tzinfo=config.tz))
    day2 = [issue(service) for _ in range(3)]
    clock.set(datetime(2026, 11, 23, 23, 59, 40, tzinfo=config.tz))     # back before midnight
    day1 = [issue(service) for _ in range(2)]
    clock.set(datetime(2026, 11, 24, 0, 1, tzinfo=config.tz))           # forward again
    day2 += [issue(service) for _ in range(2)]
    with storage.read() as db:
        rows = db.execute("SELECT day, code FROM tickets").fetchall()
    assert len(rows) == len(set(rows)) == 7
    assert [t["waiting_ahead"] for t in day2] == [0, 1, 2, 3, 4]
    assert [t["waiting_ahead"] for t in day1] == [0, 1]
    called = [service.call_next(OFFICER_STP, 1).result["id"] for _ in range(5)]
    assert called == [t["id"] for t in day2]


# ---- the real server under libfaketime --------------------------------------------------------
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PASSWORD = "mat-khau-dong-ho"
KIOSK_TOKEN = "clock-kiosk-token-1"


@pytest.mark.slow
@pytest.mark.parametrize("start, step_to", [
    ("2026-11-23 09:00:00", "2026-11-23 08:00:00"),      # an hour back, in the morning
    ("2026-11-24 00:00:20", "2026-11-23 23:59:30"),      # back across midnight
])
def test_the_real_server_after_the_wall_clock_steps_back(tmp_path, start, step_to):
    import os

    import requests

    from tests.centers import TWO_STP_DESKS_AND_CA, center_toml, kiosk
    from tests.conftest import bearer
    from tests.live_server import start_center

    if not os.path.exists(LIBFAKETIME):
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    stamp = tmp_path / "faketime"
    stamp.write_text(f"@{start}\n")
    env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(stamp), "FAKETIME_NO_CACHE": "1",
           "FAKETIME_DONT_RESET": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "Asia/Ho_Chi_Minh"}
    toml = center_toml("data/clock.db", desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", KIOSK_TOKEN)],
                       limits={"kiosk_tickets_per_minute": 10, "login_attempts_per_minute": 0})
    with start_center(tmp_path, toml, {"stp": (PASSWORD, "officer", "STP")}, env=env) as live:
        def take():
            return requests.post(live.url + "/api/v1/tickets", json={"service": "STP-LLTP"},
                                 headers=bearer(KIOSK_TOKEN), timeout=10)

        before = [take() for _ in range(10)]
        assert all(r.status_code == 201 for r in before), [r.text for r in before]
        assert before[0].json()["ticket"]["issued_at"].startswith(start[:10]), "libfaketime did not take"
        stamp.write_text(f"@{step_to}\n")                       # the wall clock steps back
        after = take()
        assert after.status_code == 201 or int(after.headers.get("Retry-After", "0")) <= 60, after.headers
        assert after.status_code == 201, after.text
        ticket = after.json()["ticket"]
        assert ticket["issued_at"].startswith(step_to[:10]), "the step did not take"
        same_day = ticket["issued_at"][:10] == before[0].json()["ticket"]["issued_at"][:10]
        if same_day:
            assert ticket["waiting_ahead"] == 10, ticket
        token = requests.post(live.url + "/api/v1/auth/login", json={"username": "stp", "password": PASSWORD},
                              timeout=10).json()["access_token"]
        called = []
        for _ in range(11):
            r = requests.post(live.url + "/api/v1/desks/1/next", headers=bearer(token), timeout=10)
            assert r.status_code == 200, r.text
            called.append((r.json().get("ticket") or {}).get("code"))
        codes = [r.json()["ticket"]["code"] for r in before] + [ticket["code"]]
        if same_day:
            assert called == codes, called
        else:                      # the day went back: its own queue, its own codes
            assert set(called) - {None} <= set(codes)
        assert len(set(codes)) == len(codes) or not same_day
