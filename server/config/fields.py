"""The config's value types: each is a strict pydantic type plus the rule that words its problem.

A rule raises ``invalid(message)``; messages.py places the message (``desks[3].number: ...``).
Strings are stripped, may not be empty unless said, and never hold control characters.
"""
from __future__ import annotations

import math
import re
import string
from datetime import date, datetime, time
from typing import Annotated, Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, PlainValidator
from pydantic_core import PydanticCustomError

from .messages import describe, q

DEFAULT_TEMPLATE = "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"
TEMPLATE_FIELDS = ("code", "desk")
DISPLAY_KINDS = ("hall", "desk")
MIN_TOKEN_LENGTH = 8
NAME_MAX, NOTICE_MAX = 200, 500     # characters: a name fits a ticket and a board; a notice, one line
DESK_MAX = 9999                     # the widest number every screen and route shows

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def invalid(message: str, at: int | None = None) -> PydanticCustomError:
    """The problem of a value (``at``: the index of the item at fault inside it)."""
    return PydanticCustomError("config", "{message}", {"message": message, "at": at})


def text_rule(max_len: int | None = None, empty: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        text = value.strip()
        if not text and not empty:
            raise invalid("must not be empty")
        if bad := _CONTROL.search(text):
            raise invalid(f"must not contain control characters; found U+{ord(bad[0]):04X} "
                          f"at character {bad.start() + 1}")
        if max_len is not None and len(text) > max_len:
            raise invalid(f"must be at most {max_len} characters long, got {len(text)}")
        return text
    return check


def _rule(test: Callable[[Any], bool], message: Callable[[Any], str]) -> AfterValidator:
    def check(value: Any) -> Any:
        if not test(value):
            raise invalid(message(value))
        return value
    return AfterValidator(check)


def _between(lo: int, hi: int | None = None) -> AfterValidator:
    if hi is None:
        return _rule(lambda v: v >= lo, lambda v: f"must be at least {lo}, got {v}")
    return _rule(lambda v: lo <= v <= hi, lambda v: f"must be between {lo} and {hi}, got {v}")


_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_PREFIX = re.compile(r"[A-Z]{1,3}|[1-9]")

Text = Annotated[str, AfterValidator(text_rule())]
Name = Annotated[str, AfterValidator(text_rule(NAME_MAX))]
Notice = Annotated[str, AfterValidator(text_rule(NOTICE_MAX, empty=True))]
Code = Annotated[Text, _rule(_CODE.fullmatch, lambda v: (
    'must be 1-32 characters of uppercase A-Z, digits, "-" or "_", '
    f"starting with a letter or digit; got {q(v)}"))]
Prefix = Annotated[Text, _rule(_PREFIX.fullmatch, lambda v: (
    f"must be 1-3 uppercase letters A-Z, or one digit 1-9; got {q(v)}"))]
Token = Annotated[Text, _rule(lambda v: len(v) >= MIN_TOKEN_LENGTH, lambda v: (
    f"must be at least {MIN_TOKEN_LENGTH} characters long, got {len(v)}"))]
Kind = Annotated[Text, _rule(lambda v: v in DISPLAY_KINDS, lambda v: (
    f"must be {' or '.join(map(q, DISPLAY_KINDS))}, got {q(v)}"))]
Port = Annotated[int, _between(1, 65535)]
Count = Annotated[int, _between(0)]             # 0 allowed (for limits: 0 = no limit)
Positive = Annotated[int, _between(1)]
DeskNumber = Annotated[int, _between(1), _rule(lambda v: v <= DESK_MAX, lambda v: (
    f"must be at most {DESK_MAX}, got {v}"))]
Repeat = Annotated[int, _between(0, 5)]
ElderlyAge = Annotated[int, _between(50, 100)]
SlotCapacity = Annotated[int, _between(0, 1000)]   # bookings a slot of a service takes (0: not bookable)
PositiveNumber = Annotated[float, _rule(math.isfinite, lambda v: f"must be a finite number, got {v}"),
                           _rule(lambda v: v > 0, lambda v: f"must be greater than 0, got {v:g}")]


def _zone(text: str) -> bool:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


TimeZone = Annotated[Text, _rule(_zone, lambda v: (
    f'unknown time zone {q(v)} (expected an IANA name like "Asia/Ho_Chi_Minh")'))]


def _public_url(text: str) -> str:
    problem = invalid(f"must be an http(s) URL like http://host[:port][/path], got {q(text)}")
    try:
        parts = urlsplit(text)
        port = parts.port                       # raises ValueError when not a number in range
    except ValueError:
        raise problem from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.query or parts.fragment or port == 0 or " " in text):
        raise problem
    return text.rstrip("/")


PublicUrl = Annotated[Text, AfterValidator(_public_url)]

_SITE_CODE = re.compile(r"[A-Z0-9-]{2,16}")
MIN_HUB_TOKEN_LENGTH = 16
SITE_KINDS = ("province", "commune")
SiteCode = Annotated[Text, _rule(_SITE_CODE.fullmatch, lambda v: (
    f'must be 2-16 characters of uppercase A-Z, digits or "-", got {q(v)}'))]
