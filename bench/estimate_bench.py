"""What the estimator costs: issuing a ticket and building GET /queues on the demo center, in
process (no HTTP), with queues of different lengths, the replay estimator against the first
formula it replaced.

For each queue length it fills the demo center's services with that many waiting tickets in
total (spread as the simulation's mix spreads visitors), opens every desk with one ticket at
work, gives each service some history, then times 200 issues and 50 ``queues`` views.

Usage: python bench/estimate_bench.py [--lengths 0,50,200,400,1000]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.clock import FixedClock  # noqa: E402
from server.config import load_config  # noqa: E402
from server.rules import Actor, QueueService, RuleContext  # noqa: E402
from server.rules import estimate, views  # noqa: E402
from server.simulate.profile import ServiceMix  # noqa: E402
from server.storage import Storage  # noqa: E402
from server.storage.sync import sync_config  # noqa: E402

KIOSK = Actor(kind="device", role="kiosk", device="kiosk-1", name="kiosk-1")


def old_ticket_estimate(db, ctx, row, ahead):
    return estimate.estimate_wait_s(ahead, estimate.capacity(db, row["service"]), ctx.mean_service_s(db, row["service"]))


def old_queue_estimates(db, ctx):
    day = ctx.clock.day_of(ctx.clock.now())
    waiting = dict(db.execute("SELECT service, count(*) FROM tickets WHERE day = ? AND status = 'waiting' "
                              "GROUP BY service", [day]).fetchall())
    return {code: estimate.estimate_wait_s(waiting.get(code, 0), estimate.capacity(db, code),
                                           ctx.mean_service_s(db, code))
            for (code,) in db.execute("SELECT code FROM services WHERE active = 1").fetchall()}


def center(folder: Path, waiting: int, seed: int = 1):
    config = load_config(ROOT / "config.toml")
    db_path = folder / f"bench-{waiting}.db"
    storage = Storage(db_path, synchronous="NORMAL")
    sync_config(storage, config)
    clock = FixedClock(config.tz, time.time())
    service = QueueService(storage, RuleContext(clock=clock, public_url="http://127.0.0.1",
                                                default_service_s=1200))
    desks = [(d.number, d.agency, tuple(d.services)) for d in config.desks]
    agency_of = {s.code: a.code for a in config.agencies for s in a.services}
    mix = ServiceMix.for_center(desks, agency_of)
    rng = random.Random(seed)
    officers = {a.code: Actor(kind="user", role="officer", agency=a.code, name=a.code) for a in config.agencies}
    # history: each service gets 5 tickets served at its desks, then every desk takes one and keeps it
    for d in config.desks:
        for _ in range(2):
            service.issue(KIOSK, d.services[0], None)
            service.call_next(officers[d.agency], d.number)
            clock.advance(rng.uniform(300, 900))
            service.finish(officers[d.agency], d.number)
    for _ in range(waiting + len(desks)):
        service.issue(KIOSK, mix.pick(rng), "elderly" if rng.random() < 0.08 else None)
        clock.advance(5)
    for d in config.desks:
        service.call_next(officers[d.agency], d.number)
    return service, mix, rng, storage


def timed(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), sorted(out)[int(0.99 * (len(out) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="0,50,200,400,1000")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hangdoi-estimate-bench-"))
    print("waiting  estimator   issue p50/p99 ms   queues p50/p99 ms")
    for waiting in [int(x) for x in args.lengths.split(",")]:
        for name in ("replay", "first"):
            service, mix, rng, storage = center(folder, waiting)
            if name == "first":
                views.estimate_for_ticket, views.estimates_for_new_tickets = old_ticket_estimate, old_queue_estimates
            try:
                issue = timed(lambda: service.issue(KIOSK, mix.pick(rng), None), 200)
                queues = timed(service.queues, 50)
            finally:
                views.estimate_for_ticket = estimate.estimate_for_ticket
                views.estimates_for_new_tickets = estimate.estimates_for_new_tickets
                storage.close()
            print(f"{waiting:7d}  {name:<9} {issue[0]:8.2f} / {issue[1]:6.2f}   {queues[0]:8.2f} / {queues[1]:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
