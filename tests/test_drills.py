"""Fault drills (issue 6): real processes — ``hangdoi serve``, ``hangdoi kiosk`` print agents,
python-socketio screens, a network printer stand-in, a TCP proxy that can "pull the cable" —
and the faults a center meets: the server killed at random moments of a busy morning, the
printer switched off and on again, a hall screen's network cut for 30 s, the disk full or the
database read-only, the clock passing midnight during service.

Bounds from the issue are asserted as such (screens and print agents back and in sync within 5 s
of the server or the network returning); everything else is polled with generous deadlines, so
the drills hold on a slow, shared 2-core machine.

Two servers started on one database by mistake (the second refuses with one clear line) is
drilled in ``tests/test_cli.py::test_serve_refuses_a_second_server_on_the_same_database``.

Screens here reconnect as the hall page does (``counter_display/static/common.js``: first retry
after 1 s, doubling to at most 3 s, jittered), the print agent with its own defaults.
"""
from __future__ import annotations

import ctypes
import itertools
import os
import random
import re
import resource
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import socketio

from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, desk_display, hall_display, kiosk
from tests.live_server import ROOT, LiveServer, free_port, prepare_database, write_config
from tests.printer_standin import PrinterStandIn
from tests.socket_recorder import Recorder

pytestmark = pytest.mark.slow

PASSWORD = "mat-khau-dien-tap"
HALL = "drill-hall-token-1"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RESYNC_S = 5.0                  # the issue's bound: screens and agents back and in sync this soon


def drill_config(max_delay_s: int) -> str:
    return center_toml(
        "data/drill.db", name="Trung tâm diễn tập sự cố", printing={"max_delay_s": max_delay_s},
        limits={"kiosk_tickets_per_minute": 0, "login_attempts_per_minute": 0},
        agencies=[STP, CA], desks=TWO_STP_DESKS_AND_CA,
        kiosks=[kiosk(f"kiosk-{i}", kiosk_token(i)) for i in (1, 2)],
        displays=[hall_display("hall-1", HALL, audio=False), desk_display("desk-1", "drill-desk-token-1", 1)])


def kiosk_token(i: int) -> str:
    return f"drill-kiosk-token-{i}"


# ---- the center -------------------------------------------------------------------------------
class Center:
    """A drill center: its config and database in ``tmp``, officers and a supervisor, the server."""

    def __init__(self, tmp: Path, *, max_delay_s: int = 600, env: dict | None = None, users: bool = True):
        self.tmp = tmp
        self.port = free_port()
        self.config_path = write_config(tmp, drill_config(max_delay_s), self.port)
        self.db_path = tmp / "data" / "drill.db"
        if users:
            prepare_database(self.config_path, {"stp": (PASSWORD, "officer", "STP"), "ca": (PASSWORD, "officer", "CA"),
                                                "sup": (PASSWORD, "supervisor")})
        self.server = LiveServer(self.config_path, self.port, env=env)
        self.url = self.server.url
        self.tokens: dict[str, str] = {}

    def start(self) -> "Center":
        self.server.start(timeout=30)
        return self

    def login(self) -> None:
        for name in ("stp", "ca", "sup"):
            r = requests.post(self.url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=15)
            assert r.status_code == 200, r.text
            self.tokens[name] = r.json()["access_token"]

    def staff(self, name: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def officer_of(self, desk: int) -> dict:
        return self.staff("ca" if desk == 3 else "stp")

    def issue(self, service: str = "STP-LLTP", kiosk: int = 1) -> dict:
        r = requests.post(self.url + "/api/v1/tickets", json={"service": service},
                          headers={"Authorization": f"Bearer {kiosk_token(kiosk)}"}, timeout=15)
        assert r.status_code == 201, r.text
        return r.json()["ticket"]

    def desk(self, number: int, action: str = "next") -> dict | None:
        r = requests.post(f"{self.url}/api/v1/desks/{number}/{action}", headers=self.officer_of(number), timeout=15)
        assert r.status_code == 200, r.text
        return r.json().get("ticket")

    def db(self, sql: str, *args) -> list[tuple]:
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def truth(self) -> dict:
        """The server's state now, as a screen connecting now is given it, checked against the REST API."""
        snap = one_snapshot(self.url, HALL)
        view = screen_view(snap)
        queues = requests.get(self.url + "/api/v1/queues", timeout=15).json()["services"]
        assert sorted((q["code"], q["waiting"]) for q in queues) == view["queues"]
        for number, _state, code, status in view["desks"]:
            desk = requests.get(f"{self.url}/api/v1/desks/{number}", headers=self.staff("sup"), timeout=15).json()["desk"]
            current = desk.get("current_ticket")
            assert ((current["code"], current["status"]) if current else (None, None)) == (code, status), (desk, view)
        return view

    def stop(self) -> None:
        self.server.stop()


def screen_view(snap: dict) -> dict:
    """What a hall screen shows of a ``snapshot``: the calls, the waiting counts, the desks."""
    return {
        "calls": [(c["ticket"]["code"], c["desk"]["number"], c["recall"]) for c in snap["calls"]],
        "queues": sorted((q["code"], q["waiting"]) for q in snap["queues"]),
        "desks": [(d["number"], d["state"], (d["current"] or {}).get("code"), (d["current"] or {}).get("status"))
                  for d in snap["desks"]],
    }


def one_snapshot(url: str, token: str) -> dict:
    got: list[dict] = []
    done = threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("snapshot")
    def _snap(data=None):
        got.append(data)
        done.set()

    client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=15)
    try:
        assert done.wait(15), "no snapshot on connect"
        return got[0]
    finally:
        client.disconnect()


