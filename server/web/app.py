"""The application factory."""
from __future__ import annotations

import base64
import binascii
import io
import json
import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..auth.devices import DeviceRegistry
from ..auth.tokens import TokenSigner, secret_key
from ..auth.users import User, get_user
from ..bus import MessageBus
from ..clock import Clock
from ..config import Config
from ..rules import Outcome, QueueService, RuleContext
from ..storage import Storage
from ..storage.sync import sync_config
from .errors import register_error_handlers

log = logging.getLogger("hangdoi")

MAX_BODY_BYTES = 64 * 1024


class BoundedInt(IntegerConverter):
    """An integer path segment small enough for SQLite (a 40-digit id is a 404, not a crash)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 31 - 1)
        super().__init__(map, *args, **kwargs)


class Hub:
    """Everything the web layer needs, built once per app: config, storage, rules, auth."""

    def __init__(self, config: Config, storage: Storage, clock: Clock):
        self.config = config
        self.storage = storage
        self.clock = clock
        self.service = QueueService(storage, RuleContext(
            clock=clock, public_url=config.center.public_url,
            priority_max_in_row=config.queue.priority_max_in_row,
            default_service_s=config.queue.default_service_min * 60,
            kiosk_tickets_per_minute=config.limits.kiosk_tickets_per_minute,
            opening_hours=config.opening_hours))
        self.devices = DeviceRegistry(config)
        self.secret_key = secret_key(storage)
        self.signer = TokenSigner(self.secret_key, config.queue.token_ttl_hours * 3600)
        self.bus = MessageBus()                       # committed outcome → handlers (server/bus.py)
        self._openapi: dict | None = None
        # the collaborators, each set once by create_app (None where that part is off)
        self.app: Flask | None = None
        self.voice = None                             # server.announce: the hall's voice
        self.realtime = None                          # web.realtime.Realtime: Socket.IO pushes
        self.printing = None                          # printing.relay.PrintRelay: the print agents
        self.issue_guard = None                       # web.idempotency.IssueGuard: Idempotency-Key
        self.login_limiter = None                     # auth.limits.LoginLimiter (web.api)
        self.bus.on_every_outcome(log_outcome)

    def user(self, user_id: int) -> User | None:
        return get_user(self.storage, user_id)

    def publish(self, outcome: Outcome) -> None:
        """Hand a committed outcome to its handlers (Socket.IO pushes, print jobs, the sender)."""
        self.bus.publish(outcome)

    def openapi(self) -> dict:
        if self._openapi is None:
            from .openapi import build_openapi
            self._openapi = build_openapi(self.app)
        return self._openapi


def create_app(config: Config, *, storage: Storage | None = None, clock: Clock | None = None,
               sync: bool = True, async_mode: str = "threading", voice: bool = True) -> Flask:
    """Build the app. ``hangdoi serve`` passes ``async_mode="gevent"``; tests keep threads."""
    storage = storage or Storage(config.server.database)
    clock = clock or Clock(config.tz)
    if sync:
        report = sync_config(storage, config)
        log.info("config synced: %s", report.summary())
    hub = Hub(config, storage, clock)

    app = Flask(__name__, static_folder=str(Path(__file__).resolve().parent.parent / "static"),
                static_url_path="/static")
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_AS_ASCII=False, SECRET_KEY=hub.secret_key)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.converters["int"] = BoundedInt
    app.url_map.converters["id"] = BoundedInt
    app.extensions["hangdoi"] = hub
    hub.app = app

    from ..announce import voice_for
    from .audio import audio
    from .api import api
    from .realtime import Realtime

    if voice:
        hub.voice = voice_for(config)
    app.register_blueprint(api)
    app.register_blueprint(audio)
    register_error_handlers(app)
    hub.realtime = Realtime(app, hub, async_mode)
    from ..printing.relay import PrintRelay
    from . import admin_api, display_pages, kiosk_pages, pages, ratings_api, reports_api, supervision, ticket_images
    from .idempotency import IssueGuard

    for register in (pages.register, display_pages.register):
        register(app, hub)
    for blueprint in (supervision.api, supervision.pages, reports_api.api, ratings_api.api, admin_api.api):
        app.register_blueprint(blueprint)
    app.register_blueprint(kiosk_pages.pages)           # /kiosk, /t/ID (the phone), /kiosk-static
    app.register_blueprint(ticket_images.api)           # ticket.png, qr.png
    guard = IssueGuard(storage=hub.storage if hub.config.server.message_queue else None)
    app.before_request(guard.before)                    # Idempotency-Key on POST /tickets
    app.after_request(guard.after)
    app.teardown_request(guard.teardown)
    hub.issue_guard = guard
    if hub.realtime is not None:
        hub.printing = PrintRelay(hub)                  # the print agents' side of Socket.IO
    from .lookup import register as register_lookup; register_lookup(app, hub)  # noqa: E702 — issue 14, lookup
    # outermost, in front of Flask-SocketIO's own middleware: Engine.IO never sees a bad POST
    app.wsgi_app = TransportGuard(app.wsgi_app, hub.realtime.socketio.server.eio.max_http_buffer_size)
    return app


# ---- the Socket.IO transport's front door ---------------------------------------------------
#: Engine.IO packet types a client may POST (close, pong, message, upgrade); base64 binary is "b…"
CLIENT_PACKET_TYPES = frozenset("1345")
MAX_PACKETS_PER_POST = 16           # engineio.payload.Payload.max_decode_packets
client_errors = logging.getLogger("hangdoi.client")


class TransportGuard:
    """WSGI middleware that answers a bad Socket.IO long-polling POST itself, at once.

    Why: python-engineio (4.x) answers an over-long POST (more than ``max_http_buffer_size``) or
    one holding a packet type it does not expect by calling ``Server.disconnect(sid)`` from the
    request, which closes the session with ``wait=True``: ``queue.join()`` until a GET poll takes
    the CLOSE packet. A client that never polls (an attacker) leaves that request waiting for good:
    no answer, its socket stuck in CLOSE-WAIT, one file descriptor lost per POST, until the process
    reaches its file limit and stops serving kiosks. A body that is not UTF-8 or not Engine.IO
    logs a traceback in engineio instead.

    So, before engineio: a POST to ``/socket.io/`` must say its length (else 411) and stay within
    the frame limit (else 413, and the connection is closed without reading the body); the body is
    read with that bound (a short body, the client gone, is a 400) and must be an Engine.IO
    payload a client may send (else 400). Engineio then gets the body already read. The errors
    are logged briefly on ``hangdoi.client`` (one line each, rate-limited by ``server.logs``)."""

    def __init__(self, app, max_bytes: int, prefix: str = "/socket.io"):
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if not declared.isdigit():
            return self._refuse(environ, start_response, 411, "length_required",
                                "a Socket.IO POST must carry a Content-Length", close=True)
        length = int(declared)
        if length > self.max_bytes:
            return self._refuse(environ, start_response, 413, "payload_too_large",
                                f"a Socket.IO POST may carry at most {self.max_bytes} bytes", close=True)
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            return self._refuse(environ, start_response, 400, "bad_request", "the body ended early", close=True)
        problem = engineio_payload_problem(body)
        if problem:
            return self._refuse(environ, start_response, 400, "bad_request", f"not an Engine.IO payload: {problem}")
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _refuse(self, environ, start_response, status: int, code: str, message: str, *, close: bool = False):
        client_errors.warning("client error from %s: %s %s: %s (%s)", environ.get("REMOTE_ADDR", "?"),
                              environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), message, status)
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if close:
            headers.append(("Connection", "close"))
            _forget_unread_body(environ)
        reason = {400: "Bad Request", 411: "Length Required", 413: "Payload Too Large"}[status]
        start_response(f"{status} {reason}", headers)
        return [body]


def _forget_unread_body(environ) -> None:
    """After a refusal that closes the connection, do not read the rest of the body: gevent's
    pywsgi would otherwise read (and discard) all that the client declared, as long as it takes.
    Its ``Input`` counts what was read in ``position``; saying the body ends there skips that."""
    stream = environ.get("wsgi.input")
    if type(stream).__module__ == "gevent.pywsgi" and hasattr(stream, "position"):
        stream.content_length = stream.position


def engineio_payload_problem(body: bytes) -> str | None:
    """Why ``body`` is not an Engine.IO v4 payload a client may POST, or None when it is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text:
        return None
    if text.startswith("d="):
        return "JSONP is not served"
    packets = text.split("\x1e")
    if len(packets) > MAX_PACKETS_PER_POST:
        return f"more than {MAX_PACKETS_PER_POST} packets"
    for packet in packets:
        if not packet:
            return "an empty packet"
        if packet[0] == "b":
            try:
                base64.b64decode(packet[1:], validate=True)
            except (binascii.Error, ValueError):
                return "bad base64"
        elif packet[0] not in CLIENT_PACKET_TYPES:
            return f"packet type {packet[0]!r}"
    return None


def log_outcome(outcome: Outcome) -> None:
    """One log line per thing that happened: ``called A012 at desk 12``."""
    for event in outcome.events:
        words = [event.type, event.data.get("code") or ""]
        if event.desk is not None:
            words.append(f"at desk {event.desk}")
        if event.type == "issued":
            words.append(f"({event.service}{', ' + event.data['priority'] if event.data.get('priority') else ''})")
        elif event.type == "transferred":
            words.append(f"({event.data['from_service']} → {event.data['to_service']})")
        elif event.type == "paused":
            words.append(f"— {event.data.get('reason', '')}")
        log.info("%s", " ".join(w for w in words if w))
