"""config.toml: load it, check all of it, and hand the server a frozen ``Config``.

Validation never stops at the first problem and never ends in a traceback: every problem is
collected as ``"<place>: <message>"`` (``desks[3].services: unknown service "XYZ"``) and, if
there is any, one ``ConfigError`` carries them all.

How it reads:

* a *schema* is a dict ``key -> _Key(reader, required, default)``; ``_read_table`` applies one to
  a TOML table, reporting unknown keys, missing keys and every reader's complaint with its place;
* a *reader* is ``(value, place, problems) -> value | _BAD``; scalar readers are plain functions
  that raise ``_Invalid`` and are wrapped by ``@_scalar``;
* rules that need several tables at once (desks against agencies, device ids and tokens, display
  desks) run afterwards over the rows read, each row knowing its place (``row["_at"]``);
* only when there is no problem at all are the dataclasses built (``_assemble``).
"""
from __future__ import annotations

import json
import math
import os
import re
import string
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ---- lookup (issue 14): [lookup] and [ratings]; the catalog file is read by server/lookup ----
from .lookup.catalog import Procedure, read_catalog
from .lookup.dossiers import DEFAULT_DOSSIER_PATTERN, DossierPattern, check_pattern, check_status_url

__all__ = [
    "ConfigError", "load_config", "parse_config",
    "Config", "Center", "ServerSettings", "AnnounceSettings", "QueueSettings", "PrintingSettings",
    "OpeningHours", "Agency", "Service", "Desk", "Kiosk", "Display", "LookupSettings", "RatingSettings",
]

DEFAULT_TEMPLATE = "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"
TEMPLATE_FIELDS = ("code", "desk")
DISPLAY_KINDS = ("hall", "desk")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_TOKEN_LENGTH = 8


# ----------------------------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Service:
    code: str
    name: str
    prefix: str
    target_wait_min: int
    agency: str                     # the agency's code


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    services: tuple[Service, ...]


@dataclass(frozen=True)
class Desk:
    number: int
    agency: str
    services: tuple[str, ...]       # service codes
    name: str                       # default "Quầy {number}"


@dataclass(frozen=True)
class Kiosk:
    id: str
    token: str
    name: str                       # default: the id


@dataclass(frozen=True)
class Display:
    id: str
    token: str
    kind: str                       # "hall" or "desk"
    desk: int | None                # the desk number, for kind "desk" only
    audio: bool
    name: str                       # default: the id


@dataclass(frozen=True)
class Center:
    name: str
    timezone: str
    public_url: str                 # no trailing slash
    notice: str                     # a scrolling line for the hall board; "" for none


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    database: Path                  # absolute
    message_queue: str              # "redis://..." when several server processes share the work; "" for one


@dataclass(frozen=True)
class LimitSettings:
    login_attempts_per_minute: int  # failed sign-ins per user name and per client address; 0 = no limit
    kiosk_tickets_per_minute: int   # tickets one kiosk may issue per minute; 0 = no limit


@dataclass(frozen=True)
class AnnounceSettings:
    template: str
    voice: str
    repeat: int


@dataclass(frozen=True)
class QueueSettings:
    priority_max_in_row: int
    default_service_min: float      # service time assumed before there is history
    token_ttl_hours: float


@dataclass(frozen=True)
class PrintingSettings:
    max_delay_s: int                # a ticket older than this is not printed late


@dataclass(frozen=True)
class OpeningHours:
    """Opening intervals per weekday (0 = Monday; a closed day maps to ``()``) and holidays."""

    weekly: Mapping[int, tuple[tuple[time, time], ...]] = field(hash=False)
    closed_dates: frozenset[date]

    def is_open(self, local: datetime) -> bool:
        """Whether the center is open at ``local``, a wall-clock time of the center's timezone."""
        if local.date() in self.closed_dates:
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.weekly.get(local.weekday(), ()))


# ---- lookup (issue 14) ----------------------------------------------------------------------
DEFAULT_RATING_REASONS = ("Thời gian chờ lâu", "Thái độ phục vụ chưa tốt", "Hướng dẫn chưa rõ ràng",
                          "Giải quyết hồ sơ chậm", "Cơ sở vật chất chưa tốt")