class Screen(Recorder):
    """A python-socketio display that reconnects by itself as the hall page does, and writes down
    every event with the time it arrived (and its connects and disconnects)."""

    def __init__(self, url: str, token: str = HALL, name: str = "screen"):
        # The hall page waits 1 s, 2 s, 2 s, ... (socket.io-client caps the delay after its jitter);
        # python-socketio adds the jitter after the cap, so 1.5 s ± 1/3 gives the same 1–2 s.
        super().__init__(url, token, name=name, reconnection=True, reconnection_attempts=0, reconnection_delay=1,
                         reconnection_delay_max=1.5, randomization_factor=1 / 3)

    def connect(self) -> "Screen":
        super().connect(wait_timeout=15)
        self.wait_for(lambda s: s.of("snapshot"), 15, "first snapshot")
        return self


def eventually(fn, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {result!r})")
        time.sleep(interval)


# ---- a print agent process --------------------------------------------------------------------
class AgentProcess:
    """``hangdoi kiosk`` as its own process, stopped by its pid."""

    def __init__(self, url: str, kiosk: int, spec: str, log_path: Path, status_interval: float = 1.0):
        self.log_path = log_path
        log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "kiosk", "--server", url, "--token", kiosk_token(kiosk),
             "--printer", spec, "--status-interval", str(status_interval)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


TICKET_LINK = re.compile(rb"/t/(\d+)\?t=")


def printed_ticket_ids(printer: PrinterStandIn) -> list[int]:
    """The ticket of every job the printer got (the QR code's link, sent as native QR data)."""
    with printer._cond:
        jobs = list(printer.jobs)
    ids = []
    for job in jobs:
        m = TICKET_LINK.search(job)
        assert m, f"a printed job without a ticket link: {job[:80]!r}"
        ids.append(int(m.group(1)))
    return ids


def agent_connected(center: Center, kiosk: str = "kiosk-1") -> bool:
    try:
        r = requests.get(center.url + "/api/v1/supervision/overview", headers=center.staff("sup"), timeout=2)
    except requests.RequestException:
        return False
    if r.status_code != 200:
        return False
    return any(k["id"] == kiosk and k["connected"] for k in r.json()["devices"]["kiosks"])


