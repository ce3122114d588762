"""Keep secrets out of the log: device tokens and ticket secrets travel in URLs (``/kiosk?token=``,
``/display/hall?token=``, ``/t/12?t=``), access tokens in ``Authorization`` headers. Whatever
writes a URL or a header into the log (the ``--access-log`` lines, a library's error message)
goes through ``RedactSecrets`` on the root handlers, which masks those values.

The same filter escapes control characters (newline, carriage return, ESC, NUL...) in every
message, so that a value typed by someone (an officer's pause reason, a username, a URL) can
neither forge a log line nor send escape codes to an operator's terminal: one record, one line.

Errors caused by clients (a malformed Socket.IO or Engine.IO frame, a refused transport request)
are logged in one line, without a traceback, and at most ``CLIENT_ERRORS_PER_MINUTE`` a minute;
the next line logged says how many were left out. A traceback that passes through our own code
(``server``, ``kiosk``, ``counter_display``) is a server bug and keeps its traceback."""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

MASK = "***"
PATTERNS = (
    re.compile(r"(?i)([?&;](?:token|t|access_token|password)=)[^&\s\"'#]+"),   # query strings
    re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]+"),                          # Authorization values
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+(?=@)"),            # passwords in URLs (redis://:pw@)
)


#: C0 controls, DEL, C1 controls and the Unicode line/paragraph separators
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: loggers of the transport libraries, whose errors with a traceback are almost always a client's
CLIENT_LOGGERS = ("engineio", "socketio", "geventwebsocket", "hangdoi.client")
CLIENT_ERRORS_PER_MINUTE = 20
OUR_PACKAGES = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + name + os.sep
                     for name in ("server", "kiosk", "counter_display"))


def redact(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def escape_controls(text: str) -> str:
    """``a\nb`` → ``a\\nb``: control characters shown as escapes, so a message stays one line."""
    return CONTROL.sub(lambda m: NAMED_CONTROLS.get(m.group(0)) or f"\\x{ord(m.group(0)):02x}"
                       if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}", text)


class RedactSecrets(logging.Filter):
    """Masks tokens and ticket secrets, and escapes control characters, in the formatted message
    of every record it sees; shortens and rate-limits client errors."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._in_window = 0
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:          # a broken record is the logging module's business, not ours
            return True
        if getattr(record, "_hangdoi_cleaned", False):      # a second handler: already done
            return self._admit(record) if getattr(record, "_hangdoi_client", False) else True
        client = is_client_error(record)
        if client:
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message = f"{message}: {type(error).__name__}: {error}"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            if len(message) > 300:
                message = message[:300] + "…"
        cleaned = escape_controls(redact(message))
        record._hangdoi_cleaned, record._hangdoi_client = True, client
        if client:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        if cleaned != record.msg or record.args:
            record.msg, record.args = cleaned, None
        return self._admit(record) if client else True

    def _admit(self, record: logging.LogRecord) -> bool:
        """At most ``CLIENT_ERRORS_PER_MINUTE`` client errors a minute; the first one after a
        full minute says how many were left out before it."""
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= 60:
                if self._left_out:
                    record.msg = f"{record.msg} ({self._left_out} more client errors not logged)"
                self._window_start, self._in_window, self._left_out = now, 0, 0
            if self._in_window >= CLIENT_ERRORS_PER_MINUTE:
                self._left_out += 1
                return False
            self._in_window += 1
            return True


TRANSPORT_LIBRARIES = tuple(os.sep + name + os.sep for name in
                            ("engineio", "socketio", "geventwebsocket", "flask_socketio"))


def is_client_error(record: logging.LogRecord) -> bool:
    """A warning or error of ``hangdoi.client`` or a transport library without a traceback, or any
    record whose traceback ends in a transport library rather than in our code: a malformed frame
    that engineio or socketio could not decode. A traceback whose last frame of interest is ours
    (an event handler of ``server.web.realtime`` that failed) is a server bug and stays whole."""
    if record.levelno < logging.WARNING:
        return False
    tb = record.exc_info[2] if record.exc_info else None
    if tb is None:
        return any(record.name == name or record.name.startswith(name + ".") for name in CLIENT_LOGGERS)
    last = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(OUR_PACKAGES):
            last = "ours"
        elif any(lib in filename for lib in TRANSPORT_LIBRARIES):
            last = "transport"
        tb = tb.tb_next
    return last == "transport"


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
