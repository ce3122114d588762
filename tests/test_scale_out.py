"""Scale-out: two real ``hangdoi serve`` processes on one database with ``[server] message_queue``
pointing at a real ``redis-server`` (Debian's, started here on a free port). A call made through
one process reaches the screens and phones connected to the other, exactly once; a kiosk's ticket
issued through one is printed by the agent connected to the other; a retry of the same ticket
request on the other process gets the first answer; a server without the message queue is refused
while they run (and the other way round); when one process dies its clients reconnect, through a
small proxy standing in for the load balancer, to the survivor."""
from __future__ import annotations

import functools
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.centers import STP_LLTP_ONLY, center_toml, desk, hall_display, kiosk
from tests import live_server
from tests.live_server import ROOT, LiveServer, free_port, prepare_database, write_config
from tests.socket_recorder import Recorder
from tests.test_realtime import secret_of

pytestmark = pytest.mark.slow

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "mat-khau-scale"
KIOSK_TOKEN = "kiosk-token-scale"
KIOSK = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
HALL = "hall-token-scale"
SPEAKING_HALL = "hall-speaking-token-scale"

CONFIG = center_toml(
    "data/scale.db", name="Trung tâm thử nhiều tiến trình", server={"message_queue": "{QUEUE}"},
    limits={"kiosk_tickets_per_minute": 0}, announce={"repeat": 0},
    agencies=[STP_LLTP_ONLY], desks=[desk(1, "STP", "STP-LLTP"), desk(2, "STP", "STP-LLTP")],
    kiosks=[kiosk("kiosk-1", KIOSK_TOKEN)],
    displays=[hall_display("hall-1", HALL, audio=False), hall_display("hall-2", SPEAKING_HALL, audio=True)])


