"""Benchmark of scale-out: how many connected screens and phones one server process holds, and two
processes sharing the work through Redis (``[server] message_queue``), with the delay from an
officer's HTTP "next" to the `call` event at every client under 100 ms at the 99th percentile.

For each server count (default 1 and 2) and each client count (default 500, 1000, 2000, 3000,
4000, 5000), on fresh servers in a temporary folder (the 50-desk center of
``bench/realtime_bench.py``):
  * one process: a plain ``hangdoi serve`` (no message queue, the default deployment);
    two processes: ``hangdoi serve`` twice on one database, each on its own port, with
    ``message_queue`` pointing at a ``redis-server`` started here on a free port;
  * connects the clients (half hall displays, half phones following a ticket; the lean protocol
    clients of ``realtime_bench``), split evenly over the processes;
  * has the 50 desks call through HTTP, desk N through process N mod k, ``--rate`` calls a second
    in all, for ``--seconds``;
  * prints p50/p99/max of call → client, missing deliveries, each process's peak memory and CPU.
``--runs`` runs per step (medians printed); a server count stops at its first failing step
(``--keep-going``: it tries the next ones too). The
highest client count whose median p99 stayed under 100 ms (nothing missing) is printed per server
count. Everything runs on this machine: the client processes compete with the servers for the
same cores, as do two server processes with each other and with Redis.

    python bench/scale_bench.py [--servers 1,2] [--steps 500,1000,2000,3000,4000,5000] [--runs 3]
                                [--rate 10] [--seconds 10] [--processes 4] [--keep-going] [--json]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import realtime_bench as rt  # noqa: E402  (its clients, desks and measures are reused as they are)

TARGET_P99_MS = 100.0
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def raise_fd_limit(wanted: int) -> int:
    """Raise RLIMIT_NOFILE toward ``wanted`` (children inherit it); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Redis:
    def __init__(self, folder: Path):
        if not Path(REDIS_SERVER).exists():
            raise SystemExit("redis-server is not installed (Debian package redis-server)")
        self.port = rt_free_port()
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(folder), "--maxclients", "1000"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        self.url = f"redis://127.0.0.1:{self.port}/0"
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def rt_free_port() -> int:
    from tests.live_server import free_port

    return free_port()


