"""The sender: one greenlet of ``hangdoi serve`` (with ``[site]``) that ships the outbox to the hub.

It never blocks a request: it only reads the outbox (a pooled connection, WAL readers do not wait
for writers), talks to the hub with short timeouts, and writes only the hub's calendar when it
changes and, once an hour, the pruning of old acknowledged rows.

Protocol (``POST {hub_url}/hub/v1/ingest``, ``Authorization: Bearer <hub_token>``, JSON, gzip
when large)::

    {"site": CODE, "events": [{"seq": N, "m": MESSAGE}, ...],   # contiguous, oldest first, <= BATCH
     "catalog": {...} | null, "catalog_hash": H, "status": {...}, "calendar_version": V | null}
    → 200 {"ack": HW, "catalog_hash": H', "calendar": {"version", "closed_dates"},
           "procedures": {"fingerprint", "count"}}           # when the hub publishes a catalog
    → 409 {"error": {"code": "gap"}, "ack": HW}        # resend from HW + 1

The hub's ``ack`` (the highest sequence it has kept, per site) is the only truth: the sender
starts every run with an empty batch to learn it, and goes on from it after any failure, so a
cut, a hub restart, or this server killed with kill -9 lose nothing and send nothing twice that
would count twice (the hub ignores what it already has).
"""
from __future__ import annotations

import gzip
import json
import logging
import os
import time
import urllib.error
import urllib.request

from .calendar import stored_version, store_calendar
from .catalog import build_catalog, catalog_hash, live_status
from .procedures import ProcedureFollower

log = logging.getLogger("hangdoi.site")

BATCH = 500                                    # events per request, at most
HEARTBEAT_S = float(os.environ.get("HANGDOI_SITE_HEARTBEAT_S", "10"))   # an empty batch when idle
TIMEOUT_S = 5.0
BACKOFF_S = (1.0, 2.0, 3.0, 5.0)               # after a failure; capped at the last
GZIP_OVER = 8 * 1024                           # bytes of JSON
KEEP_DAYS = 3                                  # acknowledged outbox rows are deleted after this
PRUNE_EVERY_S = 3600.0
DESCRIBE_EVERY_S = 2.0                         # the catalog and the queues are read at most this often


class HubRefused(Exception):
    pass