MAX_RATING_REASONS = 8
DEFAULT_CATALOG = "procedures.json"             # [lookup] procedures, when that file is next to the config


@dataclass(frozen=True)
class LookupSettings:
    procedures_file: Path | None = None         # absolute; None: no catalog
    procedures: tuple[Procedure, ...] = ()      # read and checked with the config
    dossier: DossierPattern = DossierPattern()


@dataclass(frozen=True)
class RatingSettings:
    levels: int = 5                             # 5 or 3
    reason_at_most: int = 2                     # a reason is asked at this score or lower (0: never)
    reasons: tuple[str, ...] = DEFAULT_RATING_REASONS


@dataclass(frozen=True)
class Config:
    path: Path
    center: Center
    server: ServerSettings
    announce: AnnounceSettings
    queue: QueueSettings
    printing: PrintingSettings
    limits: LimitSettings
    agencies: tuple[Agency, ...]
    desks: tuple[Desk, ...]
    kiosks: tuple[Kiosk, ...]
    displays: tuple[Display, ...]
    opening_hours: OpeningHours | None
    lookup: LookupSettings = LookupSettings()       # issue 14
    ratings: RatingSettings = RatingSettings()      # issue 14
    _services: Mapping[str, Service] = field(init=False, repr=False, compare=False)
    _agencies: Mapping[str, Agency] = field(init=False, repr=False, compare=False)
    _desks: Mapping[int, Desk] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookups = {
            "_services": {s.code: s for a in self.agencies for s in a.services},
            "_agencies": {a.code: a for a in self.agencies},
            "_desks": {d.number: d for d in self.desks},
        }
        for name, table in lookups.items():
            object.__setattr__(self, name, MappingProxyType(table))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.center.timezone)

    @property
    def services(self) -> Mapping[str, Service]:
        """Every service by code, in config order (a read-only mapping)."""
        return self._services

    def agency(self, code: str) -> Agency | None:
        return self._agencies.get(code)

    def service(self, code: str) -> Service | None:
        return self._services.get(code)

    def desk(self, number: int) -> Desk | None:
        return self._desks.get(number)


class ConfigError(Exception):
    """Everything wrong with a config; ``problems`` are ``"<place>: <message>"`` lines."""

    def __init__(self, source: str | os.PathLike, problems: list[str]):
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self.source, self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'' if n == 1 else 's'}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


# ----------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------

def load_config(path: str | os.PathLike) -> Config:
    """Read, parse and validate a config file; raise ``ConfigError`` for anything wrong with it."""
    path = Path(path)
    data = _read_toml(path)
    return _validate(data, path.resolve(), source=str(path))


def parse_config(data: dict, base_dir: Path, source: str = "config.toml") -> Config:
    """Validate already-parsed TOML as if it were the file ``base_dir / source``."""
    return _validate(data, Path(base_dir).resolve() / Path(source).name, source=source)


def _read_toml(path: Path) -> dict:
    def fail(place: str, message: str) -> ConfigError:
        return ConfigError(path, [f"{place}: {message}"])

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("file", "not found") from None
    except IsADirectoryError:
        raise fail("file", "is a folder, not a file") from None
    except OSError as e:
        raise fail("file", f"cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")          # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise fail(f"line {line}", "not UTF-8 text; save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise fail(*_toml_error_place(str(e))) from None


def _toml_error_place(message: str) -> tuple[str, str]:
    """Split tomllib's "Invalid value (at line 3, column 7)" into place and message."""
    m = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.S)
    if m:
        return f"line {m[2]}, column {m[3]}", f"invalid TOML ({m[1]})"
    m = re.fullmatch(r"(.*) \(at end of document\)", message, re.S)
    if m:
        return "end of file", f"invalid TOML ({m[1]})"
    return "file", f"invalid TOML ({message})"


def _validate(data: Any, path: Path, source: str) -> Config:
    problems = _Problems()
    doc = _read_table(data, "", _DOCUMENT, problems)
    if doc is not None:
        _check_across(doc, problems)
        _check_lookup(doc, path, problems)          # issue 14
    if problems or doc is None:
        raise ConfigError(source, problems.items)
    return _assemble(doc, path)