# ==============================================================================================
# 1. kill -9 of the server at random moments of a burst
# ==============================================================================================
class Burst:
    """Kiosks issuing and desks calling from threads; they can be paused (while the server is down
    and the screens are compared) and resumed."""

    def __init__(self, center: Center):
        self.center = center
        self.acked: list[dict] = []           # tickets answered 201, with the kiosk
        self.calls: list[tuple[int, dict]] = []   # (desk, ticket) answered 200
        self.errors: list[str] = []
        self.run = threading.Event()
        self.stop = threading.Event()
        self.idle: list[threading.Event] = []
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def _worker(self, body, idle: threading.Event) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            if not self.run.is_set():
                idle.set()
                self.run.wait(0.1)
                continue
            idle.clear()
            try:
                body(session)
            except requests.RequestException:
                time.sleep(0.05)             # the server is down (or went down under this request)

    def _issuer(self, kiosk: int, service: str):
        headers = {"Authorization": f"Bearer {kiosk_token(kiosk)}"}

        def body(session):
            r = session.post(self.center.url + "/api/v1/tickets", json={"service": service}, headers=headers, timeout=10)
            if r.status_code == 201:
                with self.lock:
                    self.acked.append({**r.json()["ticket"], "kiosk": kiosk})
            else:
                self.errors.append(f"issue {r.status_code} {r.text[:200]}")
            time.sleep(random.uniform(0.03, 0.12))
        return body

    def _caller(self, desk: int):
        def body(session):
            r = session.post(f"{self.center.url}/api/v1/desks/{desk}/next", headers=self.center.officer_of(desk), timeout=10)
            if r.status_code == 200:
                if r.json()["ticket"] is not None:
                    with self.lock:
                        self.calls.append((desk, r.json()["ticket"]))
            else:
                self.errors.append(f"desk {desk} next {r.status_code} {r.text[:200]}")
            time.sleep(random.uniform(0.15, 0.4))
        return body

    def start(self) -> None:
        bodies = [self._issuer(1, "STP-LLTP"), self._issuer(1, "STP-HT"), self._issuer(1, "CA-CC"),
                  self._issuer(2, "STP-LLTP"), self._caller(1), self._caller(2), self._caller(3)]
        for body in bodies:
            idle = threading.Event()
            self.idle.append(idle)
            t = threading.Thread(target=self._worker, args=(body, idle), daemon=True)
            self.threads.append(t)
            t.start()
        self.run.set()

    def pause(self) -> None:
        self.run.clear()
        for idle in self.idle:
            assert idle.wait(30), "a worker did not come back from its request"

    def resume(self) -> None:
        self.run.set()

    def end(self) -> None:
        self.stop.set()
        self.run.set()
        for t in self.threads:
            t.join(30)


DOWN_S = (0.0, 0.0, 8.0)      # how long the server stays dead after each kill: the clients' back-off grows


