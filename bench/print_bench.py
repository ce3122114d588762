"""Ticket printing, end to end: from the kiosk's POST /api/v1/tickets to the last byte at the printer.

    python bench/print_bench.py [--tickets 100] [--concurrency 1] [--width 576]

Starts the real server (``hangdoi serve``, gevent) on a free loopback port with a temporary
database, the real print agent (``hangdoi kiosk --printer network:127.0.0.1:PORT``, a separate
process) and a network printer stand-in (tests/printer_standin.py: a thread with a TCP socket
on 127.0.0.1, port 0). It then fires a burst of tickets from the kiosk's token, back to back
(``--concurrency`` kiosks at once), and matches every job that reaches the stand-in to its
ticket by the status_url inside it. Reports p50/p99/max of POST→last byte, the POST answer
time, and bytes per ticket. Targets: p99 < 500 ms, < 20 KB a ticket at 576 dots.

Bounded: everything stays on 127.0.0.1, the burst has a fixed size, and the run gives up after
``--timeout`` seconds. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.centers import HT, LLTP, agency, center_toml, desk, kiosk, with_  # noqa: E402
from tests.live_server import LiveServer, free_port, write_config  # noqa: E402
from tests.printer_standin import PrinterStandIn  # noqa: E402

TOKEN = "bench-kiosk-token-1"
CONFIG = center_toml(
    "data/bench.db", limits={"kiosk_tickets_per_minute": 0},
    agencies=[agency("STP", "Sở Tư pháp", LLTP, with_(HT, name="Hộ tịch, quốc tịch, chứng thực có yếu tố nước ngoài"))],
    desks=[desk(1, "STP", "STP-LLTP", "STP-HT")], kiosks=[kiosk("kiosk-1", TOKEN)])
URL_IN_JOB = re.compile(rb"/t/(\d+)\?t=")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=1, help="kiosks posting at the same time")
    ap.add_argument("--width", type=int, default=576, choices=(576, 384))
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--agent-log", metavar="PATH", help="keep the print agent's log there")
    ap.add_argument("--series", action="store_true", help="also print every ticket's latency, in print order")
    args = ap.parse_args()

    printer = PrinterStandIn()
    with tempfile.TemporaryDirectory(prefix="hangdoi-print-bench-") as tmp:
        port = free_port()
        server = LiveServer(write_config(Path(tmp), CONFIG, port), port).start()
        agent_log = open(Path(tmp) / "agent.log", "w+")
        agent = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "kiosk", "--server", server.url, "--token", TOKEN,
             "--printer", f"{printer.spec},width={args.width}"], cwd=ROOT, stdout=agent_log, stderr=subprocess.STDOUT)
        try:
            session = requests.Session()
            headers = {"Authorization": f"Bearer {TOKEN}"}
            deadline = time.monotonic() + 20
            while True:                                       # the agent is there once a warm-up ticket prints
                r = session.post(server.url + "/api/v1/tickets", json={"service": "STP-HT"}, headers=headers, timeout=5)
                assert r.status_code == 201, r.text
                if printer.wait_jobs(1, timeout=1.0):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the print agent did not print within 20 s:\n" + Path(agent_log.name).read_text())
            printer.wait_jobs(len(printer.jobs) + 5, timeout=1.0)  # let warm-up resends settle
            base = len(printer.jobs)

            sent: dict[int, float] = {}
            answered: list[float] = []

            def kiosk(n: int) -> None:
                s = requests.Session()
                for i in range(n):
                    started = time.perf_counter()
                    r = s.post(server.url + "/api/v1/tickets",
                               json={"service": "STP-LLTP" if i % 2 else "STP-HT", "priority": None if i % 5 else "elderly"},
                               headers=headers, timeout=10)
                    answered.append(time.perf_counter() - started)
                    assert r.status_code == 201, r.text
                    sent[r.json()["ticket"]["id"]] = started

            per = [args.tickets // args.concurrency + (1 if i < args.tickets % args.concurrency else 0)
                   for i in range(args.concurrency)]
            burst_started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(kiosk, per))
            posted = time.perf_counter() - burst_started
            jobs = printer.wait_jobs(base + args.tickets, timeout=args.timeout)[base:]
            done_at = printer.done_at[base:base + len(jobs)]
        finally:
            agent.terminate()
            agent.wait(10)
            if args.agent_log:
                agent_log.seek(0)
                Path(args.agent_log).write_text(agent_log.read())
            server.stop()
            printer.close()

    latency, sizes, unknown = [], [], 0
    for data, at in zip(jobs, done_at):
        m = URL_IN_JOB.search(data)
        ticket = int(m[1]) if m else None
        if ticket not in sent:
            unknown += 1
            continue
        latency.append((at - sent.pop(ticket)) * 1000)
        sizes.append(len(data))
    figures = {
        "tickets": args.tickets, "concurrency": args.concurrency, "width_dots": args.width,
        "printed": len(latency), "missing": len(sent), "unexpected_jobs": unknown,
        "post_to_last_byte_ms": {"p50": round(pct(latency, 50), 1), "p99": round(pct(latency, 99), 1),
                                 "max": round(max(latency), 1), "mean": round(statistics.mean(latency), 1)}
        if latency else None,
        "post_answer_ms": {"p50": round(pct([a * 1000 for a in answered], 50), 1),
                           "p99": round(pct([a * 1000 for a in answered], 99), 1)},
        "bytes_per_ticket": {"mean": round(statistics.mean(sizes)), "max": max(sizes)} if sizes else None,
        "burst_posted_in_s": round(posted, 2),
    }
    ok = bool(latency) and not sent and figures["post_to_last_byte_ms"]["p99"] < 500 and max(sizes) < 20_000
    figures["targets_met"] = ok
    if args.series:
        figures["series_ms"] = [round(x) for x in latency]
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        lat, size = figures["post_to_last_byte_ms"], figures["bytes_per_ticket"]
        print(f"{len(latency)}/{args.tickets} tickets printed at {args.width} dots "
              f"({args.concurrency} kiosk{'s' if args.concurrency > 1 else ''} posting back to back, "
              f"burst posted in {posted:.2f} s)")
        if lat:
            print(f"  POST → last byte at the printer: p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
            print(f"  POST answered:                   p50 {figures['post_answer_ms']['p50']} ms, "
                  f"p99 {figures['post_answer_ms']['p99']} ms")
            print(f"  bytes per ticket:                mean {size['mean']}, max {size['max']}")
        print("  targets (p99 < 500 ms, < 20 KB a ticket): " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