# ----------------------------------------------------------------------------------------------
# Machinery: problems, keys, tables
# ----------------------------------------------------------------------------------------------

class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, place: str, message: str) -> None:
        self.items.append(f"{place or '(top level)'}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


class _Invalid(Exception):
    """Raised by a scalar reader; its text is the problem's message."""


_BAD = object()         # what a reader returns once it has reported a problem
_ABSENT = object()

Reader = Callable[[Any, str, _Problems], Any]


@dataclass(frozen=True)
class _Key:
    read: Reader
    required: bool = False
    default: Any = _ABSENT          # a raw TOML value, passed through ``read`` when the key is absent
    missing: str = "required key missing"


def _at(place: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{place}[{key}]"
    return f"{place}.{key}" if place else key


def _read_table(raw: Any, place: str, schema: dict[str, _Key], problems: _Problems) -> dict | None:
    """Read one TOML table: a dict of the good values, ``_at`` (its place) and ``_bad`` (keys that
    were reported). Keys that are absent and optional without default are left out."""
    if not isinstance(raw, dict):
        problems.add(place, f"expected a table, got {_describe(raw)}")
        return None
    row: dict[str, Any] = {"_at": place, "_bad": set()}
    for key, value in raw.items():
        spec = schema.get(key)
        if spec is None:
            problems.add(_at(place, key), "unknown key")
            continue
        result = spec.read(value, _at(place, key), problems)
        if result is _BAD:
            row["_bad"].add(key)
        else:
            row[key] = result
    for key, spec in schema.items():
        if key in raw:
            continue
        if spec.required:
            problems.add(_at(place, key), spec.missing)
            row["_bad"].add(key)
        elif spec.default is not _ABSENT:
            row[key] = spec.read(spec.default, _at(place, key), problems)
    return row


def _section(schema: dict[str, _Key]) -> Reader:
    def read(value: Any, place: str, problems: _Problems) -> Any:
        row = _read_table(value, place, schema, problems)
        return _BAD if row is None else row
    return read


def _table_list(schema: dict[str, _Key], header: str, at_least_one: bool = False) -> Reader:
    """An array of tables (``[[header]]``). If an item is not a table, the whole array counts as
    bad (after every item was checked), so that rules across tables do not run on a partial list."""
    def read(value: Any, place: str, problems: _Problems) -> Any:
        if not isinstance(value, list):
            problems.add(place, f"expected an array of tables ([[{header}]]), got {_describe(value)}")
            return _BAD
        if at_least_one and not value:
            problems.add(place, f"at least one [[{header}]] table is required")
            return _BAD
        rows = [_read_table(item, _at(place, i), schema, problems) for i, item in enumerate(value)]
        return _BAD if None in rows else rows
    return read


def _scalar(check: Callable[[Any], Any]) -> Reader:
    """Turn ``value -> value`` (raising ``_Invalid``) into a reader."""
    def read(value: Any, place: str, problems: _Problems) -> Any:
        try:
            return check(value)
        except _Invalid as e:
            problems.add(place, str(e))
            return _BAD
    return read


def _list_of(item: Callable[[Any], Any], what: str, non_empty: str | None = None) -> Reader:
    """An array whose items each pass ``item``; item problems are placed at ``place[i]``."""
    def read(value: Any, place: str, problems: _Problems) -> Any:
        if not isinstance(value, list):
            problems.add(place, f"expected an array of {what}, got {_describe(value)}")
            return _BAD
        if non_empty and not value:
            problems.add(place, non_empty)
            return _BAD
        items = [_scalar(item)(v, _at(place, i), problems) for i, v in enumerate(value)]
        return _BAD if any(v is _BAD for v in items) else items
    return read


# ----------------------------------------------------------------------------------------------
# Scalar checks
# ----------------------------------------------------------------------------------------------

def _q(text: str) -> str:
    """A string as it would be written in TOML, shortened if long."""
    if len(text) > 60:
        text = text[:57] + "..."
    return json.dumps(text, ensure_ascii=False)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({_q(value)})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime):
        return f"a date-time ({value.isoformat()})"
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, time):
        return f"a time ({value.isoformat()})"
    return type(value).__name__