def test_drill_kill_9_during_a_burst(tmp_path):
    """Three kill -9 of the server at random moments while four kiosks' worth of issuing and three
    desks call; the server is started again on the same port each time, the last time after 8 s
    (by then a back-off without a low cap would wait far longer than 5 s). Every ticket answered 201
    is in the database afterwards with its code, no code is given twice in the day, no answered
    call is undone; every screen reconnects by itself and holds the server's exact state within
    5 s of the restart; the print agent (a real ``hangdoi kiosk`` process) is back within 5 s and
    prints every answered ticket of its kiosk exactly once.

    Exactly once, not merely at least once: the agent process outlives the server, and it
    remembers the jobs it answered, so a job printed just before a kill whose acknowledgement died
    with the server is sent again on reconnect and only acknowledged again, not printed. (Were the
    agent to die too, such a job would print twice: at-least-once is the floor, by design.)
    Tickets the server committed but whose 201 was lost in the kill are printed too (the kiosk
    showed an error; the visitor may hold one ticket more): they are counted, never reused."""
    rng = random.Random(os.getpid())
    center = Center(tmp_path).start()
    center.login()
    printer = PrinterStandIn()
    agent = AgentProcess(center.url, 1, printer.spec, tmp_path / "agent.log")
    screens = [Screen(center.url, HALL, f"hall-{i}") for i in range(3)] + [Screen(center.url, "drill-desk-token-1", "desk-1")]
    burst = Burst(center)
    restarts: list[dict] = []
    try:
        eventually(lambda: agent_connected(center), 20, what="the print agent")
        for screen in screens:
            screen.connect()
        burst.start()
        for cycle in range(3):
            before = len(burst.acked)
            time.sleep(rng.uniform(1.5, 4.0))
            eventually(lambda: len(burst.acked) > before + 5, 20, what="tickets issued in this cycle")
            killed = time.monotonic()
            center.server.kill9()                                   # requests are in flight
            burst.pause()
            for screen in screens:
                screen.wait_for(lambda s=screen: s.times("disconnect", killed), 10, "the cut")
            time.sleep(DOWN_S[cycle])          # the last time it stays down longer (a host rebooting)
            center.start()
            up = time.monotonic()
            record = {"cycle": cycle, "acked": len(burst.acked)}
            # screens: back by themselves, with the exact current state, within 5 s
            truth = center.truth()
            for screen in screens:
                snap = screen.wait_for(lambda s=screen: s.of("snapshot", killed),
                                       max(0.01, up + RESYNC_S - time.monotonic()),
                                       f"a snapshot within {RESYNC_S}s of restart {cycle}")
                record[screen.name] = round(screen.times("snapshot", killed)[0] - up, 2)
                assert screen_view(snap[-1]) == truth, f"{screen.name} after restart {cycle}"
            # the print agent: back within 5 s
            eventually(lambda: agent_connected(center), max(0.5, up + RESYNC_S - time.monotonic()), 0.05,
                       f"the print agent back within {RESYNC_S}s of restart {cycle}")
            record["agent"] = round(time.monotonic() - up, 2)
            restarts.append(record)
            burst.resume()
        time.sleep(1.0)
        burst.end()
        assert len(burst.acked) >= 50 and len(burst.calls) >= 10, (len(burst.acked), len(burst.calls))
        assert burst.errors == []                       # a server that answers, answers right: no 4xx, no 5xx

        # every ticket answered 201 is there, with its code; no code twice in a day
        rows = {r[0]: r[1:] for r in center.db("SELECT id, code, day, status FROM tickets")}
        for t in burst.acked:
            assert t["id"] in rows and rows[t["id"]][0] == t["code"], t
        # (a day, not the run: the drill may pass local midnight, when the numbers start again)
        assert len({(rows[t["id"]][1], t["code"]) for t in burst.acked}) == len(burst.acked)
        assert center.db("SELECT day, code, COUNT(*) FROM tickets GROUP BY day, code HAVING COUNT(*) > 1") == []
        # numbers are given in order, none twice, none skipped (the database is the one truth)
        for (day,), prefix in itertools.product(center.db("SELECT DISTINCT day FROM tickets"), "ABC"):
            numbers = sorted(int(r[0][1:]) for r in center.db(
                "SELECT code FROM tickets WHERE day = ? AND code LIKE ?", day, prefix + "%"))
            assert numbers == list(range(1, len(numbers) + 1)), (day, prefix)
        # every call answered 200 stays made, and no ticket was called twice
        called = [t["id"] for _, t in burst.calls]
        assert len(set(called)) == len(called)
        for desk, t in burst.calls:
            assert rows[t["id"]][2] != "waiting", (desk, t)
        # no answered call was lost for the hall: each came live or in the snapshot after a restart
        truth = center.truth()
        for screen in screens:
            assert screen.sio.connected
            shown = [t["code"] for desk, t in burst.calls if screen.token == HALL or desk == 1]

            def missing(screen=screen, shown=shown):
                seen = {c["ticket"]["code"] for c in screen.of("call")} | \
                       {c["ticket"]["code"] for snap in screen.of("snapshot") for c in snap["calls"]}
                return [code for code in shown if code not in seen]

            screen.wait_for(lambda _: not missing(), 10, f"every answered call (missing: {missing()})")
        # every ticket of kiosk-1 answered 201 is printed, each exactly once
        mine = {t["id"] for t in burst.acked if t["kiosk"] == 1}
        eventually(lambda: mine <= set(printed_ticket_ids(printer)), 60, 0.25, "every acknowledged ticket printed")
        time.sleep(1.0)
        ids = printed_ticket_ids(printer)
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        assert not dupes, f"printed twice: {dupes}"
        kiosk1 = {r[0] for r in center.db("SELECT ticket FROM print_jobs WHERE kiosk = 'kiosk-1'")}
        assert set(ids) <= kiosk1
        print("restarts:", restarts, "issued:", len(burst.acked), "calls:", len(burst.calls),
              "printed:", len(ids), "committed without 201:", len(rows) - len(burst.acked))
        assert "Traceback" not in center.server.log()
        assert truth == screen_view(one_snapshot(center.url, HALL))
    finally:
        burst.end()
        for screen in screens:
            screen.close()
        agent.stop()
        center.stop()
        printer.close()


