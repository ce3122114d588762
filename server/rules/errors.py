"""What a queue rule says when it will not do what was asked. The web layer maps the kind to a status."""
from __future__ import annotations


class RuleError(Exception):
    kind = "invalid"  # invalid | not_found | conflict | forbidden | unavailable | rate_limited

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


class RateLimited(RuleError):
    """Too many requests of one caller in a short time; ``retry_after_s`` says when to try again."""
    kind = "rate_limited"

    def __init__(self, code: str, message: str, retry_after_s: int):
        super().__init__(code, message)
        self.retry_after_s = retry_after_s
