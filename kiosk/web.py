"""Pages of the entrance kiosk and the visitor's phone, and the print agent's side of Socket.IO.

Routes::

    /kiosk?token=KIOSK_TOKEN            the touchscreen (a wrong token: a polite 403 page)
    /t/ID?t=SECRET                      the visitor's phone page (the ticket's status_url)
    GET /api/v1/tickets/ID/ticket.png   the printed ticket as a PNG (kiosk token or staff)
    GET /api/v1/tickets/ID/qr.png       just its QR code, for the kiosk's screen (same callers)

A kiosk token reads only the tickets that kiosk issued, for ``KIOSK_READ_WINDOW_S`` (10 min) after
issuing: the QR code carries the ticket's secret.

``POST /api/v1/tickets`` also honours an ``Idempotency-Key`` header (1–64 of ``A-Za-z0-9_-``):
the same key from the same kiosk or user within 10 minutes gets the first answer again instead
of a second ticket, even while the first request is still running. The kiosk page sends one key
per visitor's choice, so a double tap or a retry after a lost answer never makes two tickets.

Socket.IO, the print agent (``hangdoi kiosk``, ``kiosk.agent``), connected with the kiosk token::

    agent → server  agent_hello   {"version", "printer", "width", "state"?, "detail"?}
                                  "I print for this kiosk": the server moves the connection out of
                                  the screens' rooms, makes it the kiosk's active agent and sends
                                  every unacknowledged job younger than printing.max_delay_s again
                                  (older ones become "expired": never printed late)
    server → agent  print_job     {"job_id", "ticket": T, "center_name", "priority_label", "source_label",
                                   "attempt", "expires_in_s"}
    agent → server  print_ack     {"job_id", "ok", "error"?, "state"?, "detail"?}
    agent → server  printer_state {"state": online|paper_low|paper_out|offline|unknown, "detail"?}
                                  on every change and every minute

and the screens::

    server → kiosk:ID   printer_state {"kiosk", "state", "detail", "since", "agent": bool}
    server → kiosk:ID   print_status  {"ticket", "code", "job_id", "status": printed|failed|expired, "error"}
    server → staff      device_state  {"device", "kind": "printer", "state", "detail", "since", "updated_at", "agent"}
    kiosk page → server kiosk_status  (no payload): answered with printer_state

A kiosk whose agent is gone counts as "offline" (after a grace period when the server starts,
so agents can reconnect). Printing never blocks issuing: jobs are handed over after the ticket's
commit by a background worker, and an absent agent only leaves the job pending.
"""
from __future__ import annotations

import hmac
import io
import json
import logging
import queue
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, request
from flask_socketio import emit, leave_room

from server import i18n
from server.printing import jobs as pj
from server.rules import PRIORITIES
from server.rules import events as ev
from server.rules.errors import NotFound
from server.storage import get_setting, put_setting
from server.web.auth import STAFF, current_actor
from server.web.endpoint import endpoint
from server.web.errors import ApiError
from server.web.pages import render_page

log = logging.getLogger("hangdoi.kiosk")

pages = Blueprint("kiosk", __name__, static_folder="static", static_url_path="/kiosk-static",
                  template_folder="templates")
api = Blueprint("kiosk_api", __name__, url_prefix="/api/v1")

MAX_TOKEN_LENGTH = 512
KIOSK_IDLE_S = 40          # back to the start screen after this long without a touch
TICKET_SCREEN_S = 30       # how long the ticket stays on screen
KIOSK_READ_WINDOW_S = 600  # a kiosk reads the picture of a ticket it issued for this long
AGENT_GRACE_S = 15.0       # after the server starts, before a kiosk without agent counts as offline
MONITOR_INTERVAL_S = 1.0
EXPIRE_INTERVAL_S = 15.0
SWEEP_INTERVAL_S = 2.0     # scale-out: jobs of this process's agents still waiting are handed over
RESEND_AFTER_S = 10.0      # scale-out: a job sent but not acknowledged after this long is sent again


def _hub():
    return current_app.extensions["hangdoi"]


# ---- pages ------------------------------------------------------------------------------------
def _kiosk_for(token: str | None):
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = _hub().devices.find(token)
    return device if device is not None and device.kind == "kiosk" else None


