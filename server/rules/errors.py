"""What a queue rule says when it will not do what was asked. The web layer maps the kind to a status."""
from __future__ import annotations


class RuleError(Exception):
    kind = "invalid"  # invalid | not_found | conflict | forbidden | unavailable

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Invalid(RuleError):
    kind = "invalid"


class NotFound(RuleError):
    kind = "not_found"


class Conflict(RuleError):
    kind = "conflict"


class Forbidden(RuleError):
    kind = "forbidden"