class Sender:
    def __init__(self, h, site, *, batch: int = BATCH, heartbeat_s: float = HEARTBEAT_S):
        self.h, self.site = h, site
        self.batch, self.heartbeat_s = batch, heartbeat_s
        self.url = site.hub_url + "/hub/v1/ingest"
        self.acked: int | None = None          # the hub's high-water mark, once it has answered
        self.hub_catalog: str | None = None
        self.calendar_version = stored_version(h.storage)
        self.procedures = ProcedureFollower(h, site)   # the province's procedure catalog (issue 14)
        self.link_up: bool | None = None
        self.last_ok_at: float | None = None
        self._greenlet = None
        self._wake = None
        self._last_prune = 0.0
        self._described: tuple[float, dict, str, dict] | None = None
        self._status_stale = False             # the last batch carried queues read before its events

    # ---- life -----------------------------------------------------------------------------
    def start(self) -> None:
        import gevent
        from gevent.event import Event

        self._wake = Event()
        self.h.bus.on_every_outcome(self._on_outcome)
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=True, timeout=2)

    def _on_outcome(self, outcome) -> None:
        if outcome.events and self._wake is not None:
            self._wake.set()

    # ---- the loop -------------------------------------------------------------------------
    def _run(self) -> None:
        failures = 0
        while True:
            try:
                sent = self.step()
                failures = 0
                self._link(True)
                self._maybe_prune()
                if sent >= self.batch:
                    continue                   # more waiting: no pause
                # a batch that carried queues read before its last events is followed, once the
                # burst is over, by a fresh heartbeat: the hub's public figures are at most
                # DESCRIBE_EVERY_S behind the site's, not a heartbeat period
                self._wait(min(self.heartbeat_s, DESCRIBE_EVERY_S) if self._status_stale else self.heartbeat_s)
            except Exception as err:           # noqa: BLE001 - every failure: back off and retry
                self._link(False, err)
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                self._wait(delay, wake=False)

    def _wait(self, seconds: float, *, wake: bool = True) -> None:
        """Sleep until new events are committed (``wake``) or ``seconds`` pass."""
        import gevent

        self._wake.clear()
        if wake and self._pending():
            return
        if wake:
            self._wake.wait(seconds)
            gevent.sleep(0.05)                 # let a burst's other commits join this batch
        else:
            gevent.sleep(seconds)

    def _pending(self) -> bool:
        if self.acked is None:
            return True
        with self.h.storage.read() as db:
            row = db.execute("SELECT max(seq) FROM outbox").fetchone()
        return (row[0] or 0) > self.acked

    def _link(self, up: bool, err: Exception | None = None) -> None:
        if up:
            self.last_ok_at = time.time()
        if up != self.link_up:
            if up:
                log.info("hub %s reachable: acknowledged up to %s", self.site.hub_url, self.acked)
            else:
                log.warning("hub %s unreachable (%s); the site goes on, events wait in the outbox",
                            self.site.hub_url, err)
            self.link_up = up

    # ---- one request ----------------------------------------------------------------------
    def step(self) -> int:
        """Send one batch (empty until the hub's mark is known); returns how many events it held."""
        rows: list[tuple[int, str]] = []
        if self.acked is not None:
            with self.h.storage.read() as db:
                rows = db.execute("SELECT seq, message FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                                  [self.acked, self.batch]).fetchall()
        catalog, digest, status = self._describe(heartbeat=not rows)
        head = {"site": self.site.code, "catalog": catalog if digest != self.hub_catalog else None,
                "catalog_hash": digest, "status": status, "calendar_version": self.calendar_version}
        events = ",".join(f'{{"seq":{seq},"m":{message}}}' for seq, message in rows)
        body = json.dumps(head, ensure_ascii=False)[:-1] + f',"events":[{events}]}}'
        answer = self._post(body.encode("utf-8"))
        self.acked = int(answer["ack"])
        self._check_mark(rows)
        self.hub_catalog = answer.get("catalog_hash")
        calendar = answer.get("calendar")
        if isinstance(calendar, dict):
            self.calendar_version = store_calendar(self.h.storage, calendar, self.calendar_version)
        self.procedures.seen(answer)
        return len(rows)

    def _check_mark(self, rows) -> None:
        """Say so, once, when the hub's mark cannot be this site's: it is past everything this site
        ever wrote (a new or restored database under the same site code), or before what this site
        still has (the hub restored from an old backup after the site pruned its outbox)."""
        with self.h.storage.read() as db:
            low, high = db.execute("SELECT min(seq), max(seq) FROM outbox").fetchone()
        problem = None
        if high is not None and self.acked > high or high is None and self.acked > 0:
            problem = (f"the hub has events up to {self.acked} from site {self.site.code}, but this database only "
                       f"wrote up to {high or 0}: was it replaced? Its new events are NOT sent; give the site a "
                       f"new code or restore its database")
        elif low is not None and self.acked + 1 < low:
            problem = (f"the hub has events only up to {self.acked}, and this site's outbox starts at {low} "
                       f"(older rows were pruned): the events between are lost for the hub")
        if problem and problem != getattr(self, "_problem", None):
            log.error("%s", problem)
        self._problem = problem

    def _describe(self, *, heartbeat: bool) -> tuple[dict, str, dict]:
        """The catalog, its hash and the queues now; during a burst read again only every
        ``DESCRIBE_EVERY_S`` (each batch would otherwise recompute every estimate)."""
        now = time.monotonic()
        if heartbeat or self._described is None or now - self._described[0] >= DESCRIBE_EVERY_S:
            catalog = build_catalog(self.h)
            self._described = (now, catalog, catalog_hash(catalog), live_status(self.h))
            self._status_stale = False
        else:
            self._status_stale = True
        return self._described[1], self._described[2], self._described[3]

    def _post(self, body: bytes) -> dict:
        headers = {"Authorization": f"Bearer {self.site.hub_token}", "Content-Type": "application/json"}
        if len(body) > GZIP_OVER:
            body = gzip.compress(body, 5)
            headers["Content-Encoding"] = "gzip"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            try:
                answer = json.loads(err.read())
            except ValueError:
                answer = {}
            if err.code == 409 and isinstance(answer.get("ack"), int):
                self.acked = answer["ack"]     # the hub's mark: the next batch starts after it
                return answer
            message = (answer.get("error") or {}).get("message", err.reason) if isinstance(answer, dict) else err.reason
            raise HubRefused(f"HTTP {err.code}: {message}") from None

    # ---- housekeeping ---------------------------------------------------------------------
    def _maybe_prune(self) -> None:
        now = time.time()
        if self.acked is None or now - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = now
        with self.h.storage.write() as db:
            db.execute("DELETE FROM outbox WHERE seq <= ? AND at < ?", [self.acked, now - KEEP_DAYS * 86400])
