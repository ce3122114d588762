"""Keep secrets out of the log: device tokens and ticket secrets travel in URLs (``/kiosk?token=``,
``/display/hall?token=``, ``/t/12?t=``), access tokens in ``Authorization`` headers. Whatever
writes a URL or a header into the log (the ``--access-log`` lines, a library's error message)
goes through ``RedactSecrets`` on the root handlers, which masks those values."""
from __future__ import annotations

import logging
import re

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


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
