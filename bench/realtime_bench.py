"""Benchmark of the realtime push: how long from an officer's HTTP "next" to the `call` event on
every connected screen and phone.

Starts the real ``hangdoi serve`` (gevent, one process) on a generated center with 50 desks in a
temporary folder, then:
  1. connects N Socket.IO clients (default 1,000; websocket transport; real python-socketio
     clients, run as greenlets in several client processes): half of them hall displays, which get
     every call, and half visitors' phones, each following one ticket that will be called;
  2. has the 50 desks call through HTTP (``POST /api/v1/desks/N/next``), each desk at its own
     random moments, ``--rate`` calls a second in all, for ``--seconds``;
  3. prints p50/p99/max of the delay from just before each HTTP call is sent to the `call` event
     at each client that should get it (every hall display, the ticket's followers), how many
     deliveries were missing, the HTTP latency of the calls, and the server's memory (VmRSS and
     peak VmHWM from /proc/PID/status).
Three runs, each on a fresh server, and the medians of their figures; loopback only, every loop
bounded; under two minutes with the defaults.

    python bench/realtime_bench.py [--clients 1000] [--rate 10] [--seconds 20] [--runs 3] [--processes 4]

``--followers N`` measures instead what the server computes for the followers of waiting tickets
after a call (issue 10): N tickets waiting in one service, every one followed; the time of one
round of ``Realtime.push_followers``' computation (``views.waiting_views``: one replay for all),
against ``ticket_view`` asked ticket by ticket (the naive way, timed on a sample). In-process, no
sockets; medians of 5 rounds.

    python bench/realtime_bench.py --followers 3000
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KIOSK_TOKEN = "bench-kiosk-token-0001"
HALL_TOKENS = [f"bench-hall-token-{i:04d}" for i in range(1, 5)]
PASSWORD = "bench-password-0001"
AGENCIES = 10
DESKS_PER_AGENCY = 5


def center_config(port: int) -> str:
    lines = ['[center]\nname = "Trung tâm đo thời gian thực"\ntimezone = "Asia/Ho_Chi_Minh"\n',
             f'[server]\nport = {port}\ndatabase = "data/realtime-bench.db"\n',
             '[limits]\nkiosk_tickets_per_minute = 0\n']          # one kiosk feeds 50 desks
    for a in range(AGENCIES):
        lines.append(f'[[agencies]]\ncode = "AG{a}"\nname = "Cơ quan {a + 1}"\n'
                     f'  [[agencies.services]]\n  code = "S{a}"\n  name = "Dịch vụ {a + 1}"\n  prefix = "{chr(65 + a)}"\n')
    for n in range(1, AGENCIES * DESKS_PER_AGENCY + 1):
        lines.append(f'[[desks]]\nnumber = {n}\nagency = "AG{(n - 1) // DESKS_PER_AGENCY}"\n'
                     f'services = ["S{(n - 1) // DESKS_PER_AGENCY}"]\n')
    lines.append(f'[[kiosks]]\nid = "kiosk-1"\ntoken = "{KIOSK_TOKEN}"\n')
    for i, token in enumerate(HALL_TOKENS):
        # The first hall display speaks: the server then makes each call's voice ahead, as in a real hall.
        lines.append(f'[[displays]]\nid = "hall-{i + 1}"\ntoken = "{token}"\nkind = "hall"\naudio = {str(i == 0).lower()}\n')
    return "\n".join(lines)


# ---- client processes -------------------------------------------------------------------------
# python-socketio's client spends ~270 µs of CPU per event (websocket-client reads each frame in
# three small recv() calls, then two layers of packet objects and a full json.loads). With 500 hall
# displays on the same 2-core machine as the server, that alone needs more CPU than there is, and
# the figures measure the clients' queue instead of the server. So the bench speaks the protocol
# itself (Engine.IO 4 / Socket.IO 5 over a plain RFC 6455 websocket, as socket.io-client 4 does):
# handshake, connect with {"token"}, answer pings, `follow`, and note the arrival time of every
# `call` frame before anything else; ~20 µs an event. tests/test_realtime.py uses the real
# python-socketio client for correctness; this is only the load.
class LeanClient:
    def __init__(self, host: str, port: int, spec: dict, received: list, loop):
        self.host, self.port, self.spec, self.received, self.loop = host, port, spec, received, loop
        self.buffer = bytearray()
        self.connected = loop.create_future()
        self.transport = None
        self.upgraded = False

    # asyncio.Protocol
    def connection_made(self, transport):
        import base64

        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                         f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                         f"Sec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data: bytes):
        now = time.time()
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._fail("no websocket upgrade: " + buf[:60].decode(errors="replace"))
                return
            del buf[:end + 4]
            self.upgraded = True
        while len(buf) >= 2:
            length, offset = buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + length:
                return
            opcode = buf[0] & 0x0F
            payload = bytes(buf[offset:offset + length])
            del buf[:offset + length]
            if opcode == 1:
                self._message(payload, now)
            elif opcode == 9:
                self._send(payload, opcode=10)
            elif opcode == 8:
                self.transport.close()

    def _message(self, text: bytes, now: float):
        if text.startswith(b'42["call"'):
            i = text.find(b'"code"', 9)
            start = text.index(b'"', text.index(b":", i) + 1) + 1
            self.received.append((self.spec["index"], text[start:text.index(b'"', start)].decode(), now))
        elif text == b"2":
            self._send(b"3")                                       # Engine.IO pong
        elif text.startswith(b"0{"):
            auth = {"token": self.spec["token"]} if self.spec.get("token") else None
            self._send(b"40" + (json.dumps(auth).encode() if auth else b""))
        elif text.startswith(b"40"):
            if self.spec.get("follow"):
                self._send(b'42["follow",' + json.dumps(self.spec["follow"]).encode() + b"]")
            if not self.connected.done():
                self.connected.set_result(True)
        elif text.startswith(b"44"):
            self._fail("refused: " + text.decode(errors="replace"))

    def _send(self, payload: bytes, opcode: int = 1):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + masked)

    def _fail(self, why: str):
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(why))
        self.transport.close()

    def connection_lost(self, exc):
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(f"connection lost: {exc}"))

    def eof_received(self):
        return False

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass


def client_process(url: str, specs: list[dict], conn, stop_event) -> None:
    """Run ``specs`` clients on one asyncio loop; report (client index, code, time) of every `call`."""
    import asyncio
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname, urlsplit(url).port

    async def run():
        loop = asyncio.get_running_loop()
        received: list[tuple[int, str, float]] = []
        transports, failures = [], 0
        gate = asyncio.Semaphore(50)

        async def start(spec):
            nonlocal failures
            async with gate:
                for attempt in range(3):
                    try:
                        transport, client = await loop.create_connection(
                            lambda: LeanClient(host, port, spec, received, loop), host, port)
                        await asyncio.wait_for(client.connected, 20)
                        transports.append(transport)
                        return
                    except (OSError, ConnectionError, asyncio.TimeoutError):
                        await asyncio.sleep(0.5 + attempt)
                failures += 1

        await asyncio.gather(*(start(spec) for spec in specs))
        conn.send((len(transports), failures))
        while not stop_event.is_set():
            await asyncio.sleep(0.1)
        conn.send(received)
        for transport in transports:
            transport.close()

    asyncio.run(run())


# ---- desks --------------------------------------------------------------------------------------
def desk_caller(url: str, token: str, desk: int, times: list[float], sent: dict, lock: threading.Lock,
                http_ms: list[float]) -> None:
    import requests

    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    for at in times:
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        t0 = time.time()
        r = session.post(f"{url}/api/v1/desks/{desk}/next", headers=headers, timeout=30)
        t1 = time.time()
        if r.status_code == 200 and r.json()["ticket"]:
            with lock:
                sent[r.json()["ticket"]["code"]] = t0
                http_ms.append((t1 - t0) * 1000)


def memory_of(pid: int) -> dict[str, float]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def add_load_options(parser: argparse.ArgumentParser, seconds: float) -> None:
    """The options of the load that ``measure_center`` puts on a center (scale_bench has them too)."""
    parser.add_argument("--hall-share", type=float, default=0.5, help="share of hall displays (the rest follow tickets)")
    parser.add_argument("--rate", type=float, default=10.0, help="calls a second, all 50 desks together")
    parser.add_argument("--seconds", type=float, default=seconds, help="how long the desks call")
    parser.add_argument("--processes", type=int, default=4, help="client processes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="Socket.IO clients in all (default 1000)")
    add_load_options(parser, seconds=20.0)
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh server; medians are printed")
    parser.add_argument("--json", action="store_true", help="also print the median figures as one JSON line")
    parser.add_argument("--followers", type=int, default=0,
                        help="only measure the followers' recomputation with this many waiting tickets")
    args = parser.parse_args()
    if args.followers:
        return followers_bench(args.followers)
    if not 1 <= args.clients <= 5000 or not 0 < args.rate <= 200 or not 1 <= args.seconds <= 120:
        parser.error("keep --clients 1..5000, --rate 0..200, --seconds 1..120")
    if not 1 <= args.runs <= 10:
        parser.error("keep --runs 1..10")
    runs = []
    for n in range(1, args.runs + 1):
        print(f"--- run {n} of {args.runs}", flush=True)
        runs.append(run_once(args))
    keys = ("p50_ms", "p99_ms", "max_ms", "missing", "wrong", "peak_rss_mb", "server_cpu_pct", "http_p50_ms",
            "http_p99_ms")
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    medians["clients"], medians["calls"] = runs[0]["clients"], runs[0]["calls"]
    print(f"=== median of {args.runs} runs: {medians['clients']} clients, {medians['calls']} calls a run: "
          f"delay p50 {medians['p50_ms']:.1f} ms, p99 {medians['p99_ms']:.1f} ms, max {medians['max_ms']:.1f} ms; "
          f"server peak memory {medians['peak_rss_mb']:.0f} MB, CPU {medians['server_cpu_pct']:.0f}% of a core; "
          f"missing {medians['missing']:g}, wrong {medians['wrong']:g}")
    ok = medians["p99_ms"] < 100 and medians["peak_rss_mb"] < 250 and not medians["missing"]
    print(f"targets p99 < 100 ms, < 250 MB: {'met' if ok else 'MISSED'}")
    if args.json:
        print(json.dumps(medians))
    return 0


def followers_bench(n: int) -> int:
    """Time ``waiting_views`` for ``n`` waiting tickets of one service against ticket_view one by one."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from server.clock import FixedClock
    from server.config import parse_config
    from server.rules import Actor, QueueService, RuleContext
    from server.rules.shapes import ticket_row, ticket_view, waiting_views
    from server.storage import Storage
    from server.storage.sync import sync_config

    if not 1 <= n <= 20000:
        print("keep --followers 1..20000")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="hangdoi-followers-"))
    try:
        config = parse_config({
            "center": {"name": "Bench", "timezone": "Asia/Ho_Chi_Minh"},
            "server": {"database": str(tmp / "f.db")},
            "agencies": [{"code": "CA", "name": "Công an", "services": [
                {"code": "CA-CC", "name": "Căn cước", "prefix": "C"}, {"code": "CA-XNC", "name": "Hộ chiếu", "prefix": "X"}]}],
            "desks": [{"number": i, "agency": "CA", "services": ["CA-CC", "CA-XNC"] if i % 2 else ["CA-CC"]}
                      for i in range(1, 9)],
            "kiosks": [{"id": "k", "token": "bench-kiosk-tok"}],
        }, tmp)
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
        clock = FixedClock(tz, datetime(2026, 11, 23, 8, 0, tzinfo=tz))
        storage = Storage(config.server.database)
        sync_config(storage, config)
        service = QueueService(storage, RuleContext(clock=clock, public_url="http://x"))
        kiosk = Actor(kind="device", role="kiosk", device="k", name="k")
        officer = Actor(kind="user", role="officer", agency="CA", name="o")
        rng = random.Random(1)
        for i in range(n + 60):
            service.issue(kiosk, "CA-CC" if rng.random() < 0.8 else "CA-XNC", "elderly" if rng.random() < 0.05 else None)
            clock.advance(2)
        for round_ in range(6):             # some history, desks busy
            for d in range(1, 9):
                service.call_next(officer, d)
            clock.advance(300)
        ctx = service.ctx
        batch, naive = [], []
        for _ in range(5):
            clock.advance(1)
            with storage.read() as db:
                t0 = time.perf_counter()
                views = waiting_views(db, ctx, {"CA-CC", "CA-XNC"})
                batch.append(time.perf_counter() - t0)
                ids = list(views)[:: max(1, len(views) // 100)]
                t0 = time.perf_counter()
                for i in ids:
                    ticket_view(db, ctx, ticket_row(db, i))
                naive.append((time.perf_counter() - t0) / len(ids) * len(views))
        print(f"{len(views)} waiting tickets followed (2 services sharing 8 desks): one round of the followers' "
              f"update {statistics.median(batch) * 1000:.0f} ms (median of 5); ticket by ticket it would take "
              f"{statistics.median(naive) * 1000:.0f} ms")
        storage.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def measure_center(args, clients: int, servers: int = 1, message_queue: str = "",
                   connect_timeout: float = 180) -> dict:
    """Fresh ``hangdoi serve`` process(es) on one database (several share it through
    ``message_queue``): connect ``clients`` split evenly over them, have the 50 desks call (desk N
    through process N mod k), and return what was sent, received and measured."""
    import requests

    from tests.live_server import LiveServer, free_port, prepare_database

    desks = AGENCIES * DESKS_PER_AGENCY
    per_desk = max(1, int(args.rate * args.seconds) // desks)
    tmp = Path(tempfile.mkdtemp(prefix="hangdoi-rtbench-"))
    text = center_config(free_port())
    if message_queue:
        text = text.replace('database = "data/realtime-bench.db"\n',
                            f'database = "data/realtime-bench.db"\nmessage_queue = "{message_queue}"\n')
    config_path = tmp / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    prepare_database(config_path, {"bench": (PASSWORD, "admin")})

    procs, live = [], []
    try:
        for k in range(servers):
            live.append(LiveServer(config_path, free_port(), log_path=tmp / f"server-{k}.log").start(timeout=30))
        urls = [s.url for s in live]
        token = requests.post(urls[0] + "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD},
                              timeout=10).json()["access_token"]
        # Tickets: every desk's calls find someone waiting, in issue order per service.
        session = requests.Session()
        per_service = per_desk * DESKS_PER_AGENCY
        to_be_called: list[dict] = []
        for a in range(AGENCIES):
            for n in range(per_service + 2):
                t = session.post(urls[n % servers] + "/api/v1/tickets", json={"service": f"S{a}"},
                                 headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10).json()["ticket"]
                if n < per_service:
                    to_be_called.append(t)
        halls = int(round(clients * args.hall_share))
        specs = []
        for i in range(clients):
            if i < halls:
                specs.append({"index": i, "token": HALL_TOKENS[i % len(HALL_TOKENS)]})
            else:
                t = to_be_called[(i - halls) % len(to_be_called)]
                specs.append({"index": i, "follow": {"ticket": t["id"], "t": t["status_url"].split("?t=")[1]},
                              "code": t["code"]})
        random.Random(7).shuffle(specs)

        ctx = mp.get_context("spawn")
        stop_event = ctx.Event()
        # client process p talks to server p mod k: the clients split evenly over the servers
        nproc = max(args.processes, servers) // servers * servers
        pipes = [ctx.Pipe(duplex=False) for _ in range(nproc)]
        procs = [ctx.Process(target=client_process, args=(urls[i % servers], specs[i::nproc], pipes[i][1],
                                                          stop_event), daemon=True) for i in range(nproc)]
        started = time.monotonic()
        for p in procs:
            p.start()
        connected = failed = 0
        for reader, _ in pipes:
            if not reader.poll(connect_timeout):
                raise SystemExit(f"a client process did not connect its clients within {connect_timeout:.0f} s")
            c, f = reader.recv()
            connected, failed = connected + c, failed + f
        connect_s = time.monotonic() - started
        time.sleep(1.0)
        idle = [memory_of(s.proc.pid)["VmRSS"] for s in live]
        print(f"  {connected} clients connected ({failed} failed) in {connect_s:.1f} s; server VmRSS "
              f"{' + '.join(f'{m:.0f}' for m in idle)} MB; machine load average {os.getloadavg()[0]:.1f}", flush=True)

        # Desks call at random moments: together ``rate`` calls a second.
        rng = random.Random(11)
        begin = time.time() + 0.5
        sent: dict[str, float] = {}
        http_ms: list[float] = []
        lock = threading.Lock()
        threads = []
        for desk in range(1, desks + 1):
            times = sorted(begin + rng.uniform(0, args.seconds) for _ in range(per_desk))
            threads.append(threading.Thread(target=desk_caller,
                                            args=(urls[desk % servers], token, desk, times, sent, lock, http_ms)))
        rss_samples: list[float] = []
        cpu0 = [cpu_seconds(s.proc.pid) for s in live], [cpu_seconds(p.pid) for p in procs], time.monotonic()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            rss_samples.append(sum(memory_of(s.proc.pid)["VmRSS"] for s in live))
            time.sleep(0.5)
        for t in threads:
            t.join()
        time.sleep(2.0)                                   # let the last pushes land
        load = os.getloadavg()[0]          # the machine's, over the last minute: others' work shows here
        wall = time.monotonic() - cpu0[2]
        cpu = [(cpu_seconds(s.proc.pid) - c0) / wall for s, c0 in zip(live, cpu0[0])]
        clients_cpu = sum(cpu_seconds(p.pid) - c for p, c in zip(procs, cpu0[1])) / wall
        memory = [memory_of(s.proc.pid) for s in live]
        stop_event.set()
        received = []
        for reader, _ in pipes:
            if reader.poll(120):
                received += reader.recv()
        for p in procs:
            p.join(timeout=30)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        for s in live:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    # Every hall display should get every call, each follower its own ticket's, once.
    kind = {s["index"]: s for s in specs}
    hall_count = sum(1 for s in specs if "token" in s)
    followers: dict[str, int] = {}
    for s in specs:
        if "follow" in s:
            followers[s["code"]] = followers.get(s["code"], 0) + 1
    expected = len(sent) * hall_count + sum(n for code, n in followers.items() if code in sent)
    seen, delays, duplicates = set(), [], 0
    by_call: dict[str, tuple[float, float]] = {}
    for index, code, at in received:
        if code not in sent:
            continue
        if (index, code) in seen or ("follow" in kind[index] and kind[index]["code"] != code):
            duplicates += 1                               # twice, or a follower seeing another's ticket
            continue
        seen.add((index, code))
        delays.append((at - sent[code]) * 1000)
        first, last = by_call.get(code, (at, at))
        by_call[code] = (min(first, at), max(last, at))
    return {"clients": connected, "failed": failed, "hall_count": hall_count, "desks": desks,
            "calls": len(sent), "of_calls": per_desk * desks, "sent": sent, "by_call": by_call,
            "delays": delays or [float("inf")], "missing": expected - len(seen), "expected": expected,
            "wrong": duplicates, "http_ms": http_ms, "cpu": cpu, "clients_cpu": clients_cpu, "memory": memory,
            "rss_samples": rss_samples, "load": load}


def run_once(args) -> dict:
    """One run on a fresh server: connect, call, measure; prints its figures and returns them."""
    m = measure_center(args, args.clients)
    delays, http_ms, sent = m["delays"], m["http_ms"], m["sent"]
    server_cpu, memory = m["cpu"][0], m["memory"][0]
    ms = lambda v: f"{v:.1f} ms"  # noqa: E731
    print(f"calls: {m['calls']} of {m['of_calls']} by {m['desks']} desks in {args.seconds:g} s "
          f"({m['calls'] / args.seconds:.1f}/s); HTTP next p50 {ms(pct(http_ms, 50))}, p99 {ms(pct(http_ms, 99))}")
    print(f"deliveries: {m['expected'] - m['missing']} of {m['expected']} expected ({m['hall_count']} hall displays "
          f"get every call, {args.clients - m['hall_count']} phones their own); missing {m['missing']}, "
          f"wrong/duplicate {m['wrong']}")
    print(f"delay HTTP call -> `call` event at a client: p50 {ms(statistics.median(delays))}, "
          f"p99 {ms(pct(delays, 99))}, max {ms(max(delays))}")
    firsts = [(f - sent[c]) * 1000 for c, (f, _) in m["by_call"].items()]
    spreads = [(l - f) * 1000 for f, l in m["by_call"].values()]
    print(f"  per call: first client reached after p50 {ms(statistics.median(firsts))}; "
          f"first to last client p50 {ms(statistics.median(spreads))}, p99 {ms(pct(spreads, 99))}")
    print(f"CPU while calling: server {100 * server_cpu:.0f}% of a core, client processes "
          f"{100 * m['clients_cpu']:.0f}% (the machine has {os.cpu_count()} cores; clients on the same machine add "
          f"to the delays)")
    print(f"server memory: VmRSS {memory['VmRSS']:.0f} MB now, peak VmHWM {memory['VmHWM']:.0f} MB "
          f"(max sampled during calls {max(m['rss_samples']):.0f} MB)")
    return {"clients": m["clients"], "calls": m["calls"], "p50_ms": round(statistics.median(delays), 1),
            "p99_ms": round(pct(delays, 99), 1), "max_ms": round(max(delays), 1),
            "missing": m["missing"], "wrong": m["wrong"],
            "rss_mb": round(memory["VmRSS"]), "peak_rss_mb": round(memory["VmHWM"]),
            "http_p50_ms": round(pct(http_ms, 50), 1), "server_cpu_pct": round(100 * server_cpu),
            "clients_cpu_pct": round(100 * m["clients_cpu"]), "http_p99_ms": round(pct(http_ms, 99), 1)}


if __name__ == "__main__":
    sys.exit(main())