def _string(value: Any, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_describe(value)}")
    if not value.strip() and not allow_empty:
        raise _Invalid("must not be empty")
    return value.strip()


def _text(value: Any) -> str:
    return _string(value)


def _optional_text(value: Any) -> str:
    return _string(value, allow_empty=True)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_describe(value)}")
    return value


def _integer(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected an integer, got {_describe(value)}")
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise _Invalid(f"must be between {lo} and {hi}, got {value}")
        if lo is not None and value < lo:
            raise _Invalid(f"must be at least {lo}, got {value}")
        return value
    return check


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"expected a number, got {_describe(value)}")
    if not math.isfinite(value):
        raise _Invalid(f"must be a finite number, got {value}")
    if value <= 0:
        raise _Invalid(f"must be greater than 0, got {value}")
    return float(value)


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _string(value)
        if text not in allowed:
            options = " or ".join(_q(a) for a in allowed)
            raise _Invalid(f"must be {options}, got {_q(text)}")
        return text
    return check


_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_PREFIX = re.compile(r"[A-Z]{1,3}|[1-9]")


def _code(value: Any) -> str:
    text = _string(value)
    if not _CODE.fullmatch(text):
        raise _Invalid("must be 1-32 characters of uppercase A-Z, digits, \"-\" or \"_\", "
                       f"starting with a letter or digit; got {_q(text)}")
    return text


def _prefix(value: Any) -> str:
    text = _string(value)
    if not _PREFIX.fullmatch(text):
        raise _Invalid(f"must be 1-3 uppercase letters A-Z, or one digit 1-9; got {_q(text)}")
    return text


def _token(value: Any) -> str:
    text = _string(value)
    if len(text) < MIN_TOKEN_LENGTH:
        raise _Invalid(f"must be at least {MIN_TOKEN_LENGTH} characters long, got {len(text)}")
    return text


def _timezone(value: Any) -> str:
    text = _string(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _Invalid(f"unknown time zone {_q(text)} "
                       '(expected an IANA name like "Asia/Ho_Chi_Minh")') from None
    return text


def _public_url(value: Any) -> str:
    text = _string(value)
    problem = f"must be an http(s) URL like http://host[:port][/path], got {_q(text)}"
    try:
        parts = urlsplit(text)
        port = parts.port                       # raises ValueError when not a number in range
    except ValueError:
        raise _Invalid(problem) from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.query or parts.fragment or port == 0 or " " in text):
        raise _Invalid(problem)
    return text.rstrip("/")


def _message_queue(value: Any) -> str:
    url = _string(value, allow_empty=True).strip()
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise _Invalid(f"must be a Redis URL (redis://host:6379/0), not {_q(url)}")
    return url


def _template(value: Any) -> str:
    text = _string(value)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        raise _Invalid(f"bad braces ({e}); write {{{{ and }}}} for literal braces") from None
    allowed = " and ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)
    for name in fields:
        if name not in TEMPLATE_FIELDS:
            raise _Invalid(f"unknown field {{{name}}}; only {allowed} may be used")
    if "code" not in fields:
        raise _Invalid("must contain {code}, the ticket number to announce")
    for desk in (12, "12"):                     # format specs, conversions, nested fields
        try:
            text.format(code="A001", desk=desk)
        except (ValueError, KeyError, IndexError, AttributeError) as e:
            raise _Invalid(f"cannot be filled in ({e})") from None
    return text


_INTERVAL = re.compile(r"(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")


