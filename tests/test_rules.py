"""The queue rules, against a real SQLite file, with an injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.rules import Conflict, Invalid, NotFound
from server.rules.tickets import format_code
from tests.conftest import KIOSK, OFFICER_STP


def issue(service, code="STP-LLTP", priority=None):
    return service.issue(KIOSK, code, priority).result


def events_of(storage, ticket_id=None):
    with storage.read() as db:
        if ticket_id is None:
            return [r[0] for r in db.execute("SELECT type FROM events ORDER BY id")]
        return [r[0] for r in db.execute("SELECT type FROM events WHERE ticket = ? ORDER BY id", [ticket_id])]


# ---- issuing ----------------------------------------------------------------------------------
def test_codes_count_up_per_prefix_and_services_sharing_a_prefix_share_the_sequence(service):
    assert issue(service, "STP-LLTP")["code"] == "A001"
    assert issue(service, "STP-HT")["code"] == "A002"       # same prefix "A", same sequence
    assert issue(service, "CA-CC")["code"] == "C001"        # own prefix, own sequence
    assert issue(service, "STP-LLTP")["code"] == "A003"


def test_numbers_grow_past_999_instead_of_wrapping(service, storage, clock):
    with storage.write() as db:
        db.execute("INSERT INTO day_counters (day, prefix, last_number) VALUES (?, 'A', 998)",
                   [clock.day_of(clock.now())])
    assert [issue(service)["code"] for _ in range(3)] == ["A999", "A1000", "A1001"]
    assert format_code("B", 7) == "B007"


def test_numbers_restart_at_local_midnight_not_utc_midnight(service, clock, config):
    clock.set(datetime(2026, 11, 23, 23, 59, 30, tzinfo=config.tz))
    assert issue(service)["code"] == "A001"
    assert issue(service)["code"] == "A002"
    # 00:00 UTC is 07:00 in Vietnam: still the same local day, numbering goes on
    clock.set(datetime(2026, 11, 24, 6, 59, tzinfo=config.tz))
    assert issue(service)["code"] == "A001"  # new local day 24th started at local midnight
    clock.set(datetime(2026, 11, 24, 7, 1, tzinfo=config.tz))
    assert issue(service)["code"] == "A002"


def test_midnight_reset_never_reuses_a_code_within_a_day(service, clock, config, storage):
    clock.set(datetime(2026, 11, 23, 23, 59, 59, tzinfo=config.tz))
    before = issue(service)
    clock.advance(2)
    after = issue(service)
    assert before["code"] == after["code"] == "A001"
    with storage.read() as db:
        days = [r[0] for r in db.execute("SELECT day FROM tickets ORDER BY id")]
    assert days == ["2026-11-23", "2026-11-24"]


def test_issued_ticket_has_contract_fields_and_local_times(service, config):
    t = issue(service)
    assert set(t) >= {"id", "code", "service", "agency", "priority", "status", "issued_at", "called_at", "desk",
                      "waiting_ahead", "estimated_wait_s", "status_url"}
    assert t["status"] == "waiting" and t["agency"] == "STP" and t["desk"] is None
    assert t["issued_at"] == "2026-11-23T08:00:00+07:00"
    assert t["status_url"].startswith("http://hangdoi.test/t/%d?t=" % t["id"])


def test_unknown_service_and_bad_priority_are_refused(service):
    with pytest.raises(NotFound) as err:
        issue(service, "NOPE")
    assert err.value.code == "unknown_service"
    with pytest.raises(Invalid) as err:
        issue(service, priority="vip")
    assert err.value.code == "invalid_priority"


def test_issue_records_an_event(service, storage):
    t = issue(service)
    assert events_of(storage, t["id"]) == ["issued"]


# ---- calling ----------------------------------------------------------------------------------
def test_call_next_takes_the_oldest_ticket_of_the_desks_services(service, clock):
    a = issue(service, "STP-LLTP")
    clock.advance(60)
    issue(service, "CA-CC")               # not a service of desk 1
    clock.advance(60)
    b = issue(service, "STP-HT")
    assert service.call_next(OFFICER_STP, 1).result["id"] == a["id"]
    assert service.call_next(OFFICER_STP, 1).result["id"] == b["id"]
    assert service.call_next(OFFICER_STP, 1).result is None


def test_call_next_finishes_the_current_ticket_first(service, storage):
    a = issue(service)
    issue(service)
    service.call_next(OFFICER_STP, 2)
    service.call_next(OFFICER_STP, 2)
    assert service.ticket(a["id"])[0]["status"] == "done"
    assert events_of(storage, a["id"]) == ["issued", "called", "finished"]


def test_desk_only_serves_its_own_services(service):
    issue(service, "STP-HT")
    assert service.call_next(OFFICER_STP, 2).result is None   # desk 2 serves STP-LLTP only
    assert service.call_next(OFFICER_STP, 1).result["service"] == "STP-HT"


def test_priority_first_but_at_most_n_in_a_row_while_normal_tickets_wait(service, clock):
    # priority_max_in_row = 2 in the small center
    normals = [issue(service) for _ in range(2)]
    clock.advance(10)
    prios = [issue(service, priority="elderly") for _ in range(4)]
    order = [service.call_next(OFFICER_STP, 2).result["code"] for _ in range(6)]
    assert order == [prios[0]["code"], prios[1]["code"], normals[0]["code"],
                     prios[2]["code"], prios[3]["code"], normals[1]["code"]]


def test_priority_calls_while_no_normal_ticket_waits_do_not_count_toward_the_limit(service, clock):
    p1 = issue(service, priority="pregnant")
    p2 = issue(service, priority="veteran")
    assert service.call_next(OFFICER_STP, 2).result["id"] == p1["id"]
    assert service.call_next(OFFICER_STP, 2).result["id"] == p2["id"]
    clock.advance(5)
    n = issue(service)
    p3, p4 = issue(service, priority="child"), issue(service, priority="disabled")
    p5 = issue(service, priority="elderly")
    got = [service.call_next(OFFICER_STP, 2).result["id"] for _ in range(4)]
    assert got == [p3["id"], p4["id"], n["id"], p5["id"]]


def test_two_desks_never_get_the_same_ticket(service):
    issue(service)
    issue(service)
    first = service.call_next(OFFICER_STP, 1).result
    second = service.call_next(OFFICER_STP, 2).result
    assert first["id"] != second["id"]
    assert service.call_next(OFFICER_STP, 2).result is None


def test_yesterdays_waiting_tickets_are_not_called_today(service, clock):
    issue(service)
    clock.advance(hours=24)
    assert service.call_next(OFFICER_STP, 1).result is None


# ---- desk actions -----------------------------------------------------------------------------
def test_recall_start_finish(service, storage, clock):
    t = issue(service)
    service.call_next(OFFICER_STP, 1)
    assert service.recall(OFFICER_STP, 1).result["id"] == t["id"]
    clock.advance(30)
    started = service.start(OFFICER_STP, 1).result
    assert started["status"] == "serving" and started["started_at"] == "2026-11-23T08:00:30+07:00"
    with pytest.raises(Conflict):
        service.recall(OFFICER_STP, 1)            # he is already at the desk
    clock.advance(300)
    done = service.finish(OFFICER_STP, 1).result
    assert done["status"] == "done" and done["finished_at"] == "2026-11-23T08:05:30+07:00"
    assert service.desk(1)["current_ticket"] is None
    assert events_of(storage, t["id"]) == ["issued", "called", "recalled", "started", "finished"]


def test_actions_needing_a_current_ticket_conflict_without_one(service):
    for action in (service.recall, service.start, service.finish, service.no_show):
        with pytest.raises(Conflict) as err:
            action(OFFICER_STP, 1)
        assert err.value.code == "no_current_ticket"
    with pytest.raises(Conflict):
        service.transfer(OFFICER_STP, 1, "CA-CC")


def test_no_show_only_for_a_called_ticket(service):
    t = issue(service)
    service.call_next(OFFICER_STP, 1)
    assert service.no_show(OFFICER_STP, 1).result["status"] == "no_show"
    issue(service)
    service.call_next(OFFICER_STP, 1)
    service.start(OFFICER_STP, 1)
    with pytest.raises(Conflict) as err:
        service.no_show(OFFICER_STP, 1)
    assert err.value.code == "invalid_state"
    assert service.ticket(t["id"])[0]["status"] == "no_show"


def test_transfer_keeps_the_code_and_the_place_by_issue_time(service, clock, storage):
    t = issue(service, "STP-LLTP")                 # 08:00
    clock.advance(minutes=10)
    later = issue(service, "STP-HT")               # 08:10, waits for STP-HT at desk 1
    service.call_next(OFFICER_STP, 2)              # desk 2 calls t
    clock.advance(minutes=5)
    moved = service.transfer(OFFICER_STP, 2, "STP-HT").result
    assert moved["code"] == t["code"] and moved["status"] == "waiting" and moved["service"] == "STP-HT"
    assert moved["desk"] is None and moved["issued_at"] == t["issued_at"]
    assert moved["waiting_ahead"] == 0            # ahead of the ticket issued after it
    assert service.call_next(OFFICER_STP, 1).result["id"] == t["id"]
    assert service.call_next(OFFICER_STP, 1).result["id"] == later["id"]
    assert events_of(storage, t["id"]) == ["issued", "called", "transferred", "called", "finished"]


def test_transfer_to_another_agency_and_to_unknown_service(service):
    issue(service)
    service.call_next(OFFICER_STP, 1)
    with pytest.raises(NotFound):
        service.transfer(OFFICER_STP, 1, "NOPE")
    moved = service.transfer(OFFICER_STP, 1, "CA-CC").result
    assert moved["agency"] == "CA" and moved["code"] == "A001"


def test_pause_resume(service, storage):
    with pytest.raises(Invalid):
        service.pause(OFFICER_STP, 1, "   ")
    service.pause(OFFICER_STP, 1, "Họp giao ban")
    desk = service.desk(1)
    assert desk["state"] == "paused" and desk["pause_reason"] == "Họp giao ban"
    with pytest.raises(Conflict):
        service.pause(OFFICER_STP, 1, "again")
    service.resume(OFFICER_STP, 1)
    assert service.desk(1)["state"] == "open"
    with pytest.raises(Conflict) as err:
        service.resume(OFFICER_STP, 1)
    assert err.value.code == "not_paused"
    assert events_of(storage)[-2:] == ["paused", "resumed"]


def test_next_on_a_paused_desk_resumes_it(service, storage):
    issue(service)
    service.pause(OFFICER_STP, 1, "Nghỉ trưa")
    assert service.call_next(OFFICER_STP, 1).result is not None
    assert service.desk(1)["state"] == "open"
    assert "resumed" in events_of(storage)


def test_unknown_desk(service):
    with pytest.raises(NotFound):
        service.call_next(OFFICER_STP, 42)
    with pytest.raises(NotFound):
        service.desk(42)


# ---- estimates --------------------------------------------------------------------------------
def test_estimate_uses_the_default_until_there_is_history_then_real_service_times(service, clock):
    first = issue(service, "CA-CC")
    # one desk for CA-CC, closed: nobody can tell when it opens (issue 10: it said "10 phút")
    assert first["estimated_wait_s"] is None and first["estimate"]["kind"] == "no_open_desk"
    second = issue(service, "CA-CC")
    assert second["waiting_ahead"] == 1 and second["estimated_wait_s"] is None
    officer_ca = OFFICER_STP.__class__(kind="user", role="officer", agency="CA")
    for _ in range(4):                  # four tickets served in 2 minutes each
        issue(service, "CA-CC")
    for _ in range(4):
        service.call_next(officer_ca, 3)
        clock.advance(120)
    service.finish(officer_ca, 3)       # 4 finished at 120 s each (plus the 2 before)
    q = {x["code"]: x for x in service.queues()}["CA-CC"]
    assert q["waiting"] == 2
    # mean of the real times (120 s), not the default. The estimator replays the desks (issue 6):
    # desk 3 is open and idle, so the 2 waiting are called at 0 s and 120 s and a new ticket at
    # 240 s. (The first formula, (2 + 0.5) × 120 = 300, added half a service for a desk that was idle.)
    assert q["estimated_wait_s"] == 2 * 120
    service.call_next(officer_ca, 3)    # busy again, 1 waiting
    q = {x["code"]: x for x in service.queues()}["CA-CC"]
    # desk 3 has just called a ticket (120 s to go), then the one waiting (120 s): 240 s.
    # (The first formula said (1 + 0.5) × 120 = 180, counting the ticket at the desk as half done.)
    assert q["estimated_wait_s"] == 2 * 120
    service.call_next(officer_ca, 3)
    service.finish(officer_ca, 3)       # nobody waits and desk 3 is open and idle: no wait at all
    assert {x["code"]: x for x in service.queues()}["CA-CC"]["estimated_wait_s"] == 0


def test_an_estimate_asked_twice_in_the_same_second_is_the_same(service):
    """The desks' model is cached for a second; a replay must not leave its priority streaks in it
    (it once did: the second ticket view saw the desk's streak the first replay ended with)."""
    officer_ca = OFFICER_STP.__class__(kind="user", role="officer", agency="CA")
    issue(service, "CA-CC")
    service.call_next(officer_ca, 3)                  # desk 3 at work, no priority call in a row yet
    for priority in (None, None, "elderly", "disabled"):
        issue(service, "CA-CC", priority=priority)
    last = issue(service, "CA-CC", priority="elderly")  # called third in a row of priority tickets
    views = [service.ticket(last["id"])[0]["estimated_wait_s"] for _ in range(3)]
    assert views == [last["estimated_wait_s"]] * 3


def test_waiting_ahead_counts_priority_tickets_before_normal_ones(service):
    n1 = issue(service)
    p1 = issue(service, priority="elderly")
    n2 = service.ticket(n1["id"])[0]
    assert p1["waiting_ahead"] == 0       # priority goes first
    assert n2["waiting_ahead"] == 1       # the priority ticket is now ahead of n1
    assert issue(service)["waiting_ahead"] == 2
