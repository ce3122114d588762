"""Benchmark of the reports: 90 days of a 600-visitor-a-day center, the summary in < 500 ms.

Generates the history straight into SQLite through the real schema (the repository's
``config.toml``: 23 agencies, 52 desks; one officer per desk): per day 600 tickets with a
morning burst, their events (issued, called, recalled, started, transferred, finished, no-show,
closed at end of day) and ratings for about 40 % of the served ones. Then times
``GET /api/v1/reports/summary`` over the whole range (Flask test client: the full request, auth
and JSON included), for one agency, and for one day, and the CSV/XLSX export of one month,
printing medians of several runs, and the query plan (which indexes are used).

How the summary is indexed: one range scan of ``tickets_day_status (day, status)`` over the
period's days; the ticket's first call is a column (``tickets.first_called_at``, kept by a trigger
on the events table, schema v3) instead of a GROUP BY over the period's events (that GROUP BY
was half of the time); services, ratings and users by primary key. One GROUP BY over the tickets
(agency, desk, officer, hour) gives every count and sum; the dimensions are rolled up from its few
hundred rows; the 90th percentiles are picked from the same rows' values.

Usage: python bench/reports_bench.py [--days 90] [--per-day 600] [--runs 7]
"""
from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.auth.passwords import hash_password  # noqa: E402
from server.clock import FixedClock  # noqa: E402
from server.config import load_config  # noqa: E402
from server.reports.base import parse_period  # noqa: E402
from server.reports.summary import summary_sql  # noqa: E402
from server.storage import Storage  # noqa: E402
from server.storage.sync import sync_config  # noqa: E402

PASSWORD = "bench-password"


def arrival_times(rng: random.Random, day: date, tz, n: int) -> list[float]:
    """``n`` arrivals: a burst in the first hour after 07:30, the rest over the opening hours."""
    def at(h, m):
        return datetime(day.year, day.month, day.day, h, m, tzinfo=tz).timestamp()

    burst = int(n * 0.3)
    times = [rng.uniform(at(7, 30), at(8, 30)) for _ in range(burst)]
    rest = n - burst
    morning = int(rest * 0.6)
    times += [rng.uniform(at(8, 30), at(11, 30)) for _ in range(morning)]
    times += [rng.uniform(at(13, 30), at(16, 45)) for _ in range(rest - morning)]
    return sorted(times)