def _interval(value: Any) -> tuple[time, time]:
    if not isinstance(value, str) or not _INTERVAL.fullmatch(value.strip()):
        shown = _q(value) if isinstance(value, str) else _describe(value)
        raise _Invalid(f"expected \"HH:MM-HH:MM\", got {shown}")
    h1, m1, h2, m2 = map(int, _INTERVAL.fullmatch(value.strip()).groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise _Invalid(f"{_q(value)} is not a time of day (00:00 to 23:59)") from None
    if start >= end:
        raise _Invalid(f"{_q(value)}: the start must be before the end")
    return start, end


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value                            # a TOML date literal: closed_dates = [2027-01-01]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = _q(value) if isinstance(value, str) else _describe(value)
    raise _Invalid(f"expected a date YYYY-MM-DD, got {shown}")


def _day_hours(value: Any, place: str, problems: _Problems) -> Any:
    """The opening intervals of one weekday: valid, sorted, not overlapping."""
    intervals = _list_of(_interval, 'intervals like ["07:30-11:30", "13:30-17:00"]')(value, place, problems)
    if intervals is _BAD:
        return _BAD
    for i in range(1, len(intervals)):
        (s0, e0), (s1, e1) = intervals[i - 1], intervals[i]
        if s1 < e0:
            shown, before = _q(value[i].strip()), _q(value[i - 1].strip())
            if e1 <= s0:
                problems.add(_at(place, i), f"{shown} comes before {before}; list the intervals in order")
            else:
                problems.add(_at(place, i), f"{shown} overlaps {before}")
            return _BAD
    return tuple(intervals)


# ----------------------------------------------------------------------------------------------
# Schemas
# ----------------------------------------------------------------------------------------------

def _k(check: Callable[[Any], Any], **kw: Any) -> _Key:
    return _Key(_scalar(check), **kw)


_CENTER = {
    "name": _k(_text, required=True),
    "timezone": _k(_timezone, required=True),
    "public_url": _k(_public_url),                    # default derived from [server] in _assemble
    "notice": _k(_optional_text, default=""),
}
_SERVER = {
    "host": _k(_text, default="127.0.0.1"),
    "port": _k(_integer(1, 65535), default=5000),
    "database": _k(_text, default="data/hangdoi.db"),
    "message_queue": _k(_message_queue, default=""),
}
_LIMITS = {
    "login_attempts_per_minute": _k(_integer(0), default=10),
    "kiosk_tickets_per_minute": _k(_integer(0), default=60),
}
_ANNOUNCE = {
    "template": _k(_template, default=DEFAULT_TEMPLATE),
    "voice": _k(_text, default="vi"),
    "repeat": _k(_integer(0, 5), default=1),
}
_QUEUE = {
    "priority_max_in_row": _k(_integer(1), default=3),
    "default_service_min": _k(_positive_number, default=20),
    "token_ttl_hours": _k(_positive_number, default=12),
}
_PRINTING = {
    "max_delay_s": _k(_integer(0), default=120),
}
_OPENING_HOURS = {
    **{day: _Key(_day_hours) for day in WEEKDAYS},
    "closed_dates": _Key(_list_of(_iso_date, "dates"), default=[]),
}
_SERVICE = {
    "code": _k(_code, required=True),
    "name": _k(_text, required=True),
    "prefix": _k(_prefix, required=True),
    "target_wait_min": _k(_integer(1), default=15),
}
_AGENCY = {
    "code": _k(_code, required=True),
    "name": _k(_text, required=True),
    "services": _Key(_table_list(_SERVICE, "agencies.services", at_least_one=True), required=True,
                     missing="required key missing: at least one [[agencies.services]] table"),
}
_DESK = {
    "number": _k(_integer(1), required=True),
    "agency": _k(_text, required=True),
    "services": _Key(_list_of(_text, "service codes", non_empty="must list at least one service"),
                     required=True),
    "name": _k(_text),
}
_KIOSK = {
    "id": _k(_text, required=True),
    "token": _k(_token, required=True),
    "name": _k(_text),
}
_DISPLAY = {
    "id": _k(_text, required=True),
    "token": _k(_token, required=True),
    "kind": _k(_choice(*DISPLAY_KINDS), required=True),
    "desk": _k(_integer()),
    "audio": _k(_boolean, default=True),
    "name": _k(_text),
}
def _dossier_pattern(value: Any) -> str:
    text = _string(value)
    problem = check_pattern(text)
    if problem:
        raise _Invalid(problem)
    return text


def _status_url(value: Any) -> str:
    text = _string(value, allow_empty=True)
    problem = check_status_url(text) if text else None
    if problem:
        raise _Invalid(problem)
    return text


def _levels(value: Any) -> int:
    if isinstance(value, bool) or value not in (3, 5):
        raise _Invalid(f"must be 5 or 3 (the number of faces), got {_describe(value)}")
    return value


def _reason(value: Any) -> str:
    text = _string(value)
    if len(text) > 60:
        raise _Invalid(f"at most 60 characters, got {len(text)}")
    return text


_LOOKUP = {
    "procedures": _k(_optional_text),      # a JSON or CSV file, relative to the config; "" = none; default below
    "dossier_pattern": _k(_dossier_pattern, default=DEFAULT_DOSSIER_PATTERN),
    "dossier_status_url": _k(_status_url, default=""),
}
_RATINGS = {
    "levels": _k(_levels, default=5),
    "reason_at_most": _k(_integer(0, 5)),               # default 2 (1 on a 3-level scale)
    "reasons": _Key(_list_of(_reason, "short texts"), default=list(DEFAULT_RATING_REASONS)),
}
_DOCUMENT = {
    "center": _Key(_section(_CENTER), required=True, missing="required table [center] missing"),
    "server": _Key(_section(_SERVER), default={}),
    "announce": _Key(_section(_ANNOUNCE), default={}),
    "queue": _Key(_section(_QUEUE), default={}),
    "printing": _Key(_section(_PRINTING), default={}),
    "limits": _Key(_section(_LIMITS), default={}),
    "opening_hours": _Key(_section(_OPENING_HOURS)),
    "lookup": _Key(_section(_LOOKUP), default={}),        # issue 14
    "ratings": _Key(_section(_RATINGS), default={}),      # issue 14
    "agencies": _Key(_table_list(_AGENCY, "agencies", at_least_one=True), required=True,
                     missing="at least one [[agencies]] table is required"),
    "desks": _Key(_table_list(_DESK, "desks", at_least_one=True), required=True,
                  missing="at least one [[desks]] table is required"),
    "kiosks": _Key(_table_list(_KIOSK, "kiosks"), default=[]),
    "displays": _Key(_table_list(_DISPLAY, "displays"), default=[]),
}


# ----------------------------------------------------------------------------------------------
# Rules across tables
# ----------------------------------------------------------------------------------------------

def _check_across(doc: dict, problems: _Problems) -> None:
    agencies = doc.get("agencies", [])
    desks = doc.get("desks")
    _check_opening_days(doc.get("opening_hours"), problems)
    _check_unique(agencies, "code", "agency code", problems)
    _check_unique([s for a in agencies for s in a.get("services", [])], "code", "service code", problems)
    if desks is not None:
        _check_unique(desks, "number", "desk number", problems)
    if desks is not None and "agencies" not in doc["_bad"]:   # else every desk would look wrong
        _check_desks(desks, agencies, problems)
        _check_served(agencies, desks, problems)
    devices = [*doc.get("kiosks", []), *doc.get("displays", [])]
    _check_unique(devices, "id", "device id", problems)
    _check_tokens(devices, problems)
    _check_display_desks(doc.get("displays", []), desks, problems)


def _check_lookup(doc: dict, path: Path, problems: _Problems) -> None:
    """[ratings] against its own levels; [lookup] procedures: the catalog file, every entry's
    service against the config's (only when the agencies could be read)."""
    ratings = doc.get("ratings")
    if ratings is not None and "levels" in ratings and "reason_at_most" in ratings:
        if ratings["reason_at_most"] > ratings["levels"]:
            problems.add(_at(ratings["_at"], "reason_at_most"),
                         f"must be at most levels ({ratings['levels']}), got {ratings['reason_at_most']}")
    if ratings is not None and len(ratings.get("reasons", [])) > MAX_RATING_REASONS:
        problems.add(_at(ratings["_at"], "reasons"), f"at most {MAX_RATING_REASONS} reasons (a short list)")
    lookup = doc.get("lookup")
    if lookup is None or "procedures" in lookup["_bad"] or "agencies" in doc["_bad"]:
        return
    if "procedures" not in lookup:                  # default: procedures.json next to the config, if any
        if not (path.parent / DEFAULT_CATALOG).is_file():
            return
        lookup["procedures"] = DEFAULT_CATALOG
    if not lookup["procedures"]:                    # procedures = "": no catalog
        return
    file = Path(lookup["procedures"]).expanduser()
    if not file.is_absolute():
        file = path.parent / file
    agencies = {a["code"]: a["name"] for a in doc["agencies"] if "code" in a and "name" in a}
    services = {s["code"]: (a.get("code"), a.get("name")) for a in doc["agencies"] for s in a.get("services", [])
                if "code" in s}
    procedures, found = read_catalog(file, services, agencies, name=lookup["procedures"])
    for problem in found:
        problems.add("lookup.procedures", problem)
    lookup["_procedures"] = tuple(procedures)
    lookup["_file"] = Path(os.path.abspath(file))


def _check_opening_days(hours: dict | None, problems: _Problems) -> None:
    if hours is None or any(day in hours["_bad"] for day in WEEKDAYS):
        return
    if not any(hours.get(day) for day in WEEKDAYS):
        problems.add(hours["_at"], "no day has opening hours, so the center would never open "
                                   "(remove [opening_hours] to be open at all hours)")


def _check_unique(rows: list[dict], key: str, what: str, problems: _Problems) -> None:
    first: dict[Any, str] = {}
    for row in rows:
        if key not in row:
            continue
        value = row[key]
        shown = _q(value) if isinstance(value, str) else value
        if value in first:
            problems.add(_at(row["_at"], key), f"duplicate {what} {shown} (also {first[value]})")
        else:
            first[value] = row["_at"]


def _check_tokens(devices: list[dict], problems: _Problems) -> None:
    first: dict[str, str] = {}
    for row in devices:
        token = row.get("token")
        if token is None:
            continue
        if token in first:
            problems.add(_at(row["_at"], "token"),
                         f"same token as {first[token]}; every device needs its own token")
        else:
            first[token] = row["_at"]


def _service_owners(agencies: list[dict]) -> dict[str, str | None]:
    """service code -> agency code (None when the agency's own code is invalid); first one wins."""
    owners: dict[str, str | None] = {}
    for agency in agencies:
        for service in agency.get("services", []):
            if "code" in service:
                owners.setdefault(service["code"], agency.get("code"))
    return owners


def _check_desks(desks: list[dict], agencies: list[dict], problems: _Problems) -> None:
    """Each desk's agency exists; its services exist, are its agency's, and are listed once.
    When some agency or service code could not be read, "unknown" is not claimed: it may be that."""
    agency_codes = {a["code"] for a in agencies if "code" in a}
    agencies_known = all("code" in a for a in agencies)
    owners = _service_owners(agencies)
    services_known = all("services" in a and all("code" in s for s in a["services"]) for a in agencies)
    for desk in desks:
        agency = desk.get("agency")
        if agency is not None and agency not in agency_codes:
            if agencies_known:
                problems.add(_at(desk["_at"], "agency"), f"unknown agency {_q(agency)}")
            agency = None
        seen: set[str] = set()
        for code in desk.get("services", []):
            problem = _desk_service_problem(code, agency, owners, seen, services_known)
            if problem:
                problems.add(_at(desk["_at"], "services"), problem)
            seen.add(code)


def _desk_service_problem(code: str, agency: str | None, owners: dict, seen: set[str],
                          services_known: bool) -> str | None:
    if code in seen:
        return f"duplicate service {_q(code)}"
    if code not in owners:
        return f"unknown service {_q(code)}" if services_known else None
    owner = owners[code]
    if agency is not None and owner is not None and owner != agency:
        return f"service {_q(code)} belongs to agency {_q(owner)}, not to the desk's agency {_q(agency)}"
    return None


def _check_served(agencies: list[dict], desks: list[dict], problems: _Problems) -> None:
    if not all("services" in desk for desk in desks):
        return                                  # a desk's list could not be read: it may serve them
    served = {code for desk in desks for code in desk["services"]}
    for agency in agencies:
        for service in agency.get("services", []):
            code = service.get("code")
            if code is not None and code not in served:
                problems.add(service["_at"], f"no desk serves {_q(code)}")


def _check_display_desks(displays: list[dict], desks: list[dict] | None, problems: _Problems) -> None:
    known = desks is not None and all("number" in d for d in desks)
    numbers = {d["number"] for d in desks} if known else None
    for display in displays:
        kind, desk, place = display.get("kind"), display.get("desk"), _at(display["_at"], "desk")
        if "desk" in display["_bad"]:
            continue
        if kind == "desk" and desk is None:
            problems.add(place, 'required for kind = "desk": the number of the desk it shows')
        elif kind == "desk" and numbers is not None and desk not in numbers:
            problems.add(place, f"no desk number {desk}")
        elif kind == "hall" and desk not in (None, 0):     # 0 = none, as in the contract's example
            problems.add(place, 'only a display of kind = "desk" shows one desk; remove it '
                                'or set kind = "desk"')


# ----------------------------------------------------------------------------------------------
# Building the frozen result (only ever called on a document without problems)
# ----------------------------------------------------------------------------------------------

def _assemble(doc: dict, path: Path) -> Config:
    server = _server(doc["server"], path.parent)
    return Config(
        path=path,
        center=_center(doc["center"], server),
        server=server,
        announce=AnnounceSettings(**_fields(doc["announce"])),
        queue=QueueSettings(**_fields(doc["queue"])),
        printing=PrintingSettings(**_fields(doc["printing"])),
        limits=LimitSettings(**_fields(doc["limits"])),
        agencies=tuple(_agency(a) for a in doc["agencies"]),
        desks=tuple(_desk(d) for d in doc["desks"]),
        kiosks=tuple(_kiosk(k) for k in doc["kiosks"]),
        displays=tuple(_display(d) for d in doc["displays"]),
        opening_hours=_opening_hours(doc.get("opening_hours")),
        lookup=_lookup(doc["lookup"]),
        ratings=_ratings(doc["ratings"]),
    )


def _lookup(row: dict) -> LookupSettings:
    return LookupSettings(procedures_file=row.get("_file"), procedures=row.get("_procedures", ()),
                          dossier=DossierPattern(row["dossier_pattern"], row["dossier_status_url"]))


def _ratings(row: dict) -> RatingSettings:
    levels = row["levels"]
    at_most = row.get("reason_at_most", 2 if levels == 5 else 1)
    return RatingSettings(levels=levels, reason_at_most=at_most, reasons=tuple(row["reasons"]))


def _fields(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _server(row: dict, base_dir: Path) -> ServerSettings:
    database = Path(row["database"]).expanduser()
    if not database.is_absolute():
        database = base_dir / database
    return ServerSettings(host=row["host"], port=row["port"], database=Path(os.path.abspath(database)),
                          message_queue=row["message_queue"])


def _center(row: dict, server: ServerSettings) -> Center:
    host = f"[{server.host}]" if ":" in server.host else server.host
    public_url = row.get("public_url") or f"http://{host}:{server.port}"
    return Center(name=row["name"], timezone=row["timezone"], public_url=public_url, notice=row["notice"])


def _agency(row: dict) -> Agency:
    services = tuple(Service(agency=row["code"], **_fields(s)) for s in row["services"])
    return Agency(code=row["code"], name=row["name"], services=services)


def _desk(row: dict) -> Desk:
    return Desk(number=row["number"], agency=row["agency"], services=tuple(row["services"]),
                name=row.get("name") or f"Quầy {row['number']}")


def _kiosk(row: dict) -> Kiosk:
    return Kiosk(id=row["id"], token=row["token"], name=row.get("name") or row["id"])


def _display(row: dict) -> Display:
    return Display(id=row["id"], token=row["token"], kind=row["kind"],
                   desk=row.get("desk") if row["kind"] == "desk" else None,
                   audio=row["audio"], name=row.get("name") or row["id"])


def _opening_hours(row: dict | None) -> OpeningHours | None:
    if row is None:
        return None
    weekly = {i: tuple(row.get(day, ())) for i, day in enumerate(WEEKDAYS)}
    return OpeningHours(weekly=MappingProxyType(weekly), closed_dates=frozenset(row["closed_dates"]))