# ---- redis and the two processes ----------------------------------------------------------------
@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A real redis-server: ``(TCP URL, unix socket URL)``."""
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed (Debian package redis-server; scripts/install.sh --test)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder),
                             "--unixsocket", str(folder / "redis.sock"), "--unixsocketperm", "700"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", f"unix://{folder / 'redis.sock'}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def redis_url(redis):
    return redis[0]


def make_config(folder: Path, queue: str) -> Path:
    return write_config(folder, CONFIG.replace("{QUEUE}", queue), free_port())


def prepare(config_path: Path) -> None:
    prepare_database(config_path, {"stp": (PASSWORD, "officer", "STP"), "admin": (PASSWORD, "admin")})


@pytest.fixture(scope="module")
def pair(tmp_path_factory, redis_url):
    folder = tmp_path_factory.mktemp("scale")
    path = make_config(folder, redis_url)
    prepare(path)
    a = LiveServer(path, free_port(), log_path=folder / "a.log").start()
    b = LiveServer(path, free_port(), log_path=folder / "b.log").start()
    yield a, b
    a.stop()
    b.stop()


def login(server, name="stp") -> str:
    r = requests.post(server.url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=15)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def issue(server, headers=KIOSK) -> dict:
    r = requests.post(server.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers, timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def call_next(server, token: str, desk: int) -> dict:
    r = requests.post(f"{server.url}/api/v1/desks/{desk}/next", headers={"Authorization": f"Bearer {token}"},
                      timeout=15)
    assert r.status_code == 200, r.text
    return r.json()["ticket"]


def finish(server, token: str, desk: int) -> None:
    requests.post(f"{server.url}/api/v1/desks/{desk}/finish", headers={"Authorization": f"Bearer {token}"}, timeout=15)


def drain(server, token: str, desk: int) -> None:
    """Nobody waits any more (tests of one module share the queue)."""
    while call_next(server, token, desk) is not None:
        pass
    finish(server, token, desk)


def db_value(server, sql: str, *args):
    return live_server.db_value(server.config_path.parent / "data" / "scale.db", sql, *args)


eventually = functools.partial(live_server.eventually, timeout=8.0)


def run_serve(config_path: Path, port: int, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", "serve", "--config", str(config_path),
                           "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


# ---- calls ----------------------------------------------------------------------------------------
def test_a_call_through_one_process_reaches_screens_and_phones_on_the_other_exactly_once(pair):
    a, b = pair
    token = login(a)
    drain(a, token, 1)
    ticket = issue(a)
    hall_b = Recorder(b.url, HALL).connect()
    hall_a = Recorder(a.url, HALL).connect()
    phone_b = Recorder(b.url).connect()
    try:
        phone_b.sio.emit("follow", {"ticket": ticket["id"], "t": secret_of(ticket)})
        phone_b.wait_for(lambda r: r.of("ticket"))
        called = call_next(a, token, 1)
        assert called["code"] == ticket["code"]
        for screen in (hall_b, hall_a):
            call = screen.wait_count("call", 1)[0]
            assert call["ticket"]["code"] == ticket["code"] and call["desk"]["number"] == 1
            assert "?t=" not in call["ticket"]["status_url"]         # screens never get the secret
        call = phone_b.wait_count("call", 1)[0]
        assert call["ticket"]["id"] == ticket["id"] and "?t=" in call["ticket"]["status_url"]
        phone_b.wait_for(lambda r: any(t["ticket"]["status"] == "called" for t in r.of("ticket")))
        time.sleep(1.0)                                               # no second copy arrives late
        assert [c["ticket"]["code"] for c in hall_b.of("call")] == [ticket["code"]]
        assert [c["ticket"]["code"] for c in hall_a.of("call")] == [ticket["code"]]
        assert len(phone_b.of("call")) == 1
        assert hall_b.of("queues"), "waiting counts reach the other process's screens too"
    finally:
        for client in (hall_b, hall_a, phone_b):
            client.close()


def test_the_snapshot_on_one_process_shows_what_was_done_through_the_other(pair):
    a, b = pair
    token = login(a)
    drain(b, token, 2)
    ticket = issue(b)
    call_next(b, token, 2)
    late = Recorder(a.url, HALL).connect()
    try:
        snap = late.wait_count("snapshot", 1)[0]
        assert snap["calls"][0]["ticket"]["code"] == ticket["code"]
        desk = next(d for d in snap["desks"] if d["number"] == 2)
        assert json.dumps(desk, ensure_ascii=False).count(ticket["code"]) >= 1
    finally:
        late.close()


def test_the_voice_of_a_call_made_on_one_process_is_served_by_the_other(pair):
    a, b = pair
    token = login(a)
    drain(a, token, 1)
    speaker = Recorder(b.url, SPEAKING_HALL).connect()        # the speaking hall screen is on B
    try:
        ticket = issue(a)
        call_next(a, token, 1)
        call = speaker.wait_count("call", 1)[0]
        assert call["ticket"]["code"] == ticket["code"]
        path = "/audio/" + call["announcement"]["audio_url"].split("/audio/", 1)[1]
        r = requests.get(b.url + path, timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("audio/")
        assert r.content[:4] == b"RIFF" and len(r.content) > 10_000
    finally:
        speaker.close()


# ---- printing, presence, idempotency --------------------------------------------------------------
def test_a_ticket_issued_on_one_process_is_printed_by_the_agent_on_the_other(pair, tmp_path):
    from kiosk.agent import PrintAgent
    from kiosk.printer_spec import parse_printer_spec

    a, b = pair
    agent = PrintAgent(b.url, KIOSK_TOKEN, parse_printer_spec(f"preview:{tmp_path}"), status_interval_s=0.5,
                       heartbeat_s=5).start()
    try:
        # the agent is known on A (through B's presence row) before the ticket is issued there
        assert eventually(lambda: db_value(a, "SELECT state FROM device_states WHERE device = 'kiosk-1'"),
                          "online") == "online"
        admin = login(a, "admin")
        overview = lambda: requests.get(a.url + "/api/v1/supervision/overview",  # noqa: E731
                                        headers={"Authorization": f"Bearer {admin}"}, timeout=15).json()
        assert eventually(lambda: next(k["connected"] for k in overview()["devices"]["kiosks"]
                                       if k["id"] == "kiosk-1"), True) is True
        # the tickets of the tests before were waiting for an agent: it printed them on arrival
        assert eventually(lambda: db_value(a, "SELECT count(*) FROM print_jobs WHERE status IN ('pending', 'sent')"),
                          0) == 0
        before, printed_before = len(list(tmp_path.glob("*.png"))), agent.printed
        started = time.monotonic()
        ticket = issue(a)
        assert eventually(lambda: db_value(a, "SELECT status FROM print_jobs WHERE ticket = ?", ticket["id"]),
                          "printed") == "printed"
        assert time.monotonic() - started < 3, "handed over at once, not by the periodic sweep"
        assert eventually(lambda: len(list(tmp_path.glob("*.png"))), before + 1) == before + 1
        # A printer state asked for through A says the agent is there (it is connected to B)
        kiosk_screen = Recorder(a.url, KIOSK_TOKEN)
        states = []
        kiosk_screen.sio.on("printer_state", states.append)
        kiosk_screen.connect()
        try:
            kiosk_screen.sio.emit("kiosk_status")
            assert eventually(lambda: bool(states) and states[-1]["agent"], True) is True
            assert states[-1]["state"] != "offline"
        finally:
            kiosk_screen.close()
        time.sleep(3)                           # A's housekeeping never marks B's agent offline
        assert db_value(a, "SELECT state FROM device_states WHERE device = 'kiosk-1'") == "online"
        assert agent.printed == printed_before + 1
    finally:
        agent.close()


def test_a_retried_ticket_request_on_the_other_process_gets_the_first_answer(pair):
    a, b = pair
    headers = dict(KIOSK, **{"Idempotency-Key": "scale-retry-1"})
    first = requests.post(a.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers, timeout=15)
    assert first.status_code == 201
    again = requests.post(b.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers, timeout=15)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]


# ---- the lock: one kind of server at a time -------------------------------------------------------
def test_a_server_without_the_message_queue_is_refused_while_scale_out_servers_run(pair, tmp_path):
    a, _ = pair
    lone = tmp_path / "lone.toml"
    database = a.config_path.parent / "data" / "scale.db"
    lone.write_text(CONFIG.replace('message_queue = "{QUEUE}"\n', "")
                    .replace('database = "data/scale.db"', f'database = "{database}"')
                    .replace("{PORT}", str(free_port())), encoding="utf-8")
    r = run_serve(lone, free_port())
    assert r.returncode == 2, r.stderr
    assert "message_queue" in r.stderr and "scale-out" in r.stderr and "Traceback" not in r.stderr


def test_a_scale_out_server_is_refused_while_a_lone_server_runs(tmp_path, redis_url):
    lone_path = write_config(tmp_path, CONFIG.replace('message_queue = "{QUEUE}"\n', ""), free_port())
    prepare(lone_path)
    with LiveServer(lone_path, free_port()):
        scale = tmp_path / "scale.toml"
        scale.write_text(lone_path.read_text(encoding="utf-8").replace(
            'database = "data/scale.db"', f'database = "data/scale.db"\nmessage_queue = "{redis_url}"'),
            encoding="utf-8")
        r = run_serve(scale, free_port())
        assert r.returncode == 2, r.stderr
        assert "already running" in r.stderr and "without [server] message_queue" in r.stderr
        assert "Traceback" not in r.stderr


def test_an_unreachable_message_queue_is_refused_with_its_address(tmp_path):
    path = make_config(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    r = run_serve(path, free_port())
    assert r.returncode == 2 and "cannot reach the message queue" in r.stderr and "Traceback" not in r.stderr


def test_redis_on_a_local_socket(tmp_path, redis):
    path = make_config(tmp_path, redis[1])
    prepare(path)
    with LiveServer(path, free_port(), log_path=tmp_path / "a.log") as a, \
            LiveServer(path, free_port(), log_path=tmp_path / "b.log") as b:
        hall = Recorder(b.url, HALL).connect()
        try:
            ticket = issue(a)
            call_next(a, login(a), 1)
            assert hall.wait_count("call", 1)[0]["ticket"]["code"] == ticket["code"]
        finally:
            hall.close()


# ---- one process dies: the clients move to the survivor -------------------------------------------
class FailoverProxy:
    """A TCP proxy standing in for the load balancer: each connection goes to the first backend
    that accepts it (the first while it lives, then the second)."""

    def __init__(self, backends: list[int]):
        self.backends = backends
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        for port in self.backends:
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                continue
        else:
            client.close()
            return
        upstream.settimeout(None)
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._closed = True
        self.listener.close()


def test_when_one_process_dies_its_screens_reconnect_to_the_survivor(tmp_path, redis_url):
    path = make_config(tmp_path, redis_url)
    prepare(path)
    a = LiveServer(path, free_port(), log_path=tmp_path / "a.log").start()
    b = LiveServer(path, free_port(), log_path=tmp_path / "b.log").start()
    proxy = FailoverProxy([b.port, a.port])
    hall = Recorder(proxy.url, HALL, reconnect=True).connect()
    try:
        hall.wait_count("snapshot", 1)
        token = login(a)
        first = issue(a)
        call_next(a, token, 1)
        assert hall.wait_count("call", 1)[0]["ticket"]["code"] == first["code"]   # via B
        b.kill9()
        hall.wait_count("snapshot", 2, timeout=20)                               # reconnected, to A
        second = issue(a)
        call_next(a, token, 2)
        calls = hall.wait_count("call", 2)
        assert [c["ticket"]["code"] for c in calls] == [first["code"], second["code"]]
        assert requests.get(a.url + "/api/v1/health", timeout=5).status_code == 200
    finally:
        hall.close()
        proxy.close()
        a.stop()
        b.stop()
