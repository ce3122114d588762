"""Keep secrets out of the log: device tokens and ticket secrets travel in URLs (``/kiosk?token=``,
``/display/hall?token=``, ``/t/12?t=``), access tokens in ``Authorization`` headers. Whatever
writes a URL or a header into the log (the ``--access-log`` lines, a library's error message)
goes through ``RedactSecrets`` on the root handlers, which masks those values."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

MASK = "***"
PATTERNS = (
    re.compile(r"(?i)([?&;](?:token|t|access_token|password)=)[^&\s\"'#]+"),   # query strings
    re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]+"),                          # Authorization values
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+(?=@)"),            # passwords in URLs (redis://:pw@)
)


def redact(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactSecrets(logging.Filter):
    """Masks tokens and ticket secrets in the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:          # a broken record is the logging module's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class CenterTime(logging.Formatter):
    """Timestamps in the center's time zone with its offset (``2026-12-04 10:30:01,123+07:00``),
    the time the screens show, whatever the machine's own zone (often UTC on a server)."""

    def __init__(self, fmt: str | None, timezone: str):
        super().__init__(fmt)
        self.zone = ZoneInfo(timezone)

    def formatTime(self, record, datefmt=None):   # noqa: N802 (logging's name)
        at = datetime.fromtimestamp(record.created, self.zone)
        return f"{at:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}{at.isoformat()[-6:]}"


def install(logger: logging.Logger | None = None, timezone: str | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default); with
    ``timezone``, their timestamps are in that zone (``CenterTime``)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
        if timezone and not isinstance(handler.formatter, CenterTime):
            handler.setFormatter(CenterTime(handler.formatter._fmt if handler.formatter else None, timezone))
