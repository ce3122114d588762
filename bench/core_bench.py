"""Benchmark of the core server: issuing and calling through the real HTTP API.

Starts ``hangdoi serve`` on a generated 50-desk center in a temporary folder, then measures
  1. tickets issued per second with 16 concurrent HTTP clients (closed loop), p50/p99 latency;
  2. calls per second with 50 desks pressing Next at once, p50/p99 latency;
  3. p50/p99 latency of each at a steady 200 requests/s (open loop, timed from the planned send);
  4. the same machine's bare SQLite ceiling: the same rows written with plain sqlite3,
     one commit per ticket, WAL + synchronous=FULL, no HTTP.
Loopback only; every loop is bounded. Usage: python bench/core_bench.py [--seconds 5]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer, free_port  # noqa: E402

KIOSK_TOKEN = "bench-kiosk-token-0001"
SERVICES = [f"S{i}" for i in range(1, 11)]


def center_config(port: int) -> str:
    lines = ['[center]\nname = "Trung tâm đo hiệu năng"\ntimezone = "Asia/Ho_Chi_Minh"\n',
             f'[server]\nport = {port}\ndatabase = "data/bench.db"\n',
             '[limits]\nkiosk_tickets_per_minute = 0\n',          # one kiosk issues hundreds a second
             '[[agencies]]\ncode = "AG"\nname = "Cơ quan thử"\n']
    for i, code in enumerate(SERVICES):
        lines.append(f'  [[agencies.services]]\n  code = "{code}"\n  name = "Dịch vụ {i + 1}"\n  prefix = "{chr(65 + i)}"\n')
    for n in range(1, 51):
        lines.append(f'[[desks]]\nnumber = {n}\nagency = "AG"\nservices = {json.dumps(SERVICES)}\n')
    lines.append(f'[[kiosks]]\nid = "kiosk-1"\ntoken = "{KIOSK_TOKEN}"\n')
    return "\n".join(lines)


def post(conn: http.client.HTTPConnection, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


# ---- closed loop: as fast as N clients can go ---------------------------------------------------
def _closed_worker(args):
    port, token, paths, seconds, expect = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies, errors, i = [], 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        path, body = paths[i % len(paths)]
        i += 1
        t0 = time.perf_counter()
        status, _ = post(conn, path, token, body)
        latencies.append(time.perf_counter() - t0)
        errors += status != expect
    conn.close()
    return latencies, errors


def closed_loop(port, token, jobs: list[list[tuple[str, dict | None]]], seconds: float, expect: int, procs: int = 2):
    """Run one client per job (threads spread over ``procs`` processes) for ``seconds``."""
    per_proc = [jobs[i::procs] for i in range(procs)]
    with mp.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_threads_in_process, [(port, token, chunk, seconds, expect) for chunk in per_proc])
    latencies = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    return latencies, errors


def _threads_in_process(args):
    port, token, jobs, seconds, expect = args
    out: list = []
    threads = [threading.Thread(target=lambda j=j: out.append(_closed_worker((port, token, j, seconds, expect))))
               for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [x for r in out for x in r[0]], sum(r[1] for r in out)


# ---- open loop: a steady rate, latency measured from the planned send time ---------------------
def open_loop(port, token, make_request, rate: float, seconds: float, expect: int, threads: int = 8):
    interval = threads / rate
    latencies, errors = [], [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker(k: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while True:
            planned = start + k * (1 / rate) + n * interval
            if planned > start + seconds:
                break
            delay = planned - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            path, body = make_request(k, n)
            status, _ = post(conn, path, token, body)
            done = time.perf_counter()
            with lock:
                latencies.append(done - planned)
                errors[0] += status != expect
            n += 1
        conn.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return latencies, errors[0]


# ---- the bare SQLite ceiling ------------------------------------------------------------------
def sqlite_ceiling(folder: Path, seconds: float) -> float:
    from server.storage.migrations import V1_SCHEMA, _statements

    path = folder / "ceiling.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for statement in _statements(V1_SCHEMA):
        conn.execute(statement)
    conn.execute("INSERT INTO agencies (code, name) VALUES ('AG', 'x')")
    conn.execute("INSERT INTO services (code, agency, name, prefix, target_wait_min) VALUES ('S1', 'AG', 'x', 'A', 15)")
    n, end = 0, time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        conn.execute("BEGIN IMMEDIATE")
        number = conn.execute("INSERT INTO day_counters (day, prefix, last_number) VALUES ('d', 'A', 1) "
                              "ON CONFLICT (day, prefix) DO UPDATE SET last_number = last_number + 1 "
                              "RETURNING last_number").fetchone()[0]
        tid = conn.execute("INSERT INTO tickets (day, code, prefix, number, service, agency, status, secret, issued_at, "
                           "queued_at) VALUES ('d', ?, 'A', ?, 'S1', 'AG', 'waiting', ?, ?, ?)",
                           [f"A{number:03d}", number, secrets.token_urlsafe(12), time.time(), time.time()]).lastrowid
        conn.execute("INSERT INTO events (at, day, type, ticket, service) VALUES (?, 'd', 'issued', ?, 'S1')",
                     [time.time(), tid])
        conn.execute("COMMIT")
        n += 1
    return n / (time.perf_counter() - t0)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def report(name: str, latencies: list[float], errors: int, seconds: float | None) -> dict:
    rate = len(latencies) / seconds if seconds else None
    row = {"name": name, "requests": len(latencies), "errors": errors, "per_s": rate,
           "p50_ms": statistics.median(latencies) * 1000, "p99_ms": pct(latencies, 99)}
    rate_text = f"{rate:8.0f}/s" if rate else "          "
    print(f"  {name:<38} {rate_text}  p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  "
          f"({len(latencies)} requests, {errors} errors)", flush=True)
    return row


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each closed-loop run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hangdoi-bench-"))
    port = free_port()
    config = folder / "config.toml"
    config.write_text(center_config(port), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "bench", "--role", "admin", "--config",
                    str(config)], input="bench-password\n", text=True, check=True, capture_output=True, cwd=ROOT)
    server = LiveServer(config, port).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        _, body = post(conn, "/api/v1/auth/login", "", {"username": "bench", "password": "bench-password"})
        admin = json.loads(body)["access_token"]
        print(f"Hàng Đợi core benchmark — {os.cpu_count()} cores, server pid {server.proc.pid}, {args.seconds:.0f} s runs")

        issue_jobs = [[("/api/v1/tickets", {"service": SERVICES[(c + k) % len(SERVICES)]}) for k in range(10)]
                      for c in range(16)]
        lat, err = closed_loop(port, KIOSK_TOKEN, issue_jobs, args.seconds, 201)
        issue = report("issue, 16 concurrent clients", lat, err, args.seconds)

        # enough waiting tickets that 50 desks never run dry: issued through the API as well
        need = int(issue["per_s"] * args.seconds * 2.5) + 2000
        lat_fill, _ = closed_loop(port, KIOSK_TOKEN, issue_jobs, need / max(issue["per_s"], 1), 201)
        call_jobs = [[(f"/api/v1/desks/{d}/next", None)] for d in range(1, 51)]
        lat, err = closed_loop(port, admin, call_jobs, args.seconds, 200)
        call = report("call next, 50 desks at once", lat, err, args.seconds)

        lat, err = open_loop(port, KIOSK_TOKEN, lambda k, n: ("/api/v1/tickets", {"service": SERVICES[(k + n) % 10]}),
                             rate=200, seconds=args.seconds, expect=201)
        steady_issue = report("issue at a steady 200/s", lat, err, None)
        lat, err = open_loop(port, admin, lambda k, n: (f"/api/v1/desks/{1 + (k * 7 + n) % 50}/next", None),
                             rate=200, seconds=args.seconds, expect=200)
        steady_call = report("call next at a steady 200/s", lat, err, None)
        memory = rss_mb(server.proc.pid)
        ceiling = sqlite_ceiling(folder, args.seconds)
        print(f"  {'bare SQLite, same rows, 1 commit each':<38} {ceiling:8.0f}/s  (WAL, synchronous=FULL, no HTTP)")
        print(f"  server memory (RSS) after the runs: {memory:.0f} MB")
        print(f"  issue rate / SQLite ceiling: {issue['per_s'] / ceiling:.0%};  "
              f"targets: ≥ 1000/s issue ({'met' if issue['per_s'] >= 1000 else 'MISSED'}), "
              f"≥ 1000/s call ({'met' if call['per_s'] >= 1000 else 'MISSED'}), "
              f"p99 < 50 ms at 200/s ({'met' if max(steady_issue['p99_ms'], steady_call['p99_ms']) < 50 else 'MISSED'})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