SiteKind = Annotated[Text, _rule(lambda v: v in SITE_KINDS, lambda v: (
    f"must be {' or '.join(map(q, SITE_KINDS))}, got {q(v)}"))]
HubToken = Annotated[Text, _rule(lambda v: len(v) >= MIN_HUB_TOKEN_LENGTH, lambda v: (
    f"must be at least {MIN_HUB_TOKEN_LENGTH} characters long, got {len(v)}"))]
MessageQueue = Annotated[str, AfterValidator(text_rule(empty=True)), _rule(
    lambda v: not v or v.startswith(("redis://", "rediss://", "unix://")),
    lambda v: f"must be a Redis URL (redis://host:6379/0), not {q(v)}")]


def _template(text: str) -> str:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        raise invalid(f"bad braces ({e}); write {{{{ and }}}} for literal braces") from None
    allowed = " and ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)
    for name in fields:
        if name not in TEMPLATE_FIELDS:
            raise invalid(f"unknown field {{{name}}}; only {allowed} may be used")
    if "code" not in fields:
        raise invalid("must contain {code}, the ticket number to announce")
    for desk in (12, "12"):                     # format specs, conversions, nested fields
        try:
            text.format(code="A001", desk=desk)
        except (ValueError, KeyError, IndexError, AttributeError) as e:
            raise invalid(f"cannot be filled in ({e})") from None
    return text


Template = Annotated[Text, AfterValidator(_template)]


def array(what: str, empty: str | None = None) -> BeforeValidator:
    """A TOML array (``what`` names its items in the message); ``empty``: the message if empty."""
    def check(value: Any) -> tuple:
        if not isinstance(value, list):
            raise invalid(f"expected an array of {what}, got {describe(value)}")
        if empty and not value:
            raise invalid(empty)
        return tuple(value)
    return BeforeValidator(check)


_INTERVAL = re.compile(r"(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")


def _interval(value: Any) -> tuple[time, time]:
    match = _INTERVAL.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise invalid(f'expected "HH:MM-HH:MM", got {q(value) if isinstance(value, str) else describe(value)}')
    h1, m1, h2, m2 = map(int, match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise invalid(f"{q(value)} is not a time of day (00:00 to 23:59)") from None
    if start >= end:
        raise invalid(f"{q(value)}: the start must be before the end")
    return start, end


def _in_order(intervals: tuple[tuple[time, time], ...]) -> tuple[tuple[time, time], ...]:
    """The opening intervals of one weekday are sorted and do not overlap."""
    def shown(i: int) -> str:
        return q(f"{intervals[i][0]:%H:%M}-{intervals[i][1]:%H:%M}")
    for i in range(1, len(intervals)):
        (s0, e0), (s1, e1) = intervals[i - 1], intervals[i]
        if s1 < e0 and e1 <= s0:
            raise invalid(f"{shown(i)} comes before {shown(i - 1)}; list the intervals in order", at=i)
        if s1 < e0:
            raise invalid(f"{shown(i)} overlaps {shown(i - 1)}", at=i)
    return intervals


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value                            # a TOML date literal: closed_dates = [2027-01-01]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise invalid(f"expected a date YYYY-MM-DD, got {q(value) if isinstance(value, str) else describe(value)}")


Day = Annotated[tuple[Annotated[tuple[time, time], PlainValidator(_interval)], ...],
                array('intervals like ["07:30-11:30", "13:30-17:00"]'), AfterValidator(_in_order)]
Date = Annotated[date, PlainValidator(_iso_date)]


# ---- [lookup] and [ratings] (issue 14) -------------------------------------------------------
def _dossier_pattern(text: str) -> str:
    from ..lookup.dossiers import check_pattern
    if problem := check_pattern(text):
        raise invalid(problem)
    return text


def _status_url(text: str) -> str:
    from ..lookup.dossiers import check_status_url
    if text and (problem := check_status_url(text)):
        raise invalid(problem)
    return text


RATING_LEVELS = (5, 3)
REASON_MAX, REASONS_MAX = 60, 8     # characters of one reason; reasons in the list (a short list)
DossierPatternText = Annotated[Text, AfterValidator(_dossier_pattern)]
StatusUrl = Annotated[str, AfterValidator(text_rule(empty=True)), AfterValidator(_status_url)]
OptionalText = Annotated[str, AfterValidator(text_rule(empty=True))]
Levels = Annotated[int, _rule(lambda v: v in RATING_LEVELS, lambda v: (
    f"must be 5 or 3 (the number of faces), got {v}"))]
ReasonAtMost = Annotated[int, _between(0, 5)]
Reason = Annotated[Text, _rule(lambda v: len(v) <= REASON_MAX, lambda v: (
    f"at most {REASON_MAX} characters, got {len(v)}"))]
Reasons = Annotated[tuple[Reason, ...], array("short texts"), _rule(lambda v: len(v) <= REASONS_MAX, lambda v: (
    f"at most {REASONS_MAX} reasons (a short list), got {len(v)}"))]