@pages.get("/kiosk")
def kiosk_page():
    hub = _hub()
    device = _kiosk_for(request.args.get("token"))
    if device is None:
        return render_page("kiosk/error.html", status=403, center_name=hub.config.center.name,
                           **_error_texts("kiosk.forbidden"))
    config = {
        "kiosk": {"id": device.id, "name": device.name},
        "center": {"name": hub.config.center.name, "timezone": hub.config.center.timezone},
        "idle_s": KIOSK_IDLE_S,
        "ticket_screen_s": TICKET_SCREEN_S,
        "priorities": list(PRIORITIES),
        "socket_path": "/socket.io",
        "bookings": _takes_bookings(hub.config),
    }
    return render_page("kiosk/kiosk.html", page_config=config, center_name=hub.config.center.name,
                       bookings=config["bookings"])


def _takes_bookings(config) -> bool:
    """Whether the kiosk shows "Tôi đã đặt lịch": a service of the site takes bookings
    (``booking_per_slot``). Its scanner reads bookings and ID cards either way."""
    return any((getattr(s, "booking_per_slot", 0) or 0) > 0 for a in config.agencies for s in a.services)


@pages.get("/t/<path:ref>")
def phone_page(ref: str):
    """A mangled link (not a ticket number, a wrong secret) gets the same polite page."""
    hub = _hub()
    ticket_id = int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 9 else 0
    secret = request.args.get("t") or ""
    ticket = None
    if ticket_id > 0 and 0 < len(secret) <= 64:
        try:
            ticket, real = hub.service.ticket(ticket_id)
        except NotFound:
            ticket, real = None, ""
        if ticket is not None and not hmac.compare_digest(secret.encode(), real.encode()):
            ticket = None
    if ticket is None:
        response = render_page("kiosk/error.html", status=404, center_name=hub.config.center.name,
                               **_error_texts("phone.not_found"))
    else:
        config = {"ticket": ticket, "secret": secret, "center": {"name": hub.config.center.name},
                  "socket_path": "/socket.io"}
        response = render_page("kiosk/phone.html", page_config=config, ticket=ticket, texts=phone_texts(ticket),
                               center_name=hub.config.center.name)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _error_texts(prefix: str) -> dict:
    """The polite error page's words: Vietnamese, then English in one line."""
    return {"title": i18n.t(prefix + "_title"), "reason": i18n.t(prefix + "_reason"), "hint": i18n.t(prefix + "_hint"),
            "english": " ".join(i18n.t(prefix + part, "en") for part in ("_title", "_reason", "_hint"))}


def phone_texts(ticket: dict, lang: str = i18n.DEFAULT) -> dict:
    """What the phone page says about a ticket (``phone.js`` says the same, from the same catalog,
    when it changes)."""
    desk = ticket.get("desk")
    status = ticket["status"]
    if f"phone.{status}.title" in i18n.catalog():
        title, text = (i18n.t(f"phone.{status}.{part}", lang, desk=desk) for part in ("title", "text"))
    else:
        title, text = status, ""
    return {"title": title, "text": text, "wait": i18n.wait(ticket.get("estimated_wait_s"), lang, ticket.get("estimate"))}