# ==============================================================================================
# 2. the printer disappears and comes back mid-service
# ==============================================================================================
def test_drill_printer_switched_off_and_on(tmp_path):
    """A kiosk's network printer is switched off twice during service, with a real server, a real
    ``hangdoi kiosk`` process, the kiosk's screen and a supervisor's page connected. Issuing never
    stops. During a short outage the jobs wait and print when the printer is back; during one
    longer than ``printing.max_delay_s`` they expire and are never printed late. Supervisors see the
    printer go offline and come back online; the kiosk screen learns the fate of every ticket; no
    ticket is printed twice."""
    max_delay = 6
    center = Center(tmp_path, max_delay_s=max_delay).start()
    center.login()
    printer = PrinterStandIn()
    agent = AgentProcess(center.url, 1, printer.spec, tmp_path / "agent.log", status_interval=0.3)
    supervisor = Screen(center.url, center.tokens["sup"], "supervisor")
    kiosk_screen = Screen(center.url, kiosk_token(1), "kiosk-1 screen")

    def job(ticket):
        return center.db("SELECT status FROM print_jobs WHERE ticket = ?", ticket["id"])[0][0]

    def printer_states():
        return [d["state"] for d in supervisor.of("device_state") if d["device"] == "kiosk-1"]

    def print_status(ticket):
        return [p["status"] for p in kiosk_screen.of("print_status") if p["ticket"] == ticket["id"]]

    try:
        supervisor.connect()
        kiosk_screen.connect()
        eventually(lambda: agent_connected(center), 20, what="the print agent")
        t0 = center.issue()
        eventually(lambda: job(t0) == "printed", 15, what="the first ticket printed")
        eventually(lambda: printer_states()[-1:] == ["online"], 15, what="supervisors told: online")

        # -- a short outage: the jobs wait for the printer
        printer.refuse()
        off = time.monotonic()
        t1, t2 = center.issue(), center.issue("STP-HT")
        eventually(lambda: printer_states()[-1:] == ["offline"], 10, what="supervisors told: offline")
        eventually(lambda: kiosk_screen.of("printer_state")[-1]["state"] == "offline", 10, what="the kiosk told")
        eventually(lambda: [job(t1), job(t2)] == ["sent", "sent"], 5, what="the jobs handed to the agent")
        time.sleep(0.8)                                           # tried meanwhile (every 0.3 s) ...
        assert [job(t1), job(t2)] == ["sent", "sent"]          # ... and held by the agent, not failed
        assert len(printer.jobs) == 1
        time.sleep(max(0.0, 2.0 - (time.monotonic() - off)))
        printer.listen()                                          # switched on again
        eventually(lambda: [job(t1), job(t2)] == ["printed", "printed"], max_delay, what="held jobs printed")
        assert time.monotonic() - off < max_delay
        eventually(lambda: printer_states()[-1:] == ["online"], 10, what="supervisors told: online again")
        assert printed_ticket_ids(printer) == [t0["id"], t1["id"], t2["id"]]   # in order, once each
        eventually(lambda: print_status(t1) == ["printed"] and print_status(t2) == ["printed"], 10,
                   what="the kiosk screen told")

        # -- a long outage: what waited longer than max_delay_s is never printed late
        printer.refuse()
        t3 = center.issue()
        eventually(lambda: printer_states()[-1:] == ["offline"], 10, what="supervisors told: offline")
        time.sleep(max_delay + 1.5)
        printer.listen()
        eventually(lambda: job(t3) == "expired", 20, what="the stale job expired")
        t4 = center.issue()
        eventually(lambda: job(t4) == "printed", 15, what="a fresh ticket printed")
        eventually(lambda: printer_states()[-1:] == ["online"], 10, what="supervisors told: online again")
        eventually(lambda: print_status(t3) == ["expired"], 10, what="the kiosk screen told: expired")
        time.sleep(1.0)
        assert printed_ticket_ids(printer) == [t0["id"], t1["id"], t2["id"], t4["id"]]
        states = printer_states()
        assert states.count("offline") >= 2 and states[-1] == "online", states
        assert agent.proc.poll() is None and "Traceback" not in agent.log() + center.server.log()
    finally:
        supervisor.close()
        kiosk_screen.close()
        agent.stop()
        center.stop()
        printer.close()


