"""Benchmark of the provincial hub (issue 12). Prints figures; not a test.

  1. 100 simulated sites push a full day each at once (600 tickets, every event: issued, called,
     recalled, started, finished, rated = 3,600 events a site, 360,000 in all) to one real
     ``hangdoi hub``, in batches of 500 (gzip), one connection per site like the sender; events
     ingested per second, and in the same run the bare SQLite commit rate on the same disk
     (one row per commit, WAL + synchronous=FULL): the ratio is the figure;
  2. the hub's memory (RSS, and its peak) after that run;
  3. one real site offline all day (its hub unreachable while 600 tickets are issued and served
     through its API), then the hub started: seconds until the hub has every event;
  4. issuing at a real site with its hub up vs down: p50/p95 latency of 300 tickets each way.

Loopback only, every loop bounded. Usage: python bench/hub_bench.py [--runs 3] [--sites 100]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hub_live import start_hub, start_site, token_of  # noqa: E402
from tests.live_server import eventually, free_port  # noqa: E402

TICKETS = 600
BATCH = 500
DAY = "2026-12-07"
T0 = 1796950800.0                     # 2026-12-07 07:00 +07:00


def site_day(site: str) -> list[dict]:
    """A day's outbox of one site: 600 tickets, six events each, ticket rows after each change."""
    events, seq, eid = [], 0, 0

    def add(type_, at, ticket, desk=None, rating=None):
        nonlocal seq, eid
        seq += 1
        eid += 1
        events.append({"seq": seq, "m": {"id": eid, "type": type_, "at": at, "day": DAY, "ticket_id": ticket["id"],
                                         "desk": desk, "service": ticket["service"], "user": 7, "device": "kiosk-1",
                                         "data": {"code": ticket["code"]}, "ticket": dict(ticket), "rating": rating}})

    for n in range(1, TICKETS + 1):
        at = T0 + n * 48
        t = {"id": n, "day": DAY, "code": f"A{n:03d}", "service": "HT-KS" if n % 3 else "DD-GCN",
             "agency": "HT" if n % 3 else "DD", "priority": None, "status": "waiting", "issued_at": at, "queued_at": at,
             "called_at": None, "started_at": None, "finished_at": None, "desk": None, "officer": None,
             "kiosk": "kiosk-1", "estimated_wait_s": 600, "recalls": 0, "transfers": 0, "first_called_at": None,
             "first_service": None}
        add("issued", at, t)
        desk = 1 + n % 4
        t.update(status="called", called_at=at + 600, desk=desk, officer=7, first_called_at=at + 600,
                 first_service=t["service"])
        add("called", at + 600, t, desk)
        t.update(recalls=1)
        add("recalled", at + 630, t, desk)
        t.update(status="serving", started_at=at + 660)
        add("started", at + 660, t, desk)
        t.update(status="done", finished_at=at + 1200)
        add("finished", at + 1200, t, desk)
        add("rated", at + 1260, t, desk, {"score": 1 + n % 5, "comment": None, "desk": desk, "officer": 7,
                                          "source": "desk_display", "at": at + 1260, "day": DAY})
    return events


CATALOG = {"center": {"name": "x", "timezone": "Asia/Ho_Chi_Minh"},
           "agencies": [{"code": "HT", "name": "Tư pháp – Hộ tịch", "position": 0, "active": 1},
                        {"code": "DD", "name": "Đất đai", "position": 1, "active": 1}],
           "services": [{"code": "HT-KS", "agency": "HT", "name": "Khai sinh", "prefix": "A", "target_wait_min": 15,
                         "position": 0, "active": 1},
                        {"code": "DD-GCN", "agency": "DD", "name": "Đất đai", "prefix": "D", "target_wait_min": 20,
                         "position": 1, "active": 1}],
           "desks": [{"number": i, "agency": "HT", "name": f"Quầy {i}", "position": i, "active": 1} for i in range(1, 5)],
           "officers": [{"id": 7, "username": "canbo"}], "opening_hours": None}


