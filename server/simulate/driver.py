"""The simulated day itself: visitors and officers as a discrete-event schedule in simulated time,
each event carried out against the real server when the real clock reaches it.

Time. The day runs ``speed`` times faster than real time: simulated time
``sim = start + (real − real_start) × speed``. Every wait the report shows is measured here, in
simulated seconds (issue and call instants taken when the server answered). The server only knows
real time, so what it learns (service times) and what it estimates are in real seconds: an
estimate of E real seconds means E × speed simulated seconds.

Officers. Each desk is worked by its agency's officer: it opens (Next), calls, waits for the
visitor to walk up (Start), serves for a lognormal time around the service's mean (× the officer's
own pace), then presses Next, which finishes the ticket and calls the next one (sometimes Finish
first and Next a little later). A visitor who is not there is recalled once, then marked no-show;
a few visitors are transferred to another service. Most desks pause for lunch ("Nghỉ trưa"); some
close for 30–90 minutes in the morning or the afternoon (the officer signs out, ``desk_breaks``)
and open again, so that some services have no open desk for a while. An idle
desk presses Next again when its console shows someone waiting for one of its services: the driver
knows what waits, since it issued every ticket. After closing time a desk with nobody left to call
signs out.
"""
from __future__ import annotations

import heapq
import itertools
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .clients import Api, ApiError, Display, Phones, secret_of
from .harness import ExtraDesks, SimCenter
from .profile import ArrivalProfile, ServiceMix, clock_text, lognormal, pick_priority, service_mean_min, \
    OFFICER_SIGMA, SERVICE_SIGMA

LUNCH_REASON = "Nghỉ trưa"


@dataclass
class Options:
    visitors: int = 1000
    speed: float = 60.0
    start: float = 7.5 * 3600
    end: float = 17 * 3600
    seed: int = 1
    extras: list[ExtraDesks] = field(default_factory=list)
    mix: dict[str, float] = field(default_factory=dict)
    priority_share: float = 0.08
    no_show: float = 0.05
    transfer: float = 0.02
    lunch: tuple[float, float] | None = (11.5 * 3600, 13.5 * 3600)
    lunch_share: float = 0.85
    desk_breaks: float = 0.15     # share of desks that close for a while during the day, then open again
    phones: float = 0.25
    phones_max: int = 60
    halls: int = 3
    desk_displays: int = 3
    kiosks: int = 2
    overtime_min: float = 60.0
    voice: bool = True            # the first hall display speaks: the server renders every call's voice
    progress: bool = True


@dataclass
class Visitor:
    n: int
    arrive: float
    service: str
    priority: str | None
    absent: bool                  # took a ticket and left: a no-show when called
    slow: bool                    # comes to the desk only after a recall
    phone: bool
    kiosk: int
    ticket_id: int | None = None
    code: str | None = None
    first_service: str | None = None
    agency: str | None = None
    issued: float | None = None   # simulated seconds since midnight
    estimate_real_s: float | None = None      # None: no open desk served the service at issue
    estimate_kind: str | None = None          # the ticket's estimate.kind at issue
    waiting_ahead: int | None = None
    first_call: float | None = None
    first_desk: int | None = None
    status: str = "new"           # new, waiting, called, serving, done, no_show, refused
    transfers: int = 0
    refused: str | None = None


@dataclass
class DeskAgent:
    number: int
    agency: str
    services: tuple[str, ...]
    pace: float                   # this officer's speed factor (service time × pace)
    token: str
    opens: float
    lunch: tuple[float, float] | None
    away: tuple[float, float] | None = None     # closed (signed out) from .. to, during the day
    away_taken: bool = False
    state: str = "closed"         # closed, idle, busy, paused, gone
    current: Visitor | None = None
    gen: int = 0                  # bumps on every state change: stale scheduled steps are dropped
    lunch_taken: bool = False
    wake_at: float | None = None
    served: int = 0


@dataclass
class CallRecord:
    key: tuple[int, int, bool]
    at_real: float                # perf_counter() when the server answered the call
    sim: float


