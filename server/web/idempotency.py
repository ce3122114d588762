"""One ticket per visitor's choice: ``POST /api/v1/tickets`` honours an ``Idempotency-Key``
header (1–64 of ``A-Za-z0-9_-``): the same key from the same kiosk or user within 10 minutes gets
the first answer again instead of a second ticket, even while the first request is still
running. The kiosk page sends one key per visitor's choice, so a double tap or a retry after a
lost answer never makes two tickets.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Response, g, request

from ..storage import idempotency as answers
from .auth import current_actor
from .errors import ApiError

log = logging.getLogger("hangdoi.kiosk")

KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class _Claim:
    at: float
    done: threading.Event = field(default_factory=threading.Event)
    body: bytes | None = None
    failed: bool = False


class IssueGuard:
    """Remembers the answer to each (caller, Idempotency-Key) of POST /tickets for ``ttl_s``.

    With ``storage`` (scale-out: several server processes), answers are also kept in the database
    (the ``idempotency`` table, ``storage.idempotency``), so a retry that the load balancer sends to another
    process still gets the first answer. Two copies of one request running at the same moment on
    two processes are not stopped (the kiosk page sends its retries one after another)."""

    def __init__(self, ttl_s: float = 600, max_entries: int = 20_000, wait_s: float = 15, storage=None):
        self.ttl_s, self.max_entries, self.wait_s = ttl_s, max_entries, wait_s
        self.storage = storage
        self._lock = threading.Lock()
        self._claims: "OrderedDict[tuple[str, str], _Claim]" = OrderedDict()
        self._pruned_at = 0.0

    @staticmethod
    def _db_key(scope: tuple[str, str]) -> str:
        return f"{scope[0]}:{scope[1]}"

    def _stored(self, scope: tuple[str, str]) -> bytes | None:
        with self.storage.read() as db:
            body = answers.stored(db, self._db_key(scope), newer_than=time.time() - self.ttl_s)
        return body.encode() if body is not None else None

    def _store(self, scope: tuple[str, str], body: bytes) -> None:
        now = time.time()
        try:
            with self.storage.write() as db:
                answers.store(db, self._db_key(scope), body.decode(), now)
                if now - self._pruned_at > 60:
                    self._pruned_at = now
                    answers.prune(db, now - self.ttl_s)
        except Exception:   # the ticket is issued; only a retry elsewhere would not find its answer
            log.exception("idempotency key could not be stored")

    def _prune(self, now: float) -> None:
        while self._claims:
            key, claim = next(iter(self._claims.items()))
            if len(self._claims) <= self.max_entries and now - claim.at < self.ttl_s:
                return
            self._claims.popitem(last=False)

    def before(self):
        if request.method != "POST" or request.path != "/api/v1/tickets":
            return None
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not KEY_RE.fullmatch(key):
            raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 _ -")
        try:
            actor = current_actor()
        except ApiError:
            return None                     # the endpoint answers 401 itself
        if actor is None:
            return None
        scope = (actor.device or f"user:{actor.user_id}", key)
        if self.storage is not None:
            with self._lock:
                local = scope in self._claims
            stored = None if local else self._stored(scope)
            if stored is not None:                   # answered by another server process
                response = Response(stored, status=201, mimetype="application/json")
                response.headers["Idempotent-Replayed"] = "true"
                return response
        deadline = time.monotonic() + self.wait_s
        while True:
            with self._lock:
                now = time.monotonic()
                self._prune(now)
                claim = self._claims.get(scope)
                if claim is None or claim.failed:
                    self._claims[scope] = _Claim(at=now)
                    g.issue_claim = scope
                    return None
                if claim.body is not None:
                    response = Response(claim.body, status=201, mimetype="application/json")
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
            if not claim.done.wait(max(0.0, deadline - time.monotonic())):
                raise ApiError(409, "request_in_progress", "the same ticket request is still being handled")

    def after(self, response):
        scope = g.pop("issue_claim", None)
        if scope is not None:
            with self._lock:
                claim = self._claims.get(scope)
                if claim is not None:
                    if response.status_code == 201:
                        claim.body = response.get_data()
                    else:
                        claim.failed = True
                    claim.done.set()
            if self.storage is not None and response.status_code == 201:
                self._store(scope, response.get_data())
        return response

    def teardown(self, exc=None):
        scope = g.pop("issue_claim", None)
        if scope is not None:
            with self._lock:
                claim = self._claims.get(scope)
                if claim is not None and claim.body is None:
                    claim.failed = True
                    claim.done.set()
