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