# ==============================================================================================
# 3. a hall screen's network is cut for 30 s
# ==============================================================================================
class CableProxy:
    """A TCP forwarder between a screen and the server that can stop forwarding without closing
    anything, as a pulled cable does: bytes wait in the kernels' buffers, new connections wait in
    the listen backlog, nobody is told. ``restore()`` plugs the cable back in."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.flowing.clear()

    def restore(self) -> None:
        self.flowing.set()

    def _accept(self) -> None:
        while not self.closed.is_set():
            self.flowing.wait(0.2)
            if not self.flowing.is_set():
                continue
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if not ready or not self.flowing.is_set():
                continue
            try:
                client, _ = self.sock.accept()
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                continue
            upstream.settimeout(None)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while not self.closed.is_set():
                if not self.flowing.is_set():
                    self.flowing.wait(0.2)
                    continue
                ready, _, _ = select.select([src], [], [], 0.1)
                if not ready or not self.flowing.is_set():
                    continue
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
        except OSError:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.closed.set()
        self.flowing.set()
        for s in [self.sock] + self.conns:
            try:
                s.close()
            except OSError:
                pass


def test_drill_hall_screen_network_cut_for_30_s(tmp_path):
    """A hall screen's cable is pulled for 30 s while the desks keep calling. The server's
    Socket.IO heartbeat (``ping_interval`` 10 s + ``ping_timeout`` 10 s, server/web/realtime.py)
    lets the screen notice within 10–20 s (the default 25 + 20 s would not notice a 30 s cut at
    all); it then retries as the hall page does (1 s doubling to 3 s). Within 5 s of the cable
    coming back it holds the server's exact state, calls made during the cut included."""
    center = Center(tmp_path).start()
    center.login()
    proxy = CableProxy(center.port)
    screen = Screen(proxy.url, HALL, "hall behind the cable")
    try:
        for service in ("STP-LLTP", "STP-HT", "CA-CC", "STP-LLTP", "CA-CC", "STP-HT", "STP-LLTP"):
            center.issue(service)
        screen.connect()
        first = center.desk(1)
        screen.wait_for(lambda s: [c for c in s.of("call") if c["ticket"]["code"] == first["code"]], 10, "a call")
        proxy.cut()
        cut = time.monotonic()
        during = []
        for at, desk in ((2, 2), (9, 3), (17, 1), (24, 3)):
            time.sleep(max(0.0, cut + at - time.monotonic()))
            during.append(center.desk(desk)["code"])
        center.issue("CA-CC")
        center.desk(2, "start")
        lost = screen.wait_for(lambda s: s.times("disconnect", cut), 28 - (time.monotonic() - cut),
                               "the screen noticing the cut")[0]
        assert lost - cut <= 25, f"noticed after {lost - cut:.1f}s"
        assert not [c for c in screen.of("call", cut) if c["ticket"]["code"] in during]   # the cable was out
        time.sleep(max(0.0, cut + 30 - time.monotonic()))
        truth = center.truth()
        proxy.restore()
        back = time.monotonic()
        snap = screen.wait_for(lambda s: s.of("snapshot", back), RESYNC_S, "a fresh snapshot within 5 s")
        resynced = screen.times("snapshot", back)[0] - back
        view = screen_view(snap[-1])
        assert view == truth
        assert [code for code, _, _ in view["calls"][:len(during)]] == during[::-1]   # the cut's calls, newest first
        print(f"cut noticed after {lost - cut:.1f}s; in sync {resynced:.2f}s after the cable came back")
        # ... and it follows the next call live
        nxt = center.desk(1)
        screen.wait_for(lambda s: [c for c in s.of("call", back) if c["ticket"]["code"] == nxt["code"]], 10, "a live call")
    finally:
        screen.close()
        proxy.close()
        center.stop()


