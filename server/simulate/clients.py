"""The simulation's clients of the real server: HTTP (kiosks and officers) and Socket.IO (hall and
desk displays, visitors' phones). Each records what it saw, with the real time it saw it."""
from __future__ import annotations

import http.client
import json
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("hangdoi.simulate")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Api:
    """One keep-alive HTTP connection to the server (used from one thread only)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 120):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self.requests = 0
        self.failures = 0
        self.latencies: list[float] = []

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None,
             retry_429: int = 20) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        token = token or self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        for attempt in range(3 + retry_429):
            t0 = time.perf_counter()
            sent = False
            try:
                conn = self._connection()
                conn.request(method, "/api/v1" + path, body=data, headers=headers)
                sent = True
                response = conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # a POST that reached the server may have been carried out: never send it twice
                unknown = sent and method == "POST" and not isinstance(
                    exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected))
                if unknown or attempt >= 2:
                    self.failures += 1
                    raise ApiError(0, "no_answer" if unknown else "unreachable", f"{method} {path}: {exc}") from None
                time.sleep(0.2)
                continue
            self.requests += 1
            self.latencies.append(time.perf_counter() - t0)
            if response.status == 429 and attempt < retry_429:      # a rate limit: wait as told
                delay = float(response.getheader("Retry-After") or 1)
                time.sleep(min(max(delay, 0.05), 5))
                continue
            try:
                payload = json.loads(raw) if raw else {}
            except ValueError:
                payload = {}
            if response.status >= 400:
                err = payload.get("error", {}) if isinstance(payload, dict) else {}
                raise ApiError(response.status, err.get("code", "error"), err.get("message", raw[:200].decode(
                    "utf-8", "replace")))
            return payload
        raise ApiError(429, "rate_limited", f"{method} {path}: still rate limited")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def login(url: str, username: str, password: str) -> str:
    api = Api(url)
    try:
        return api.call("POST", "/auth/login", {"username": username, "password": password})["access_token"]
    finally:
        api.close()


def secret_of(ticket: dict) -> str | None:
    qs = parse_qs(urlsplit(ticket.get("status_url") or "").query)
    return (qs.get("t") or [None])[0]


def call_key(call: dict) -> tuple[int, int, bool]:
    """What identifies one call on a screen: (ticket id, desk, recall)."""
    return (int(call["ticket"]["id"]), int(call["desk"]["number"]), bool(call.get("recall")))


class Display:
    """A hall or desk display: a real Socket.IO client with a display token, counting calls."""

    def __init__(self, url: str, name: str, token: str, desk: int | None = None):
        import socketio

        self.url, self.name, self.token, self.desk = url, name, token, desk
        self.calls: Counter = Counter()
        self.first_seen: dict[tuple, float] = {}
        self.connects = 0
        self.disconnects = 0
        self.snapshots = 0
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                   logger=False, engineio_logger=False)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("call", self._on_call)
        self.sio.on("snapshot", self._on_snapshot)

    def _on_connect(self):
        self.connects += 1

    def _on_disconnect(self, *_):
        self.disconnects += 1

    def _on_snapshot(self, *_):
        self.snapshots += 1

    def _on_call(self, data=None):
        now = time.perf_counter()
        try:
            key = call_key(data)
        except (KeyError, TypeError, ValueError):
            return
        with self._lock:
            self.calls[key] += 1
            self.first_seen.setdefault(key, now)

    def connect(self) -> "Display":
        self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        return self

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


@dataclass
class Phone:
    ticket_id: int
    code: str
    acked_status: str | None = None      # the ticket's status in the answer to ``follow``
    calls: Counter = field(default_factory=Counter)
    acked_at: float | None = None         # perf_counter() when that answer came
    error: str | None = None
    sio: object = None
    left: bool = False
    updates: int = 0                      # `ticket` pushes while waiting, after the first (place, estimate)
    last_ahead: int | None = None         # the people ahead it showed last


class Phones:
    """Visitors' phones following their tickets (no token, ``follow`` with the ticket's secret).

    Connecting takes tens of milliseconds, so phones are handled by their own worker threads: the
    simulation's clock never waits for a phone."""

    def __init__(self, url: str, max_open: int, workers: int = 3):
        self.url = url
        self.max_open = max_open
        self.phones: dict[int, Phone] = {}
        self.open = 0
        self.skipped = 0
        self._lock = threading.Lock()
        # one queue per worker, a phone always on the same one: its leave never overtakes its follow
        self._queues: list["queue.Queue[tuple | None]"] = [queue.Queue() for _ in range(workers)]
        self._workers = [threading.Thread(target=self._work, args=(q,), daemon=True, name=f"phones-{i}")
                         for i, q in enumerate(self._queues)]
        for w in self._workers:
            w.start()

    def _put(self, phone: "Phone", job: tuple) -> None:
        self._queues[phone.ticket_id % len(self._queues)].put(job)

    def follow(self, ticket_id: int, code: str, secret: str) -> None:
        with self._lock:
            if self.open >= self.max_open:
                self.skipped += 1
                return
            self.open += 1
            phone = self.phones[ticket_id] = Phone(ticket_id, code)
        self._put(phone, ("follow", phone, secret))

    def leave(self, ticket_id: int) -> None:
        phone = self.phones.get(ticket_id)
        if phone is not None:
            self._put(phone, ("leave", phone, None))

    def _work(self, jobs: "queue.Queue[tuple | None]") -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            kind, phone, secret = job
            try:
                if kind == "follow":
                    self._follow(phone, secret)
                else:
                    self._leave(phone)
            except Exception as exc:      # a phone that fails is counted, never fatal
                phone.error = str(exc)[:200]

    def _follow(self, phone: Phone, secret: str) -> None:
        import socketio

        sio = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
        acked = threading.Event()

        def on_ticket(data=None):
            ticket = (data.get("ticket") or {}) if isinstance(data, dict) else {}
            if phone.acked_status is None and isinstance(data, dict):
                phone.acked_status = ticket.get("status")
                phone.acked_at = time.perf_counter()
                acked.set()
            elif ticket.get("status") == "waiting":
                phone.updates += 1
            if ticket.get("status") == "waiting":
                phone.last_ahead = ticket.get("waiting_ahead")

        def on_call(data=None):
            try:
                key = call_key(data)
            except (KeyError, TypeError, ValueError):
                return
            phone.calls[key] += 1

        def on_error(data=None):
            phone.error = str(data)[:200]
            acked.set()

        sio.on("ticket", on_ticket)
        sio.on("call", on_call)
        sio.on("error", on_error)
        phone.sio = sio
        sio.connect(self.url, transports=["websocket"], wait_timeout=10)
        sio.emit("follow", {"ticket": phone.ticket_id, "t": secret})
        if not acked.wait(10):
            phone.error = "no answer to follow"

    def _leave(self, phone: Phone) -> None:
        if phone.left:
            return
        phone.left = True
        if phone.sio is not None:
            try:
                phone.sio.disconnect()
            except Exception:
                pass
            phone.sio = None
        with self._lock:
            self.open -= 1

    def close(self, timeout: float = 10) -> None:
        for phone in list(self.phones.values()):
            self._put(phone, ("leave", phone, None))
        for q in self._queues:
            q.put(None)
        deadline = time.monotonic() + timeout
        for w in self._workers:
            w.join(max(0.0, deadline - time.monotonic()))
