"""Put this folder first on PYTHONPATH to run a server with the FIRST estimator (before issue 6),
for comparisons only:

    PYTHONPATH="$PWD/bench/first_estimator" hangdoi simulate --no-voice ...

(an absolute path: the server runs in the simulation's temporary folder)

The processes started then (``hangdoi serve`` included) swap the replay estimator of
``server.rules.shapes`` for the first formula, ``(ahead + 0.5) × mean / open desks`` (0 when an open
desk is idle), with its 30-second floor on service times. Nothing else changes.
"""
import importlib.abc
import importlib.util
import sys

TARGET = "server.rules.shapes"


def _first_ticket_estimate(db, ctx, row, ahead):
    from server.rules import estimate

    return estimate.estimate_wait_s(ahead, estimate.capacity(db, row["service"]), _first_mean(db, ctx, row["service"]))


def _first_mean(db, ctx, service):
    rows = db.execute(
        "SELECT finished_at - called_at FROM tickets WHERE status = 'done' AND service = ? "
        "AND finished_at > ? AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT 20",
        [service, ctx.clock.now() - 7 * 86400]).fetchall()
    if len(rows) < 3:
        return ctx.default_service_s
    return max(30.0, sum(r[0] for r in rows) / len(rows))


def _first_queue_estimates(db, ctx):
    from server.rules import estimate

    day = ctx.clock.day_of(ctx.clock.now())
    waiting = dict(db.execute("SELECT service, count(*) FROM tickets WHERE day = ? AND status = 'waiting' "
                              "GROUP BY service", [day]).fetchall())
    return {code: estimate.estimate_wait_s(waiting.get(code, 0), estimate.capacity(db, code),
                                           _first_mean(db, ctx, code))
            for (code,) in db.execute("SELECT code FROM services WHERE active = 1").fetchall()}


class _Patch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            module.estimate_for_ticket = _first_ticket_estimate
            module.estimates_for_new_tickets = _first_queue_estimates

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Patch())