def run_once(args, clients: int, servers: int, redis: Redis | None) -> dict:
    """One run on fresh servers: connect ``clients`` split over ``servers`` processes, call, measure."""
    import requests

    from server.auth.users import create_user
    from server.config import load_config
    from server.storage import Storage
    from server.storage.sync import sync_config
    from tests.live_server import LiveServer

    desks = rt.AGENCIES * rt.DESKS_PER_AGENCY
    per_desk = max(1, int(args.rate * args.seconds) // desks)
    total_calls = per_desk * desks
    tmp = Path(tempfile.mkdtemp(prefix="hangdoi-scalebench-"))
    text = rt.center_config(rt_free_port())
    if servers > 1:
        text = text.replace('database = "data/realtime-bench.db"\n',
                            f'database = "data/realtime-bench.db"\nmessage_queue = "{redis.url}"\n')
    config_path = tmp / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    storage = Storage(config.server.database)
    sync_config(storage, config)
    create_user(storage, "bench", rt.PASSWORD, "admin")
    storage.close()

    procs = []
    live = []
    try:
        for k in range(servers):
            live.append(LiveServer(config_path, rt_free_port(), log_path=tmp / f"server-{k}.log").start(timeout=30))
        urls = [s.url for s in live]
        token = requests.post(urls[0] + "/api/v1/auth/login", json={"username": "bench", "password": rt.PASSWORD},
                              timeout=10).json()["access_token"]
        session = requests.Session()
        per_service = per_desk * rt.DESKS_PER_AGENCY
        to_be_called: list[dict] = []
        for a in range(rt.AGENCIES):
            for n in range(per_service + 2):
                t = session.post(urls[n % servers] + "/api/v1/tickets", json={"service": f"S{a}"},
                                 headers={"Authorization": f"Bearer {rt.KIOSK_TOKEN}"}, timeout=10).json()["ticket"]
                if n < per_service:
                    to_be_called.append(t)
        halls = int(round(clients * args.hall_share))
        specs = []
        for i in range(clients):
            if i < halls:
                specs.append({"index": i, "token": rt.HALL_TOKENS[i % len(rt.HALL_TOKENS)]})
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
        procs = [ctx.Process(target=rt.client_process, args=(urls[i % servers], specs[i::nproc], pipes[i][1],
                                                             stop_event), daemon=True) for i in range(nproc)]
        started = time.monotonic()
        for p in procs:
            p.start()
        connected = failed = 0
        for reader, _ in pipes:
            if not reader.poll(300):
                raise SystemExit("a client process did not connect its clients within 300 s")
            c, f = reader.recv()
            connected, failed = connected + c, failed + f
        connect_s = time.monotonic() - started
        time.sleep(1.0)
        idle = [rt.memory_of(s.proc.pid)["VmRSS"] for s in live]
        print(f"  {connected} clients connected ({failed} failed) in {connect_s:.1f} s; server VmRSS "
              f"{' + '.join(f'{m:.0f}' for m in idle)} MB; machine load average {os.getloadavg()[0]:.1f}", flush=True)

        rng = random.Random(11)
        begin = time.time() + 0.5
        sent: dict[str, float] = {}
        http_ms: list[float] = []
        lock = threading.Lock()
        threads = []
        for desk in range(1, desks + 1):
            times = sorted(begin + rng.uniform(0, args.seconds) for _ in range(per_desk))
            threads.append(threading.Thread(target=rt.desk_caller,
                                            args=(urls[desk % servers], token, desk, times, sent, lock, http_ms)))
        cpu0 = [rt.cpu_seconds(s.proc.pid) for s in live], time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(2.0)
        load = os.getloadavg()[0]          # the machine's, over the last minute: others' work shows here
        wall = time.monotonic() - cpu0[1]
        cpu = [(rt.cpu_seconds(s.proc.pid) - c0) / wall for s, c0 in zip(live, cpu0[0])]
        memory = [rt.memory_of(s.proc.pid) for s in live]
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

    kind = {s["index"]: s for s in specs}
    hall_count = sum(1 for s in specs if "token" in s)
    followers: dict[str, int] = {}
    for s in specs:
        if "follow" in s:
            followers[s["code"]] = followers.get(s["code"], 0) + 1
    expected = len(sent) * hall_count + sum(n for code, n in followers.items() if code in sent)
    seen, delays, duplicates = set(), [], 0
    for index, code, at in received:
        if code not in sent:
            continue
        if (index, code) in seen or ("follow" in kind[index] and kind[index]["code"] != code):
            duplicates += 1
            continue
        seen.add((index, code))
        delays.append((at - sent[code]) * 1000)
    if not delays:
        delays = [float("inf")]
    figures = {"clients": connected, "failed": failed, "calls": len(sent), "of_calls": total_calls,
               "p50_ms": round(statistics.median(delays), 1), "p99_ms": round(rt.pct(delays, 99), 1),
               "max_ms": round(max(delays), 1), "missing": expected - len(seen), "wrong": duplicates,
               "peak_rss_mb": [round(m["VmHWM"]) for m in memory], "cpu_pct": [round(100 * c) for c in cpu],
               "http_p99_ms": round(rt.pct(http_ms, 99), 1) if http_ms else None}
    figures["load"] = round(load, 2)
    print(f"  calls {len(sent)}/{total_calls}; call -> client p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
          f"max {figures['max_ms']} ms; missing {figures['missing']}, wrong {duplicates}; "
          f"peak memory {' + '.join(map(str, figures['peak_rss_mb']))} MB; CPU "
          f"{' + '.join(map(str, figures['cpu_pct']))}% of a core; HTTP next p99 {figures['http_p99_ms']} ms; "
          f"load average {figures['load']}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="1,2", help="server process counts to measure (default 1,2)")
    parser.add_argument("--steps", default="500,1000,2000,3000,4000,5000", help="client counts, in order")
    parser.add_argument("--runs", type=int, default=3, help="runs per step, each on fresh servers (medians)")
    parser.add_argument("--hall-share", type=float, default=0.5, help="share of hall displays (the rest follow tickets)")
    parser.add_argument("--rate", type=float, default=10.0, help="calls a second, all 50 desks together")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the desks call")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--json", action="store_true", help="also print the medians as JSON lines")
    parser.add_argument("--keep-going", action="store_true", help="go on to the next steps after a failing one")
    args = parser.parse_args()
    server_counts = [int(x) for x in args.servers.split(",")]
    steps = [int(x) for x in args.steps.split(",")]
    if not all(1 <= k <= 4 for k in server_counts) or not all(1 <= n <= 20000 for n in steps):
        parser.error("keep --servers 1..4 and --steps 1..20000")
    if not 1 <= args.runs <= 10 or not 0 < args.rate <= 200 or not 1 <= args.seconds <= 120:
        parser.error("keep --runs 1..10, --rate 0..200, --seconds 1..120")
    limit = raise_fd_limit(max(steps) * 3 + 1024)       # a client and its server end, plus the servers' files
    print(f"open files limit {limit}; {os.cpu_count()} cores for servers, clients and Redis together", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="hangdoi-scalebench-redis-"))
    redis = Redis(folder) if any(k > 1 for k in server_counts) else None
    summary = {}
    try:
        for servers in server_counts:
            best = None
            for clients in steps:
                runs = []
                for n in range(1, args.runs + 1):
                    print(f"--- {servers} process{'es' if servers > 1 else ''}, {clients} clients: run {n} of {args.runs}",
                          flush=True)
                    runs.append(run_once(args, clients, servers, redis))
                med = {k: statistics.median(r[k] for r in runs) for k in ("p50_ms", "p99_ms", "max_ms", "missing")}
                med["peak_rss_mb"] = [statistics.median(r["peak_rss_mb"][i] for r in runs) for i in range(servers)]
                med["cpu_pct"] = [statistics.median(r["cpu_pct"][i] for r in runs) for i in range(servers)]
                med["clients"], med["servers"] = clients, servers
                med["load"] = statistics.median(r["load"] for r in runs)
                passed = med["p99_ms"] < TARGET_P99_MS and med["missing"] == 0
                print(f"=== {servers} process{'es' if servers > 1 else ''}, {clients} clients, median of {args.runs}: "
                      f"p50 {med['p50_ms']:.1f} ms, p99 {med['p99_ms']:.1f} ms, max {med['max_ms']:.1f} ms, "
                      f"missing {med['missing']:g}; peak memory {' + '.join(f'{m:.0f}' for m in med['peak_rss_mb'])} MB; "
                      f"CPU {' + '.join(f'{c:.0f}' for c in med['cpu_pct'])}%; load {med['load']:.1f} -> "
                      f"{'pass' if passed else 'FAIL'}",
                      flush=True)
                if args.json:
                    print(json.dumps(med))
                if passed:
                    best = clients
                elif not args.keep_going:
                    break
            summary[servers] = best
    finally:
        if redis is not None:
            redis.stop()
        shutil.rmtree(folder, ignore_errors=True)
    for servers, best in summary.items():
        print(f"*** {servers} process{'es' if servers > 1 else ''}: highest client count with p99 < "
              f"{TARGET_P99_MS:.0f} ms: {best if best is not None else 'none of the steps'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