# ==============================================================================================
# 4. the disk full, the database read-only
# ==============================================================================================
def test_drill_disk_full_then_space_returns(tmp_path):
    """The disk fills up under a running server (``RLIMIT_FSIZE`` set on the server's process just
    above the database's size: Python ignores SIGXFSZ, so writes fail with EFBIG as on a full disk).
    Issuing answers 503 ``storage_unavailable`` with a Vietnamese and English sentence — not a 500,
    not a hang; reading goes on; the server keeps running. When space returns issuing works again,
    the database passes ``PRAGMA integrity_check``, no answered ticket is lost and the numbers go on
    without a gap or a repeat; through a kill -9 too."""
    center = Center(tmp_path).start()
    center.login()
    issued = [center.issue() for _ in range(8)]
    called = center.desk(1)
    screen = Screen(center.url, HALL, "hall").connect()
    try:
        with sqlite3.connect(center.db_path, timeout=10) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        limit = center.db_path.stat().st_size + 8192
        resource.prlimit(center.server.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

        kiosk = {"Authorization": f"Bearer {kiosk_token(1)}"}
        answers = []
        for _ in range(300):
            started = time.monotonic()
            r = requests.post(center.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=kiosk, timeout=15)
            assert time.monotonic() - started < 10, "issuing hung on a full disk"
            answers.append(r)
            if r.status_code == 503:
                break
        assert answers[-1].status_code == 503, "the disk never filled"
        issued += [r.json()["ticket"] for r in answers if r.status_code == 201]
        assert all(r.status_code in (201, 503) for r in answers)
        more = [requests.post(center.url + "/api/v1/tickets", json={"service": "STP-HT"}, headers=kiosk, timeout=15)
                for _ in range(5)]
        assert all(r.status_code in (201, 503) for r in more), [r.status_code for r in more]
        issued += [r.json()["ticket"] for r in more if r.status_code == 201]
        full = [r for r in answers + more if r.status_code == 503]
        for r in full:
            error = r.json()["error"]
            assert set(r.json()) == {"error"} and error["code"] == "storage_unavailable"
            assert "đĩa đầy" in error["message"] and "disk full" in error["message"]
        r = requests.post(center.url + "/api/v1/desks/2/next", headers=center.officer_of(2), timeout=15)
        assert r.status_code in (200, 503), r.text
        if r.status_code == 200:
            called = r.json()["ticket"] or called

        # reading goes on; the server runs
        assert requests.get(center.url + "/api/v1/health", timeout=10).status_code == 200
        waiting = {q["code"]: q["waiting"] for q in requests.get(center.url + "/api/v1/queues", timeout=10).json()["services"]}
        t = issued[-1]
        r = requests.get(f"{center.url}/api/v1/tickets/{t['id']}", params={"t": t["status_url"].split("?t=")[1]}, timeout=10)
        assert r.status_code == 200 and r.json()["ticket"]["code"] == t["code"]
        late = one_snapshot(center.url, HALL)                      # a screen may still connect
        assert screen_view(late)["queues"] == sorted(waiting.items())
        assert center.server.proc.poll() is None

        # space returns
        resource.prlimit(center.server.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        after = [center.issue(), center.issue("STP-HT"), center.issue()]
        issued += after
        nxt = center.desk(1)
        assert nxt is not None
        screen.wait_for(lambda s: [c for c in s.of("call") if c["ticket"]["code"] == nxt["code"]], 10,
                        "calls reach screens again")
        assert center.db("PRAGMA integrity_check") == [("ok",)]

        rows = {r[0]: r[1] for r in center.db("SELECT id, code FROM tickets")}
        assert {t["id"]: t["code"] for t in issued} == rows          # none lost, none made by a 503
        for prefix in "AB":
            numbers = sorted(int(c[1:]) for c in rows.values() if c.startswith(prefix))
            assert numbers == list(range(1, len(numbers) + 1)), (prefix, numbers)

        center.server.kill9()                                        # and through a crash
        assert center.db("PRAGMA integrity_check") == [("ok",)]
        center.start()
        assert {r[0]: r[1] for r in center.db("SELECT id, code FROM tickets")} == rows
        again = center.issue()
        assert again["code"] == f"A{max(int(c[1:]) for c in rows.values() if c[0] == 'A') + 1:03d}"
        assert "Traceback" not in center.server.log()
        assert called is not None
    finally:
        screen.close()
        center.stop()


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _without_root_file_powers() -> None:
    """In the server's child process, before exec: drop root's right to ignore file permissions
    (from the bounding set, so it does not come back on exec), so that chmod binds root too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop_capabilities() -> bool:
    """Whether this process may drop capabilities from its bounding set (CAP_SETPCAP, bit 8)."""
    try:
        with open("/proc/self/status") as status:
            caps = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        return False
    return bool(caps & (1 << 8))


@pytest.mark.parametrize("what", ["files", "folder"])
def test_drill_read_only_database(tmp_path, what):
    """The database (its files, or its folder) made read-only: the server refuses to start with one
    clear line and exit status 2 — no traceback, nothing changed — and starts normally, with every
    ticket there, once it is writable again.

    Tests run as root in CI, and root ignores chmod: the server is then started without the
    CAP_DAC_OVERRIDE capability (dropped from its bounding set before exec), so the permissions
    bind it as any other user. A database turning read-only *under* a running server (a remount)
    needs privileges a test does not have; it fails writes the same way as the full disk above
    (sqlite3.OperationalError → 503 storage_unavailable)."""
    if os.geteuid() == 0 and not _can_drop_capabilities():
        pytest.skip("running as root without CAP_SETPCAP: root ignores chmod and cannot give that up here")
    center = Center(tmp_path, users=False).start()
    first = center.issue()
    center.stop()
    folder = center.db_path.parent
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    if what == "files":
        for p in folder.iterdir():
            if p.is_file():
                p.chmod(0o444)
    else:
        folder.chmod(0o555)
    def database_files():                       # the lock file beside them is no part of the data
        return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".lock"}

    before = database_files()
    try:
        refused = LiveServer(center.config_path, center.port, preexec_fn=_without_root_file_powers if os.geteuid() == 0 else None,
                             log_path=tmp_path / "refused.log")
        with pytest.raises(RuntimeError, match="server exited with 2"):
            refused.start(timeout=30)
        lines = [line for line in refused.log().splitlines() if " ERROR " in line]
        assert len(lines) == 1 and "Traceback" not in refused.log(), refused.log()
        assert str(center.db_path) in lines[0] and ("Permission denied" in lines[0] or "readonly" in lines[0]), lines
        assert database_files() == before
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    center.start()
    try:
        r = requests.get(f"{center.url}/api/v1/tickets/{first['id']}", params={"t": first["status_url"].split("?t=")[1]},
                         timeout=10)
        assert r.status_code == 200 and r.json()["ticket"]["code"] == "A001"
        assert center.issue()["code"] == "A002"
    finally:
        center.stop()


# ==============================================================================================
# 5. the clock passes midnight during service
# ==============================================================================================
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def test_drill_midnight_during_service(tmp_path):
    """The real server runs under libfaketime, started 20 s before local midnight (Asia/Ho_Chi_Minh),
    with tickets waiting, one called and one being served. At midnight, by itself: every ticket
    left from the day before is closed as cancelled (README, "End of day": waiting, called and
    serving alike, event ``closed_end_of_day``) and the desks are signed out; hall screens get the
    empty queues and the closed desks pushed, and a screen connecting after midnight starts from a
    clean day; the day's numbers restart at 001 and nothing crashes."""
    if not LIBFAKETIME.exists():
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    midnight = datetime(2026, 11, 24, tzinfo=TZ)
    screen = None
    for lead in (20, 60):            # the server's clock starts with its process: a slow start eats the lead
        start = midnight - timedelta(seconds=lead)
        env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": "@" + start.strftime("%Y-%m-%d %H:%M:%S"),
               "TZ": "Asia/Ho_Chi_Minh", "FAKETIME_DONT_RESET": "1"}
        (tmp_path / f"lead-{lead}").mkdir()
        center = Center(tmp_path / f"lead-{lead}", env=env).start()
        center.login()
        a1 = center.issue()
        fake_now = datetime.fromisoformat(a1["issued_at"])
        offset = fake_now.timestamp() - time.time()               # the server's clock minus ours
        assert fake_now.date().isoformat() == "2026-11-23", f"libfaketime did not take: {a1['issued_at']}"
        if (midnight - fake_now).total_seconds() >= 8:
            break
        center.stop()                                             # too close to midnight already: again
    else:
        pytest.fail(f"the server took too long to start: its clock said {fake_now} when it answered")
    try:
        a2, a3, c1 = center.issue(), center.issue("STP-HT"), center.issue("CA-CC")
        a4 = center.issue()
        assert [a1["code"], a2["code"], a3["code"], c1["code"], a4["code"]] == ["A001", "A002", "B001", "C001", "A003"]
        serving = center.desk(1)
        center.desk(1, "start")
        called = center.desk(2)
        assert (serving["code"], called["code"]) == ("A001", "A002")
        screen = Screen(center.url, HALL, "hall").connect()
        before = screen_view(screen.of("snapshot")[-1])
        assert before["queues"] == [("CA-CC", 1), ("STP-HT", 1), ("STP-LLTP", 1)]
        assert datetime.fromtimestamp(time.time() + offset, TZ) < midnight, "set-up ran past midnight"

        # local midnight passes (``issued_at`` has whole seconds: our estimate of it is a second wide)
        passed = time.monotonic()
        time.sleep(max(0.0, midnight.timestamp() - offset - time.time()))
        screen.wait_for(lambda s: [q for q in s.of("queues", passed)
                                 if all(s["waiting"] == 0 for s in q["services"])], 10, "empty queues pushed")

        def closed_desks(s):
            rows = {d["number"]: d for m in s.of("desks", passed) for d in m["desks"]}
            return all(n in rows and rows[n]["state"] == "closed" and rows[n]["current"] is None for n in (1, 2))

        screen.wait_for(closed_desks, 10, "closed desks pushed")

        statuses = dict(center.db("SELECT code, status FROM tickets WHERE day = '2026-11-23'"))
        assert statuses == {"A001": "cancelled", "A002": "cancelled", "B001": "cancelled", "C001": "cancelled",
                            "A003": "cancelled"}, statuses
        closes = dict(center.db("SELECT json_extract(data, '$.code'), json_extract(data, '$.from_status') "
                                "FROM events WHERE type = 'closed_end_of_day'"))
        assert closes == {"A001": "serving", "A002": "called", "B001": "waiting", "C001": "waiting", "A003": "waiting"}

        # a new day: a clean screen, numbers from 001 again, the desks work
        fresh = screen_view(one_snapshot(center.url, HALL))
        assert fresh["calls"] == [] and all(w == 0 for _, w in fresh["queues"])
        assert all(state == "closed" and code is None for _, state, code, _ in fresh["desks"])
        new = center.issue()
        assert new["code"] == "A001" and new["issued_at"].startswith("2026-11-24"), new
        assert center.issue("CA-CC")["code"] == "C001"
        again = center.desk(1)
        assert again["code"] == "A001" and again["id"] == new["id"]
        screen.wait_for(lambda s: [c for c in s.of("call", passed) if c["ticket"]["id"] == new["id"]], 10,
                        "the new day's first call on the hall")
        assert center.server.proc.poll() is None
        assert requests.get(center.url + "/api/v1/health", timeout=10).status_code == 200
        assert "Traceback" not in center.server.log()
    finally:
        if screen is not None:
            screen.close()
        center.stop()
