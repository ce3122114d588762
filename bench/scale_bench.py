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
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import realtime_bench as rt  # noqa: E402  (its center, clients, desks and measures are reused as they are)
from tests.live_server import free_port  # noqa: E402

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
        self.port = free_port()
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


def run_once(args, clients: int, servers: int, redis: Redis | None) -> dict:
    """One run on fresh servers: connect ``clients`` split over ``servers`` processes, call, measure."""
    m = rt.measure_center(args, clients, servers, redis.url if servers > 1 else "", connect_timeout=300)
    delays, http_ms = m["delays"], m["http_ms"]
    figures = {"clients": m["clients"], "failed": m["failed"], "calls": m["calls"], "of_calls": m["of_calls"],
               "p50_ms": round(statistics.median(delays), 1), "p99_ms": round(rt.pct(delays, 99), 1),
               "max_ms": round(max(delays), 1), "missing": m["missing"], "wrong": m["wrong"],
               "peak_rss_mb": [round(x["VmHWM"]) for x in m["memory"]], "cpu_pct": [round(100 * c) for c in m["cpu"]],
               "http_p99_ms": round(rt.pct(http_ms, 99), 1) if http_ms else None, "load": round(m["load"], 2)}
    print(f"  calls {m['calls']}/{m['of_calls']}; call -> client p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
          f"max {figures['max_ms']} ms; missing {figures['missing']}, wrong {figures['wrong']}; "
          f"peak memory {' + '.join(map(str, figures['peak_rss_mb']))} MB; CPU "
          f"{' + '.join(map(str, figures['cpu_pct']))}% of a core; HTTP next p99 {figures['http_p99_ms']} ms; "
          f"load average {figures['load']}", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="1,2", help="server process counts to measure (default 1,2)")
    parser.add_argument("--steps", default="500,1000,2000,3000,4000,5000", help="client counts, in order")
    parser.add_argument("--runs", type=int, default=3, help="runs per step, each on fresh servers (medians)")
    rt.add_load_options(parser, seconds=10.0)
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