@pages.after_request
def _static_headers(response):
    if request.path.startswith("/kiosk-static/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---- ticket pictures --------------------------------------------------------------------------
def ticket_print_for(hub, ticket_id: int):
    """The TicketPrint of a ticket, as its print agent would print it now."""
    from .agent import ticket_print

    with hub.storage.read() as db:
        job = {"id": 0, "ticket": ticket_id, "attempts": 0, "created_at": hub.clock.now()}
        payload = pj.job_payload(db, hub.service.ctx, hub.config.center.name, job, hub.clock.now(), 0)
    if payload is None:
        raise ApiError(404, "unknown_ticket", f"there is no ticket {ticket_id}")
    return ticket_print(payload), payload["ticket"]


def _readable_ticket(actor, ticket_id: int):
    """Staff read any ticket's picture; a kiosk only those it issued in the last
    ``KIOSK_READ_WINDOW_S`` (its screen shows the QR code right after issuing): a stolen kiosk
    tablet's token cannot collect the secrets of the day's earlier visitors."""
    hub = _hub()
    with hub.storage.read() as db:
        row = db.execute("SELECT kiosk, issued_at FROM tickets WHERE id = ?", [ticket_id]).fetchone()
    if row is None:
        raise ApiError(404, "unknown_ticket", f"there is no ticket {ticket_id}")
    if actor.role == "kiosk" and row[0] != actor.device:
        raise ApiError(403, "forbidden", f"ticket {ticket_id} was not issued by this kiosk")
    if actor.role == "kiosk" and not -60 <= hub.clock.now() - row[1] <= KIOSK_READ_WINDOW_S:
        raise ApiError(403, "forbidden", f"ticket {ticket_id} is no longer shown on this kiosk")
    return ticket_print_for(hub, ticket_id)


def _png(data: bytes) -> Response:
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"   # the QR code carries the ticket's secret
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/tickets/<id:ticket_id>/ticket.png")
@endpoint("The printed ticket as a picture (1-bit PNG, the same drawing the printer prints)",
          auth=("kiosk",) + STAFF, responses={200: "image/png"}, errors=(400, 404), produces="image/png",
          query={"width": "paper width in dots: 576 (80 mm, the default) or 384 (58 mm)"}, tag="tickets",
          description="A kiosk token reads only the tickets issued by that kiosk, for 10 minutes.")
def ticket_png_view(actor, ticket_id: int):
    from .ticket_layout import ticket_png

    width = request.args.get("width", "576")
    if width not in ("576", "384"):
        raise ApiError(400, "invalid_width", "width must be 576 (80 mm paper) or 384 (58 mm paper)")
    t, _ = _readable_ticket(actor, ticket_id)
    return _png(off_the_loop(ticket_png, t, int(width)))


_render_pool = None
RENDER_THREADS = 2


def off_the_loop(fn, *args):
    """Under gevent (``hangdoi serve``), run a drawing in one of ``RENDER_THREADS`` real threads of
    its own, so that the server's loop goes on answering (``/health``, screens, kiosks) while a
    ticket with a long name is drawn, and the storage's commits never queue behind drawings in the
    hub's threadpool. Directly in tests' threaded servers."""
    global _render_pool
    h = _hub()
    if h.realtime is None or h.realtime.socketio.async_mode != "gevent":
        return fn(*args)
    from gevent.threadpool import ThreadPool

    if _render_pool is None:
        _render_pool = ThreadPool(RENDER_THREADS)
    return _render_pool.apply(fn, args)


@api.get("/tickets/<id:ticket_id>/qr.png")
@endpoint("The QR code of a ticket's status_url (PNG), for the kiosk's screen",
          auth=("kiosk",) + STAFF, responses={200: "image/png"}, errors=(404,), produces="image/png", tag="tickets",
          description="A kiosk token reads only the tickets issued by that kiosk, for 10 minutes.")
def ticket_qr_view(actor, ticket_id: int):
    from PIL import Image

    from .ticket_layout import WHITE, qr_image, qr_modules

    _, ticket = _readable_ticket(actor, ticket_id)
    url = ticket["status_url"]
    module = max(4, 280 // qr_modules(url))
    symbol = qr_image(url, module)
    quiet = 4 * module
    img = Image.new("1", (symbol.width + 2 * quiet, symbol.height + 2 * quiet), WHITE)
    img.paste(symbol, (quiet, quiet))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return _png(buf.getvalue())


# ---- one ticket per visitor's choice: Idempotency-Key on POST /tickets ------------------------
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
    (``settings``, ``idem:CALLER:KEY``), so a retry that the load balancer sends to another
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
        return f"idem:{scope[0]}:{scope[1]}"

    def _stored(self, scope: tuple[str, str]) -> bytes | None:
        with self.storage.read() as db:
            raw = get_setting(db, self._db_key(scope))
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            if time.time() - value["at"] < self.ttl_s:
                return value["body"].encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return None

    def _store(self, scope: tuple[str, str], body: bytes) -> None:
        now = time.time()
        value = json.dumps({"at": now, "body": body.decode()}, ensure_ascii=False)
        try:
            with self.storage.write() as db:
                put_setting(db, self._db_key(scope), value)
                if now - self._pruned_at > 60:
                    self._pruned_at = now
                    db.execute("DELETE FROM settings WHERE key LIKE 'idem:%' AND json_extract(value, '$.at') < ?",
                               [now - self.ttl_s])
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


# ---- the print agent's side -------------------------------------------------------------------
class PrintRelay:
    """Hands each kiosk's print jobs to its agent and records the agent's answers and printer states."""

    def __init__(self, hub):
        self.hub = hub
        self.sio = hub.realtime.socketio
        self.max_delay_s = hub.config.printing.max_delay_s
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._send_lock = threading.RLock()
        self.agents: dict[str, str] = {}          # sid → kiosk id
        self.active: dict[str, str] = {}          # kiosk id → sid that gets the jobs
        self._outbox: "queue.Queue[int | None]" = queue.Queue()
        self._kiosks = {k.id for k in hub.config.kiosks}
        hub.subscribers.append(self.on_outcome)
        for name, handler in (("agent_hello", self.on_hello), ("print_ack", self.on_ack),
                              ("printer_state", self.on_state), ("kiosk_status", self.on_kiosk_status)):
            self.sio.on_event(name, handler)
        self.sio.start_background_task(self._send_loop)
        self.sio.start_background_task(self._monitor_loop)

    # -- helpers
    def _client(self):
        realtime = self.hub.realtime
        return realtime.clients.get(request.sid) if realtime is not None else None

    def _agent_kiosk(self) -> str | None:
        with self._lock:
            return self.agents.get(request.sid)

    def _now(self) -> float:
        return self.hub.clock.now()

    # -- issuing → jobs
    def on_outcome(self, outcome) -> None:
        for event in outcome.events:
            if event.type == ev.ISSUED and event.ticket is not None:
                self._outbox.put(event.ticket)

    def _send_loop(self) -> None:
        while True:
            ticket_id = self._outbox.get()
            if ticket_id is None:
                return
            try:
                self._send_new(ticket_id)
            except Exception:
                log.exception("print job of ticket %s could not be handed over", ticket_id)

    def _send_new(self, ticket_id: int) -> None:
        with self._send_lock:                       # one sender at a time: a job is never sent twice at once
            with self.hub.storage.read() as db:
                job = pj.job_for_ticket(db, ticket_id)
            if job is None or job["status"] != "pending":
                return                              # a staff-issued ticket, or already handed over
            with self._lock:
                sid = self.active.get(job["kiosk"])
            if sid is not None and sid not in self.hub.realtime.clients:
                self._check_agents()                # the agent just left: do not talk to a ghost
                with self._lock:
                    sid = self.active.get(job["kiosk"])
            if sid is None and self.hub.realtime.scale_out:
                # scale-out: the agent may be connected to another process; the emit to its sid
                # goes there through the message queue
                sid = self.hub.realtime.remote_agents().get(job["kiosk"])
            if sid is None:
                return                              # sent when the kiosk's agent connects
            self._deliver(sid, [job])

    def _deliver(self, sid: str, jobs: list[dict]) -> None:
        now = self._now()
        with self.hub.storage.read() as db:
            payloads = [pj.job_payload(db, self.hub.service.ctx, self.hub.config.center.name, job, now,
                                       self.max_delay_s) for job in jobs]
        for payload in payloads:
            if payload is not None:
                self.sio.emit("print_job", payload, to=sid)
        with self.hub.storage.write() as db:
            for payload in payloads:
                if payload is not None:
                    pj.mark_sent(db, payload["job_id"], now)

    # -- agent events
    def on_hello(self, data=None):
        client = self._client()
        if client is None or client.role != "kiosk" or not client.device:
            emit("error", {"code": "forbidden", "message": "only a kiosk's print agent may say agent_hello"})
            return
        kiosk = client.device
        info = data if isinstance(data, dict) else {}
        for room in (f"kiosk:{kiosk}", "kiosks", "queues"):   # the agent needs none of the screens' pushes
            leave_room(room)
        sid = request.sid
        with self._send_lock:          # no new job reaches this agent before the backlog has
            with self._lock:
                previous = self.active.get(kiosk)
                self.agents[sid] = kiosk
                self.active[kiosk] = sid
            if previous and previous != sid and previous in self.hub.realtime.clients:
                log.warning("kiosk %s: a second print agent connected; the newest one prints", kiosk)
            self.hub.realtime.presence_changed()
            log.info("kiosk %s: print agent connected (%s, %s dots)", kiosk,
                     str(info.get("printer", "?"))[:120], info.get("width", "?"))
            with self.hub.storage.write() as db:
                expired = pj.expire_old(db, self._now(), self.max_delay_s, kiosk)
                todo = pj.open_jobs(db, kiosk, self._now(), self.max_delay_s)
            if expired:
                log.info("kiosk %s: %d print jobs expired unprinted (older than %ss)", kiosk, len(expired),
                         self.max_delay_s)
            if todo:
                log.info("kiosk %s: sending %d unprinted jobs again", kiosk, len(todo))
                self._deliver(sid, todo)
        state = info.get("state")
        self._apply_state(kiosk, state if state in pj.PRINTER_STATES else "unknown", info.get("detail"), force=True)
        return {"ok": True, "kiosk": kiosk, "resent": len(todo), "max_delay_s": self.max_delay_s}

    def on_ack(self, data=None):
        kiosk = self._agent_kiosk()
        if kiosk is None:
            emit("error", {"code": "forbidden", "message": "say agent_hello first"})
            return
        if not isinstance(data, dict) or not isinstance(data.get("job_id"), int) or isinstance(data.get("job_id"), bool):
            emit("error", {"code": "invalid_ack", "message": "print_ack needs job_id (integer) and ok (boolean)"})
            return
        ok = data.get("ok") is True
        error = data.get("error") if isinstance(data.get("error"), str) else None
        with self.hub.storage.write() as db:
            job = pj.acknowledge(db, data["job_id"], kiosk, ok, error, self._now())
            code = db.execute("SELECT code FROM tickets WHERE id = ?", [job["ticket"]]).fetchone()[0] if job else None
        if job is None:
            emit("error", {"code": "unknown_job", "message": f"job {data['job_id']} is not this kiosk's"})
            return
        if ok:
            log.info("kiosk %s: printed %s (job %s)", kiosk, code, job["id"])
        else:
            log.warning("kiosk %s: %s not printed (job %s): %s", kiosk, code, job["id"], error)
        self.sio.emit("print_status", {"ticket": job["ticket"], "code": code, "job_id": job["id"],
                                       "status": job["status"], "error": job["error"]}, to=f"kiosk:{kiosk}")
        state = data.get("state")
        if state in pj.PRINTER_STATES:
            self._apply_state(kiosk, state, data.get("detail") if not ok else None)

    def on_state(self, data=None):
        kiosk = self._agent_kiosk()
        if kiosk is None:
            emit("error", {"code": "forbidden", "message": "say agent_hello first"})
            return
        state = data.get("state") if isinstance(data, dict) else None
        if state not in pj.PRINTER_STATES:
            emit("error", {"code": "invalid_state", "message": f"state must be one of {', '.join(pj.PRINTER_STATES)}"})
            return
        self._apply_state(kiosk, state, data.get("detail"))

    def on_kiosk_status(self, data=None):
        client = self._client()
        if client is None or client.role != "kiosk" or not client.device:
            return
        emit("printer_state", self.printer_state(client.device))

    # -- printer states
    def _apply_state(self, kiosk: str, state: str, detail, force: bool = False) -> None:
        detail = detail if isinstance(detail, str) else None
        with self.hub.storage.write() as db:
            changed = pj.set_device_state(db, kiosk, state, detail, self._now())
        if changed or force:
            self._push_state(kiosk)

    def has_agent(self, kiosk: str) -> bool:
        """Whether the kiosk's print agent is connected (scale-out: to any process)."""
        with self._lock:
            if kiosk in self.active:
                return True
        return self.hub.realtime.scale_out and kiosk in self.hub.realtime.remote_agents()

    def printer_state(self, kiosk: str) -> dict:
        """The printer as the kiosk's screen should see it (no agent connected: offline)."""
        with self.hub.storage.read() as db:
            row = pj.device_state(db, kiosk)
        agent = self.has_agent(kiosk)
        if agent:
            state, detail = (row["state"], row["detail"]) if row else ("unknown", None)
        else:
            state = "offline"
            detail = row["detail"] if row and row["state"] == "offline" and row["detail"] else "print agent not connected"
        return {"kiosk": kiosk, "state": state, "detail": detail,
                "since": self.hub.clock.iso(row["updated_at"]) if row else None, "agent": agent}

    def _push_state(self, kiosk: str) -> None:
        state = self.printer_state(kiosk)
        self.sio.emit("printer_state", state, to=f"kiosk:{kiosk}")
        with self.hub.storage.read() as db:
            row = pj.device_state(db, kiosk)
        self.sio.emit("device_state", {"device": kiosk, "kind": "printer", "state": state["state"],
                                       "detail": state["detail"], "since": state["since"],
                                       "updated_at": row["updated_at"] if row else None, "agent": state["agent"]},
                      to="staff")

    # -- housekeeping: agents that left, jobs too old
    def _monitor_loop(self) -> None:
        last_expire = last_sweep = 0.0
        while True:
            self.sio.sleep(MONITOR_INTERVAL_S)
            try:
                self._check_agents()
                if self.hub.realtime.scale_out and time.monotonic() - last_sweep >= SWEEP_INTERVAL_S:
                    last_sweep = time.monotonic()
                    self._sweep()
                if time.monotonic() - last_expire >= EXPIRE_INTERVAL_S:
                    last_expire = time.monotonic()
                    with self.hub.storage.write() as db:
                        expired = pj.expire_old(db, self._now(), self.max_delay_s)
                    if expired:
                        log.info("%d print jobs expired unprinted (no agent printed them within %ss)",
                                 len(expired), self.max_delay_s)
            except Exception:
                log.exception("print agent check failed")

    def _sweep(self) -> None:
        """Scale-out: hand this process's agents the jobs still pending (issued on another process
        while this agent's arrival was not yet known there) or sent and not answered for
        ``RESEND_AFTER_S`` (sent to an agent that had just moved). The agent prints a job once
        whatever number of times it gets it (it answers repeats from its memory)."""
        with self._lock:
            active = dict(self.active)
        if not active:
            return
        now = self._now()
        with self._send_lock:
            with self.hub.storage.read() as db:
                rows = db.execute(
                    f"SELECT id FROM print_jobs WHERE kiosk IN ({', '.join('?' * len(active))}) AND "
                    "(status = 'pending' OR (status = 'sent' AND sent_at < ?)) AND created_at >= ? ORDER BY id",
                    [*active, now - RESEND_AFTER_S, now - self.max_delay_s]).fetchall()
                jobs = [pj.job_row(db, r[0]) for r in rows]
            by_kiosk: dict[str, list[dict]] = {}
            for job in jobs:
                if job is not None:
                    by_kiosk.setdefault(job["kiosk"], []).append(job)
            for kiosk, todo in by_kiosk.items():
                with self._lock:
                    sid = self.active.get(kiosk)
                if sid is not None and sid in self.hub.realtime.clients:
                    self._deliver(sid, todo)

    def _check_agents(self) -> None:
        clients = self.hub.realtime.clients
        lost: list[str] = []
        with self._lock:
            for sid, kiosk in list(self.agents.items()):
                if sid in clients:
                    continue
                del self.agents[sid]
                if self.active.get(kiosk) == sid:
                    others = [s for s, k in self.agents.items() if k == kiosk]
                    if others:
                        self.active[kiosk] = others[-1]
                    else:
                        del self.active[kiosk]
                        lost.append(kiosk)
        if lost:
            self.hub.realtime.presence_changed()
        for kiosk in lost:
            log.warning("kiosk %s: print agent disconnected", kiosk)
            if self.hub.realtime.scale_out and self.has_agent(kiosk):
                continue                            # it is back already, on another process
            self._apply_state(kiosk, "offline", "print agent not connected", force=True)
        if time.monotonic() - self.started >= AGENT_GRACE_S:
            for kiosk in self._kiosks:
                if self.has_agent(kiosk):
                    continue
                with self.hub.storage.read() as db:
                    row = pj.device_state(db, kiosk)
                if row is not None and row["state"] != "offline":
                    self._apply_state(kiosk, "offline", "print agent not connected")


def register(app, hub) -> None:
    """Called by the application factory: add this package's routes and Socket.IO handlers."""
    app.register_blueprint(pages)
    app.register_blueprint(api)
    guard = IssueGuard(storage=hub.storage if hub.config.server.message_queue else None)
    app.before_request(guard.before)
    app.after_request(guard.after)
    app.teardown_request(guard.teardown)
    hub.issue_guard = guard
    if hub.realtime is not None:
        hub.printing = PrintRelay(hub)
