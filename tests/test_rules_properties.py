"""Property-based tests of the queue rules: whatever officers and kiosks do, in any order and
across midnight, the invariants hold and the event log replays to the same state."""
from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from server.clock import FixedClock
from server.rules import Actor, QueueService, RuleContext, RuleError
from server.rules.replay import replay
from server.storage import Storage
from server.storage.sync import sync_config
from tests.conftest import make_config

SERVICES = ["STP-LLTP", "STP-HT", "CA-CC"]
PRIORITIES = [None, None, None, "elderly", "disabled", "pregnant", "child", "veteran"]
DESKS = [1, 2, 3]
SUPERVISOR = Actor(kind="user", role="supervisor", name="gs")
KIOSK = Actor(kind="device", role="kiosk", device="kiosk-1")


class QueueMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="hangdoi-prop-"))
        config = make_config(self.folder)
        self.storage = Storage(config.server.database, synchronous="OFF")
        sync_config(self.storage, config)
        self.clock = FixedClock(config.tz, datetime(2026, 11, 23, 23, 0, tzinfo=config.tz))
        self.service = QueueService(self.storage, RuleContext(clock=self.clock, public_url="http://x",
                                                              priority_max_in_row=2, default_service_s=600))
        self.issued: list[dict] = []

    def teardown(self):
        self.storage.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _try(self, fn, *args):
        try:
            return fn(SUPERVISOR, *args)
        except RuleError:
            return None

    @rule(service=st.sampled_from(SERVICES), priority=st.sampled_from(PRIORITIES))
    def issue(self, service, priority):
        self.issued.append(self.service.issue(KIOSK, service, priority).result)

    @rule(desk=st.sampled_from(DESKS))
    def call_next(self, desk):
        before = self.service.desk(desk)["current_ticket"]
        outcome = self._try(self.service.call_next, desk)
        if outcome and outcome.result:
            assert outcome.result["status"] == "called" and outcome.result["desk"] == desk
            assert before is None or outcome.result["id"] != before["id"]

    @rule(desk=st.sampled_from(DESKS), action=st.sampled_from(["recall", "start", "finish", "no_show",
                                                                "resume", "close_desk"]))
    def act(self, desk, action):
        self._try(getattr(self.service, action), desk)

    @rule(desk=st.sampled_from(DESKS), service=st.sampled_from(SERVICES))
    def transfer(self, desk, service):
        self._try(self.service.transfer, desk, service)

    @rule(desk=st.sampled_from(DESKS))
    def pause(self, desk):
        self._try(self.service.pause, desk, "nghỉ")

    @rule(minutes=st.integers(min_value=1, max_value=90))
    def time_passes(self, minutes):
        self.clock.advance(minutes=minutes)

    @rule()
    def end_of_day_close(self):
        self.service.close_earlier_days()

    @rule(pick=st.integers(min_value=0, max_value=10 ** 6),
          action=st.sampled_from(["cancel", "reactivate", "move", "call_ticket"]),
          service=st.sampled_from(SERVICES), desk=st.sampled_from(DESKS))
    def supervisor_acts_on_a_ticket(self, pick, action, service, desk):
        if not self.issued:
            return
        ticket_id = self.issued[pick % len(self.issued)]["id"]
        args = {"cancel": (ticket_id, "thử"), "reactivate": (ticket_id,), "move": (ticket_id, service),
                "call_ticket": (ticket_id, desk)}[action]
        self._try(getattr(self.service, action), *args)

    @invariant()
    def a_ticket_is_at_one_desk_at_most_and_desks_hold_only_called_or_serving(self):
        with self.storage.read() as db:
            current = [r[0] for r in db.execute("SELECT current_ticket FROM desks WHERE current_ticket IS NOT NULL")]
            assert len(current) == len(set(current))
            at_desk = {r[0]: r[1] for r in db.execute(
                "SELECT id, desk FROM tickets WHERE status IN ('called', 'serving')")}
            holders = dict(db.execute("SELECT current_ticket, number FROM desks WHERE current_ticket IS NOT NULL"))
            assert at_desk == holders

    @invariant()
    def the_waiting_counts_kept_by_triggers_match_the_tickets(self):
        with self.storage.read() as db:
            counted = {tuple(r[:3]): r[3] for r in db.execute(
                "SELECT day, service, prio, count(*) FROM tickets WHERE status = 'waiting' GROUP BY 1, 2, 3")}
            kept = {tuple(r[:3]): r[3] for r in db.execute("SELECT day, service, prio, n FROM waiting_counts WHERE n != 0")}
        assert kept == counted

    @invariant()
    def codes_are_unique_per_day(self):
        with self.storage.read() as db:
            pairs = db.execute("SELECT day, code FROM tickets").fetchall()
        assert not [p for p, n in Counter(pairs).items() if n > 1]

    @invariant()
    def the_event_log_replays_to_the_same_state(self):
        with self.storage.read() as db:
            state = replay(db)
            tickets = {r[0]: {"status": r[1], "service": r[2], "desk": r[3] if r[1] in ("called", "serving") else None}
                       for r in db.execute("SELECT id, status, service, desk FROM tickets")}
            desks = {r[0]: {"state": r[1], "current": r[2]}
                     for r in db.execute("SELECT number, state, current_ticket FROM desks")}
        replayed = {k: dict(v, desk=v["desk"] if v["status"] in ("called", "serving") else None)
                    for k, v in state.tickets.items()}
        assert replayed == tickets
        for number, desk in state.desks.items():
            assert desk == desks[number], number


QueueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestQueueRules = QueueMachine.TestCase
