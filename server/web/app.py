"""The application factory."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..auth.devices import DeviceRegistry
from ..auth.tokens import TokenSigner, secret_key
from ..auth.users import User, get_user
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
            kiosk_tickets_per_minute=config.limits.kiosk_tickets_per_minute))
        self.devices = DeviceRegistry(config)
        self.secret_key = secret_key(storage)
        self.signer = TokenSigner(self.secret_key, config.queue.token_ttl_hours * 3600)
        self.subscribers: list[Callable[[Outcome], None]] = []
        self._openapi: dict | None = None
        self.app: Flask | None = None
        self.voice = None
        self.realtime = None
        self.subscribers.append(log_outcome)

    def user(self, user_id: int) -> User | None:
        return get_user(self.storage, user_id)

    def publish(self, outcome: Outcome) -> None:
        """Hand a committed outcome to whoever pushes it on (Socket.IO, print jobs)."""
        for subscriber in self.subscribers:
            try:
                subscriber(outcome)
            except Exception:  # a push must never undo or fail a committed change
                log.exception("a subscriber failed on %s", [e.type for e in outcome.events])

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

    from .announcements import audio, make_voice
    from .api import api
    from .realtime import Realtime

    if voice:
        hub.voice = make_voice(config)
    app.register_blueprint(api)
    app.register_blueprint(audio)
    register_error_handlers(app)
    hub.realtime = Realtime(app, hub, async_mode)
    import counter_display.web
    import kiosk.web
    from . import pages, supervision

    for register in (pages.register, supervision.register, counter_display.web.register, kiosk.web.register):
        register(app, hub)
    from .lookup import register as register_lookup; register_lookup(app, hub)  # noqa: E702 — issue 14, lookup
    return app


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