class Day:
    def __init__(self, center: SimCenter, options: Options, api: Api, tokens: dict[str, str],
                 displays: list[Display], phones: Phones | None, out=sys.stderr):
        self.center = center
        self.tokens = tokens
        self.o = options
        self.api = api
        self.displays = displays
        self.phones = phones
        self.out = out
        self.rng = random.Random(options.seed)
        self.heap: list = []
        self.seq = itertools.count()
        self.real0 = 0.0
        self.calls: list[CallRecord] = []
        self.calls_by_ticket: dict[int, list[CallRecord]] = {}
        self.errors: Counter = Counter()
        self.lags: list[float] = []
        self.waiting: Counter = Counter()          # service → tickets the driver knows are waiting
        self.by_ticket: dict[int, Visitor] = {}
        self.visitors = self._make_visitors()
        self.desks = self._make_desks()
        self.desks_of: dict[str, list[DeskAgent]] = {}
        for d in self.desks:
            for s in d.services:
                self.desks_of.setdefault(s, []).append(d)
        self.done = False
        self.hard_end = options.end + options.overtime_min * 60

    # ---- the day's plan (all from the seed) --------------------------------------------------
    def _make_visitors(self) -> list[Visitor]:
        o, rng = self.o, self.rng
        profile = ArrivalProfile.default().clipped(o.start, o.end)
        # the same visitors whatever the what-if: the mix comes from the center's own desks
        own = [d for d in self.center.desks if d[0] not in self.center.extra_desks]
        self.mix = ServiceMix.for_center(own, self.center.service_agency, o.mix)
        times = profile.arrival_times(o.visitors, rng)
        visitors = []
        for n, t in enumerate(times):
            service = self.mix.pick(rng)
            absent = rng.random() < o.no_show
            visitors.append(Visitor(n=n, arrive=t, service=service, priority=pick_priority(rng, o.priority_share),
                                    absent=absent, slow=not absent and rng.random() < 0.03,
                                    phone=rng.random() < o.phones, kiosk=rng.randrange(max(1, len(self.center.kiosk_tokens)))))
        return visitors

    def _make_desks(self) -> list[DeskAgent]:
        o, rng = self.o, self.rng
        desks = []
        for number, agency, services in self.center.desks:
            token = self.tokens.get(agency) or self.tokens.get("*")
            if token is None:
                continue
            opens = self.center.extra_desk_opening.get(number, o.start + rng.uniform(0, 8 * 60))
            lunch = None
            if o.lunch and o.start < o.lunch[0] < o.end and rng.random() < o.lunch_share:
                lunch = (o.lunch[0] + rng.uniform(-10 * 60, 10 * 60), o.lunch[1] + rng.uniform(-10 * 60, 5 * 60))
            desks.append(DeskAgent(number, agency, services, pace=lognormal(rng, 1.0, OFFICER_SIGMA),
                                   token=token, opens=max(opens, o.start), lunch=lunch))
        # an RNG of its own: the same seed gives the same day as before for everything else
        breaks = random.Random(o.seed * 7919 + 17)
        for d in desks:
            if breaks.random() < o.desk_breaks:
                morning = breaks.random() < 0.5 or not o.lunch
                start = (o.start + 3600 + breaks.uniform(0, 2 * 3600)) if morning else \
                    (o.lunch[1] + 1800 + breaks.uniform(0, 1.5 * 3600))
                if start + 1800 < o.end:
                    d.away = (start, min(o.end, start + breaks.uniform(30, 90) * 60))
        return desks

    # ---- time -----------------------------------------------------------------------------------
    def now(self) -> float:
        return self.o.start + (time.perf_counter() - self.real0) * self.o.speed

    def real_of(self, sim: float) -> float:
        return self.real0 + (sim - self.o.start) / self.o.speed

    def at(self, sim: float, fn: Callable, *args) -> None:
        heapq.heappush(self.heap, (sim, next(self.seq), fn, args))

    def later(self, delay_s: float, fn: Callable, *args) -> None:
        self.at(self.now() + delay_s, fn, *args)

    # ---- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        for v in self.visitors:
            self.at(v.arrive, self.arrive, v)
        for d in self.desks:
            self.at(d.opens, self.open_desk, d)
            if d.lunch:
                self.at(d.lunch[0], self._check_idle, d)
            if d.away:
                self.at(d.away[0], self._check_idle, d)
            self.at(self.o.end, self._check_idle, d)
        self.real0 = time.perf_counter()
        progress = threading.Thread(target=self._progress, daemon=True) if self.o.progress else None
        if progress:
            progress.start()
        try:
            while self.heap:
                sim, _, fn, args = self.heap[0]
                if sim > self.hard_end or (sim > self.o.end and all(d.state == "gone" for d in self.desks)):
                    break
                delay = self.real_of(sim) - time.perf_counter()
                if delay > 0:
                    time.sleep(min(delay, 0.25))
                    continue
                heapq.heappop(self.heap)
                self.lags.append(-delay)
                fn(*args)
        finally:
            self.done = True
            if progress:
                progress.join(2)

    def _progress(self) -> None:
        tty = hasattr(self.out, "isatty") and self.out.isatty()
        total = self.hard_end - self.o.start
        last_tenth = -1
        while not self.done:
            sim = min(self.now(), self.hard_end)
            frac = max(0.0, min(1.0, (sim - self.o.start) / total))
            issued = sum(1 for v in self.visitors if v.ticket_id is not None)
            served = sum(1 for v in self.visitors if v.status == "done")
            waiting = sum(1 for v in self.visitors if v.status == "waiting")
            bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
            line = (f"[{bar}] {clock_text(sim)}  issued {issued}/{len(self.visitors)}  waiting {waiting}  "
                    f"served {served}  open desks {sum(d.state in ('idle', 'busy') for d in self.desks)}")
            if tty:
                self.out.write("\r" + line + "  ")
                self.out.flush()
            elif int(frac * 10) != last_tenth:
                last_tenth = int(frac * 10)
                self.out.write(line + "\n")
                self.out.flush()
            time.sleep(0.5 if tty else 1.0)
        if tty:
            self.out.write("\n")
            self.out.flush()

    # ---- requests -------------------------------------------------------------------------------
    def _post(self, what: str, path: str, token: str, body: dict | None = None) -> dict | None:
        try:
            return self.api.call("POST", path, body, token=token)
        except ApiError as err:
            self.errors[(what, err.status, err.code)] += 1
            return None

    # ---- visitors -------------------------------------------------------------------------------
    def arrive(self, v: Visitor) -> None:
        kiosk_id, token = self.center.kiosk_tokens[v.kiosk]
        try:
            answer = self.api.call("POST", "/tickets", {"service": v.service, "priority": v.priority}, token=token)
        except ApiError as err:
            v.status, v.refused = "refused", f"{err.status} {err.code}"
            self.errors[("issue", err.status, err.code)] += 1
            return
        t = answer["ticket"]
        v.issued = self.now()
        v.ticket_id, v.code, v.first_service, v.agency = t["id"], t["code"], t["service"], t["agency"]
        est = t.get("estimated_wait_s")
        v.estimate_real_s, v.waiting_ahead = (float(est) if est is not None else None), t["waiting_ahead"]
        v.estimate_kind = (t.get("estimate") or {}).get("kind")
        v.status = "waiting"
        self.by_ticket[v.ticket_id] = v
        self.waiting[v.service] += 1
        if v.phone and self.phones is not None:
            secret = secret_of(t)
            if secret:
                self.later(self.rng.uniform(10, 120), self._follow, v, secret)
        self._wake_for(v.service)

    def _follow(self, v: Visitor, secret: str) -> None:
        if v.status in ("waiting", "called", "serving"):
            self.phones.follow(v.ticket_id, v.code, secret)

    def _settle(self, v: Visitor, status: str) -> None:
        v.status = status
        if self.phones is not None and status in ("done", "no_show"):
            self.phones.leave(v.ticket_id)

    # ---- desks ----------------------------------------------------------------------------------
    def _wake_for(self, service: str) -> None:
        """Officers whose console shows a new waiting ticket press Next after a short while."""
        for d in self.desks_of.get(service, ()):
            if d.state == "idle" and d.wake_at is None:
                d.wake_at = self.now() + self.rng.uniform(5, 40)
                self.at(d.wake_at, self._wake, d, d.gen)

    def _wake(self, d: DeskAgent, gen: int) -> None:
        d.wake_at = None
        if d.gen == gen and d.state == "idle":
            self.next(d)

    def _someone_waits(self, d: DeskAgent) -> bool:
        return any(self.waiting[s] > 0 for s in d.services)

    def open_desk(self, d: DeskAgent) -> None:
        d.state = "idle"
        d.gen += 1
        self.next(d, force=True)            # signing in: Next opens the desk even if nobody waits

    def next(self, d: DeskAgent, force: bool = False) -> None:
        """Press Next (finishing the current ticket, if any), or go to lunch / sign out instead."""
        now = self.now()
        d.gen += 1
        if d.lunch and not d.lunch_taken and now >= d.lunch[0]:
            self._finish(d)
            self._pause(d)
            return
        if d.away and not d.away_taken and d.away[0] <= now < d.away[1]:
            self._finish(d)
            self._go_away(d)
            return
        if d.current is None and not force and not self._someone_waits(d):
            self._idle(d)
            return
        finishing, d.current = d.current, None
        answer = self._post("next", f"/desks/{d.number}/next", d.token)
        if finishing is not None:
            self._settle(finishing, "done")
            d.served += 1
        ticket = (answer or {}).get("ticket")
        if ticket is not None:
            self._called(d, ticket)
            return
        if answer is not None:                # the server says nobody waits for this desk: trust it
            for s in d.services:
                self.waiting[s] = 0
        self._idle(d)

    def _idle(self, d: DeskAgent) -> None:
        if self.now() >= self.o.end and not self._someone_waits(d):
            self._sign_out(d)
            return
        d.state = "idle"
        self.later(600, self._poll, d, d.gen)

    def _poll(self, d: DeskAgent, gen: int) -> None:
        """An idle desk looks at its console now and then (and at lunch time and closing time)."""
        if d.gen == gen and d.state == "idle":
            self.next(d)

    def _check_idle(self, d: DeskAgent) -> None:
        if d.state == "idle":
            self.next(d)

    def _record_call(self, d: DeskAgent, ticket_id: int, recall: bool) -> None:
        rec = CallRecord((ticket_id, d.number, recall), time.perf_counter(), self.now())
        self.calls.append(rec)
        self.calls_by_ticket.setdefault(ticket_id, []).append(rec)

    def _called(self, d: DeskAgent, ticket: dict) -> None:
        v = self.by_ticket.get(ticket["id"])
        self._record_call(d, ticket["id"], False)
        self.waiting[ticket["service"]] = max(0, self.waiting[ticket["service"]] - 1)
        d.state, d.current = "busy", v
        gen = d.gen
        if v is None:                         # not one of ours (a server shared with others): serve it briefly
            self.later(lognormal(self.rng, 8 * 60, SERVICE_SIGMA), self._serve_unknown, d, gen)
            return
        if v.first_call is None:
            v.first_call, v.first_desk = self.now(), d.number
        v.status = "called"
        if v.absent:
            self.later(self.rng.uniform(45, 90), self._recall, d, gen, False)
        elif v.slow:
            self.later(self.rng.uniform(45, 90), self._recall, d, gen, True)
        else:
            self.later(self.rng.uniform(15, 75), self._start, d, gen)

    def _serve_unknown(self, d: DeskAgent, gen: int) -> None:
        if d.gen == gen:
            self.next(d, force=True)

    def _recall(self, d: DeskAgent, gen: int, comes: bool) -> None:
        if d.gen != gen:
            return
        if self._post("recall", f"/desks/{d.number}/recall", d.token) is not None:
            self._record_call(d, d.current.ticket_id, True)
        if comes:
            self.later(self.rng.uniform(20, 60), self._start, d, gen)
        else:
            self.later(self.rng.uniform(60, 120), self._no_show, d, gen)

    def _no_show(self, d: DeskAgent, gen: int) -> None:
        if d.gen != gen:
            return
        v = d.current
        self._post("no-show", f"/desks/{d.number}/no-show", d.token)
        self._settle(v, "no_show")
        d.current = None
        d.state = "idle"
        d.gen += 1
        self.later(self.rng.uniform(5, 20), self._resume_work, d, d.gen)

    def _resume_work(self, d: DeskAgent, gen: int) -> None:
        if d.gen == gen:
            self.next(d)

    def _start(self, d: DeskAgent, gen: int) -> None:
        if d.gen != gen:
            return
        v = d.current
        self._post("start", f"/desks/{d.number}/start", d.token)
        v.status = "serving"
        service = v.service
        duration = lognormal(self.rng, service_mean_min(service) * 60 * d.pace, SERVICE_SIGMA)
        self.later(max(60.0, duration), self._served, d, gen)

    def _served(self, d: DeskAgent, gen: int) -> None:
        if d.gen != gen:
            return
        v = d.current
        if v.transfers == 0 and self.rng.random() < self.o.transfer:
            target = self._transfer_target(v.service)
            if target and self._post("transfer", f"/desks/{d.number}/transfer", d.token,
                                     {"service": target}) is not None:
                v.transfers += 1
                v.service, v.status = target, "waiting"
                d.current, d.state = None, "idle"
                d.gen += 1
                self.waiting[target] += 1
                self._wake_for(target)
                self.later(self.rng.uniform(5, 20), self._resume_work, d, d.gen)
                return
        if self.rng.random() < 0.15:          # Finish now, Next after tidying up
            self._finish(d)
            d.state = "idle"
            d.gen += 1
            self.later(self.rng.uniform(10, 60), self._resume_work, d, d.gen)
        else:
            self.next(d)

    def _transfer_target(self, service: str) -> str | None:
        agency = self.center.service_agency.get(service)
        same = [s for s, a in self.center.service_agency.items() if a == agency and s != service and s in self.desks_of]
        if same and self.rng.random() < 0.7:
            return self.rng.choice(same)
        others = [s for s in self.mix.weights if s != service and s in self.desks_of]
        if not others:
            return None
        return self.rng.choices(others, weights=[self.mix.weights[s] for s in others])[0]

    def _finish(self, d: DeskAgent) -> None:
        v = d.current
        if v is None:
            return
        if v.status == "called":             # lunch came before the visitor did: no-show is the honest mark
            self._post("no-show", f"/desks/{d.number}/no-show", d.token)
            self._settle(v, "no_show")
        else:
            self._post("finish", f"/desks/{d.number}/finish", d.token)
            self._settle(v, "done")
            d.served += 1
        d.current = None

    def _pause(self, d: DeskAgent) -> None:
        d.lunch_taken = True
        self._post("pause", f"/desks/{d.number}/pause", d.token, {"reason": LUNCH_REASON})
        d.state = "paused"
        d.gen += 1
        self.at(max(d.lunch[1], self.now() + 60), self._back_from_lunch, d, d.gen)

    def _back_from_lunch(self, d: DeskAgent, gen: int) -> None:
        if d.gen != gen:
            return
        self._post("resume", f"/desks/{d.number}/resume", d.token)
        d.state = "idle"
        self.next(d, force=True)

    def _go_away(self, d: DeskAgent) -> None:
        """The officer signs out for a while: the desk is closed, then opens again."""
        d.away_taken = True
        self._post("close", f"/desks/{d.number}/close", d.token)
        d.state = "away"
        d.gen += 1
        self.at(max(d.away[1], self.now() + 60), self._back_from_away, d, d.gen)

    def _back_from_away(self, d: DeskAgent, gen: int) -> None:
        if d.gen == gen:
            self.open_desk(d)

    def _sign_out(self, d: DeskAgent) -> None:
        if d.state in ("gone",):
            return
        self._post("close", f"/desks/{d.number}/close", d.token)
        d.state = "gone"
        d.gen += 1

    # ---- after the day --------------------------------------------------------------------------
    def wait_for_screens(self, timeout: float = 10.0) -> None:
        """Give the last pushes time to arrive (bounded)."""
        expected_hall = Counter(c.key for c in self.calls)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(disp.desk is not None or all(disp.calls[k] >= n for k, n in expected_hall.items())
                   for disp in self.displays):
                break
            time.sleep(0.1)
        time.sleep(0.5)      # anything extra (a duplicate) would have come by now
