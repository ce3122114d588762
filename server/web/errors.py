"""Every error answer has one shape: ``{"error": {"code": "snake_case", "message": "..."}}``."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..rules.errors import RuleError
from ..storage import StorageError

log = logging.getLogger("hangdoi.web")

STORAGE_MESSAGE = ("Hệ thống tạm thời không ghi được dữ liệu (đĩa đầy hoặc chỉ đọc); xin thử lại sau. "
                   "(The database cannot be written now: disk full or read-only; try again shortly.)")
STATUS_OF_KIND = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409, "unavailable": 503,
                  "rate_limited": 429}

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: list | None = None):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        response = error_response(err.status, err.code, err.message, err.details)
        response.headers.update(err.headers)
        return response

    @app.errorhandler(RuleError)
    def _rule_error(err: RuleError):
        response = error_response(STATUS_OF_KIND.get(err.kind, 400), err.code, err.message,
                                  getattr(err, "details", None))
        retry_after = getattr(err, "retry_after_s", None)
        if retry_after is not None:                # 429: when the caller may try again
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    @app.errorhandler(StorageError)
    def _storage_error(err: StorageError):
        log.error("storage unavailable: %s", err)
        return error_response(503, "storage_unavailable", STORAGE_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if not _wants_json():
            return err
        status = err.code or 500
        return error_response(status, HTTP_CODES.get(status, "http_error"), err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        import sqlite3

        if isinstance(err, sqlite3.OperationalError):
            log.error("database error on %s %s: %s", request.method, request.path, err)
            return error_response(503, "storage_unavailable", STORAGE_MESSAGE)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"