def bodies(code: str) -> list[bytes]:
    events = site_day(code)
    out = []
    for i in range(0, len(events), BATCH):
        body = {"site": code, "events": events[i:i + BATCH], "catalog": CATALOG if i == 0 else None,
                "catalog_hash": "bench", "status": {"open_now": True, "open_desks": 4, "queues": []}}
        out.append(gzip.compress(json.dumps(body, ensure_ascii=False).encode(), 5))
    return out


def rss(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def sqlite_commits_per_s(folder: Path, seconds: float = 3.0) -> float:
    db = sqlite3.connect(folder / "bare.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, site TEXT, data TEXT)")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (site, data) VALUES (?, ?)", ["TN-X", "x" * 400])
        db.execute("COMMIT")
        n += 1
    elapsed = time.perf_counter() - start
    db.close()
    return n / elapsed


def province_run(folder: Path, sites: int) -> dict:
    codes = [f"TN-{i:03d}" for i in range(sites)]
    hub = start_hub(folder / "hub", codes)
    try:
        prepared = {code: bodies(code) for code in codes}
        total = sum(len(site_day(codes[0])) for _ in codes)
        errors: list[str] = []

        def push(code: str) -> None:
            session = requests.Session()
            headers = {"Authorization": f"Bearer {token_of(code)}", "Content-Type": "application/json",
                       "Content-Encoding": "gzip"}
            for body in prepared[code]:
                for _attempt in range(20):
                    r = session.post(hub.url + "/hub/v1/ingest", data=body, headers=headers, timeout=60)
                    if r.status_code == 200:
                        break
                    time.sleep(0.5)
                else:
                    errors.append(f"{code}: {r.status_code} {r.text[:200]}")
                    return

        threads = [threading.Thread(target=push, args=(c,)) for c in codes]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        elapsed = time.perf_counter() - start
        kept = hub.db("SELECT count(*) FROM site_events")[0][0]
        now_rss, peak_rss = rss(hub.pid)
        hub.db("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in hub.database.parent.glob("hub.db*"))
        bare = sqlite_commits_per_s(folder)
        return {"events": total, "kept": kept, "errors": len(errors), "seconds": elapsed, "events_per_s": kept / elapsed,
                "bare_commits_per_s": bare, "ratio": kept / elapsed / bare, "rss_mb": now_rss, "peak_rss_mb": peak_rss,
                "bytes_per_event": size / max(kept, 1)}
    finally:
        hub.stop()


def site_work(site, tickets: int) -> None:
    officers = {"Authorization": f"Bearer {site.officer('stp1')}"}
    ca = {"Authorization": f"Bearer {site.officer('ca1')}"}
    for i in range(tickets):
        assert site.issue("STP-LLTP" if i % 2 else "CA-CC").status_code == 201
    for i in range(tickets // 2):
        requests.post(site.url + "/api/v1/desks/1/next", headers=officers, timeout=10)
        requests.post(site.url + "/api/v1/desks/3/next", headers=ca, timeout=10)


def offline_day(folder: Path) -> dict:
    port = free_port()                         # nobody there yet: the site's link is down all day
    site = start_site(folder / "site", "TN-TS", port, heartbeat_s=10)
    try:
        site_work(site, TICKETS)
        events = site.last_seq()
        from tests.hub_live import LiveHub, hub_toml
        hub_folder = folder / "hub"
        hub_folder.mkdir(parents=True, exist_ok=True)
        path = hub_folder / "hub.toml"
        path.write_text(hub_toml(["TN-TS"]).replace("{PORT}", str(port)), encoding="utf-8")
        hub = LiveHub(path, port)
        hub.database = hub_folder / "hub.db"
        start = time.perf_counter()
        hub.start()
        got = eventually(lambda: hub.hw("TN-TS") if hub.database.exists() else 0, events, 120)
        elapsed = time.perf_counter() - start
        first, last = hub.db("SELECT min(received_at), max(received_at) FROM site_events")[0]
        hub.stop()
        return {"events": events, "caught_up": got == events, "seconds": elapsed, "transfer_s": last - first}
    finally:
        site.stop()


def issuing(folder: Path, n: int = 100, rounds: int = 3) -> dict:
    """Rounds of ``n`` tickets with the hub up, then down (killed), alternating, so that the
    machine's drift falls on both alike; the sender ships each ticket while the next is issued."""
    hub = start_hub(folder / "hub", ["TN-PDP"])
    site = start_site(folder / "site", "TN-PDP", hub.port, heartbeat_s=10)
    times: dict[str, list[float]] = {"hub up": [], "hub down": []}
    try:
        for _ in range(rounds):
            for label in ("hub up", "hub down"):
                if label == "hub up" and hub.proc.poll() is not None:
                    hub.start()
                if label == "hub down":
                    hub.kill9()
                for i in range(n):
                    t = time.perf_counter()
                    assert site.issue("STP-LLTP" if i % 2 else "CA-CC").status_code == 201
                    times[label].append((time.perf_counter() - t) * 1000)
    finally:
        site.stop()
        hub.stop()
    out = {}
    for label, values in times.items():
        values.sort()
        out[label] = {"p50_ms": statistics.median(values), "p95_ms": values[int(0.95 * len(values)) - 1],
                      "n": len(values)}
    return out


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:,.0f}"
    return f"median {statistics.median(values):,.0f} (min {min(values):,.0f}, max {max(values):,.0f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--skip-site", action="store_true", help="only the 100-site ingest")
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="hangdoi-hub-bench-") as tmp:
            r = province_run(Path(tmp), args.sites)
        runs.append(r)
        print(f"run {i + 1}: {r['kept']:,} of {r['events']:,} events from {args.sites} sites in {r['seconds']:.1f} s = "
              f"{r['events_per_s']:,.0f} events/s; bare SQLite {r['bare_commits_per_s']:,.0f} commits/s "
              f"(ratio {r['ratio']:.1f}); hub RSS {r['rss_mb']:.0f} MB (peak {r['peak_rss_mb']:.0f} MB); "
              f"errors {r['errors']}; {r['bytes_per_event']:.0f} bytes of database per event", flush=True)
    rate = statistics.median(r["events_per_s"] for r in runs)
    print(f"\ningest: {spread([r['events_per_s'] for r in runs])} events/s")
    print(f"bare SQLite commits: {spread([r['bare_commits_per_s'] for r in runs])} /s;"
          f" ratio events/commit-rate {spread([r['ratio'] for r in runs])}")
    print(f"hub peak RSS: {spread([r['peak_rss_mb'] for r in runs])} MB")
    province = 360_000
    country = 3_321 * 3_600
    print(f"\non paper, at the median rate of {rate:,.0f} events/s:")
    print(f"  a province (100 sites, {province:,} events/day): {province / rate:,.0f} s of work a day; "
          f"at 10x headroom a day's events in {10 * province / rate / 60:,.1f} min; "
          f"a whole day in one hour would need {province / 3600:,.0f} events/s")
    print(f"  the country (3,321 communes and wards, ~{country:,} events/day): {country / rate / 60:,.1f} min of work a "
          f"day; peak hour (~20 % of a day) x10 = {country * 0.2 * 10 / 3600:,.0f} events/s needed "
          f"vs {rate:,.0f} measured")
    if args.skip_site:
        return
    with tempfile.TemporaryDirectory(prefix="hangdoi-hub-bench-") as tmp:
        off = offline_day(Path(tmp))
    print(f"\none site offline all day: {off['events']:,} events caught up in {off['seconds']:.1f} s "
          f"(hub start and the sender's back-off, at most 5 s, included); first to last batch received "
          f"{off['transfer_s']:.2f} s{'' if off['caught_up'] else ' — NOT caught up'}")
    with tempfile.TemporaryDirectory(prefix="hangdoi-hub-bench-") as tmp:
        iss = issuing(Path(tmp))
    for label, r in iss.items():
        print(f"issuing at a site, {label}: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms ({r['n']} tickets, "
              f"3 alternating rounds)")


if __name__ == "__main__":
    main()
