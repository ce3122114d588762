"""The hub's application factory."""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ..auth.limits import LoginLimiter
from ..auth.tokens import TokenSigner, secret_key
from ..auth.users import User, get_user
from ..clock import Clock
from ..storage import StorageError
from ..web.errors import HTTP_CODES, STORAGE_MESSAGE, ApiError, error_response
from .db import open_hub_storage, sync_sites

log = logging.getLogger("hangdoi.hub")


class HubState:
    """What the hub's requests need: config, storage, clock, sign-in."""

    def __init__(self, config, storage, clock):
        self.config, self.storage, self.clock = config, storage, clock
        self.signer = TokenSigner(secret_key(storage), config.hub.token_ttl_hours * 3600)
        self.login_limiter = LoginLimiter(config.hub.login_attempts_per_minute)

    def user(self, user_id: int) -> User | None:
        return get_user(self.storage, user_id)


def create_hub_app(config, *, storage=None, clock=None) -> Flask:
    storage = storage or open_hub_storage(config.database)
    clock = clock or Clock(config.tz)
    sync_sites(storage, config)
    state = HubState(config, storage, clock)
    from .api import MAX_INGEST_BYTES, api
    from .pages import pages

    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=MAX_INGEST_BYTES, JSON_AS_ASCII=False)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["hangdoi_hub"] = state
    app.register_blueprint(api)
    app.register_blueprint(pages)

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        response = error_response(err.status, err.code, err.message, err.details)
        response.headers.update(err.headers)
        return response

    @app.errorhandler(StorageError)
    def _storage(err):
        log.error("storage unavailable: %s", err)
        return error_response(503, "storage_unavailable", STORAGE_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if not request.path.startswith("/hub/"):
            return err
        status = err.code or 500
        return error_response(status, HTTP_CODES.get(status, "http_error"), err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, sqlite3.OperationalError):
            log.error("database error on %s %s: %s", request.method, request.path, err)
            return error_response(503, "storage_unavailable", STORAGE_MESSAGE)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the hub; it has been logged")

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy",
                                        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                        "frame-ancestors 'none'")
        return response

    return app