def generate(storage: Storage, config, start: date, days: int, per_day: int, seed: int = 7) -> dict:
    """Write ``days`` days of history from ``start``; returns counts."""
    rng = random.Random(seed)
    tz = config.tz
    services = list(config.services.values())
    weights = [rng.uniform(0.3, 3.0) for _ in services]
    desks_of = {s.code: [d.number for d in config.desks if s.code in d.services] for s in services}
    counts = {"tickets": 0, "events": 0, "ratings": 0}
    with storage.write() as db:
        hashed = hash_password(PASSWORD)
        officer_of = {}
        for desk in config.desks:
            officer_of[desk.number] = db.execute(
                "INSERT INTO users (username, password_hash, role, agency, created_at) VALUES (?, ?, 'officer', ?, ?)",
                [f"canbo{desk.number:02d}", hashed, desk.agency, time.time()]).lastrowid
        db.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES ('giamsat', ?, 'supervisor', ?)",
                   [hashed, time.time()])
        next_id = (db.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0] or 0) + 1
        for offset in range(days):
            day = start + timedelta(days=offset)
            day_s = day.isoformat()
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() + 86400
            numbers: dict[str, int] = {}
            tickets, events, ratings = [], [], []
            desk_free = {d.number: 0.0 for d in config.desks}
            for issued in arrival_times(rng, day, tz, per_day):
                service = rng.choices(services, weights)[0]
                numbers[service.prefix] = numbers.get(service.prefix, 0) + 1
                prefix, number = service.prefix, numbers[service.prefix]
                code = f"{prefix}{number:03d}"
                tid = next_id
                next_id += 1
                ev = [(issued, "issued", None, service.code, None, json.dumps({"code": code}))]
                desk = min(desks_of[service.code], key=lambda n: desk_free[n])
                called = max(issued + rng.uniform(20, 120), desk_free[desk]) + rng.uniform(0, 60)
                fate = rng.random()
                row = dict(status="done", called=None, started=None, finished=None, desk=None, officer=None,
                           svc=service, transfers=0, recalls=0)
                if called > midnight - 6 * 3600 or fate < 0.02:     # never called: closed at midnight
                    row.update(status="cancelled", finished=midnight)
                    ev.append((midnight + 5, "closed_end_of_day", None, service.code, None,
                               json.dumps({"code": code, "from_status": "waiting"})))
                else:
                    officer = officer_of[desk]
                    row.update(called=called, desk=desk, officer=officer)
                    ev.append((called, "called", desk, service.code, officer, json.dumps({"code": code})))
                    if rng.random() < 0.1:
                        row["recalls"] = 1
                        ev.append((called + 30, "recalled", desk, service.code, officer, json.dumps({"code": code})))
                    if fate < 0.08:                                  # no-show
                        row.update(status="no_show", finished=called + 90)
                        ev.append((called + 90, "no_show", desk, service.code, officer, json.dumps({"code": code})))
                        desk_free[desk] = called + 90
                    else:
                        started = called + rng.uniform(20, 90)
                        if fate > 0.97:                              # transferred, served elsewhere
                            other = rng.choice(services)
                            ev.append((started, "started", desk, service.code, officer, None))
                            ev.append((started + 120, "transferred", desk, service.code, officer,
                                       json.dumps({"from_service": service.code, "to_service": other.code})))
                            desk_free[desk] = started + 120
                            row["transfers"] = 1
                            service = row["svc"] = other
                            desk = min(desks_of[other.code], key=lambda n: desk_free[n])
                            officer = officer_of[desk]
                            called = max(started + 300, desk_free[desk])
                            ev.append((called, "called", desk, other.code, officer, json.dumps({"code": code})))
                            started = called + 40
                            row.update(called=called, desk=desk, officer=officer)
                        duration = min(rng.lognormvariate(6.6, 0.5), 5400)      # ~ 12–15 min
                        finished = started + duration
                        row.update(started=started, finished=finished)
                        ev.append((started, "started", desk, service.code, officer, None))
                        ev.append((finished, "finished", desk, service.code, officer, None))
                        desk_free[desk] = finished
                        if rng.random() < 0.4:
                            score = rng.choices([1, 2, 3, 4, 5], [2, 3, 10, 35, 50])[0]
                            ratings.append((tid, score, None, desk, officer, "desk_display", finished + 15, day_s))
                            ev.append((finished + 15, "rated", desk, service.code, None, json.dumps({"score": score})))
                svc = row["svc"]
                tickets.append((tid, day_s, code, prefix, number, svc.code, svc.agency, row["status"], secrets.token_urlsafe(9), issued, issued,
                                row["called"], row["started"], row["finished"], row["desk"], row["officer"],
                                row["transfers"], row["recalls"]))
                events += [(at, day_s, type_, tid, desk_, svc_, user, data) for at, type_, desk_, svc_, user, data in ev]
            db.conn.executemany(
                "INSERT INTO tickets (id, day, code, prefix, number, service, agency, status, secret, issued_at, queued_at, "
                "called_at, started_at, finished_at, desk, officer, transfers, recalls) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tickets)
            db.conn.executemany(
                "INSERT INTO events (at, day, type, ticket, desk, service, user_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                events)
            db.conn.executemany(
                "INSERT INTO ratings (ticket, score, comment, desk, officer, source, at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ratings)
            for prefix, last in numbers.items():
                db.execute("INSERT INTO day_counters (day, prefix, last_number) VALUES (?, ?, ?)", [day_s, prefix, last])
            counts["tickets"] += len(tickets)
            counts["events"] += len(events)
            counts["ratings"] += len(ratings)
    with storage.connection() as db:
        db.execute("ANALYZE")
    return counts


def timed(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=600)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="keep the generated database in this folder")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hangdoi-reports-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        text = (ROOT / "config.toml").read_text(encoding="utf-8").replace('"data/hangdoi.db"', '"bench.db"')
        (folder / "config.toml").write_text(text, encoding="utf-8")
        config = load_config(folder / "config.toml")
        if config.server.database.exists():
            config.server.database.unlink()
        storage = Storage(config.server.database, synchronous="OFF")
        sync_config(storage, config)
        end = date(2026, 11, 20)
        start = end - timedelta(days=args.days - 1)
        t0 = time.perf_counter()
        counts = generate(storage, config, start, args.days, args.per_day)
        gen_s = time.perf_counter() - t0
        size_mb = config.server.database.stat().st_size / 1e6
        print(f"generated {args.days} days × {args.per_day} visitors: {counts['tickets']:,} tickets, "
              f"{counts['events']:,} events, {counts['ratings']:,} ratings in {gen_s:.1f} s ({size_mb:.0f} MB)")

        from server.web.app import create_app

        clock = FixedClock(config.tz, datetime(2026, 11, 21, 9, 0, tzinfo=config.tz))
        app = create_app(config, storage=storage, clock=clock, voice=False)
        client = app.test_client()
        token = client.post("/api/v1/auth/login", json={"username": "giamsat", "password": PASSWORD}).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def get(path):
            def run():
                r = client.get(path, headers=headers)
                assert r.status_code == 200, r.get_data(as_text=True)[:300]
                return r
            return run

        full = f"/api/v1/reports/summary?from={start}&to={end}"
        cases = [
            (f"summary, all {args.days} days", full),
            (f"summary, {args.days} days, one agency (CA)", full + "&agency=CA"),
            ("summary, one day", f"/api/v1/reports/summary?from={end}&to={end}"),
        ]
        print(f"\nGET /api/v1/reports/summary through the Flask test client, {args.runs} runs each (ms):")
        medians = {}
        for label, path in cases:
            get(path)()                                 # warm the page cache once
            median, best, response = timed(get(path), args.runs)
            medians[label] = median
            totals = response.get_json()["totals"]
            print(f"  {label:<44} median {median:7.1f}   min {best:7.1f}   "
                  f"(issued {totals['issued']:,}, avg wait {totals['avg_wait_s']} s, p90 {totals['p90_wait_s']} s)")
        month = f"from={end - timedelta(days=29)}&to={end}"
        print("\nexports of the last 30 days (ms):")
        for fmt, runs in (("csv", 3), ("xlsx", 1)):
            median, _, response = timed(get(f"/api/v1/reports/tickets?{month}&format={fmt}"), runs)
            print(f"  {fmt:<5} median {median:8.1f}   ({len(response.get_data()) / 1e6:.1f} MB, {runs} run(s))")

        period = parse_period(str(start), str(end))
        with storage.read() as db:
            plan = db.execute("EXPLAIN QUERY PLAN " + summary_sql(config.tz, period), period.params()).fetchall()
        print("\nEXPLAIN QUERY PLAN of the summary (every table read; SCAN lines read the CTEs, not tables):")
        for row in plan:
            print("  " + row[-1])
        print("indexes: tickets_day_status (day, status) for the period's tickets; first call from the column "
              "tickets.first_called_at (trigger events_first_call, schema v3), no scan of events; "
              "services/ratings by primary key")
        target = medians[cases[0][0]]
        verdict = "OK" if target < 500 else "TOO SLOW"
        print(f"\nfull-range summary median {target:.0f} ms — target < 500 ms: {verdict}")
        storage.close()
        return 0 if target < 500 else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
