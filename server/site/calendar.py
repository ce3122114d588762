"""Closed dates the hub publishes (hub.toml ``[calendar] closed_dates``): the site keeps the last
copy in its own database (``settings.hub_calendar``) and its opening-hours check uses them,
also while the hub cannot be reached and after a restart."""
from __future__ import annotations

import json
from datetime import date

from ..rules import hours
from ..storage import get_setting, put_setting

SETTING = "hub_calendar"


def _apply(calendar: dict) -> None:
    hours.published_closed_dates = frozenset(date.fromisoformat(d) for d in calendar.get("closed_dates", []))


def load_calendar(storage) -> dict | None:
    with storage.read() as db:
        text = get_setting(db, SETTING)
    if not text:
        return None
    try:
        calendar = json.loads(text)
        _apply(calendar)
    except (ValueError, TypeError, AttributeError):
        return None
    return calendar


def store_calendar(storage, calendar: dict, known_version: int | None) -> int | None:
    """Keep the hub's calendar if it is new; returns its version. A malformed one is ignored."""
    try:
        version = int(calendar["version"])
        dates = sorted({date.fromisoformat(str(d)).isoformat() for d in calendar["closed_dates"]})
    except (KeyError, TypeError, ValueError):
        return known_version
    if version == known_version:
        return version
    clean = {"version": version, "closed_dates": dates}
    with storage.write() as db:
        put_setting(db, SETTING, json.dumps(clean))
    _apply(clean)
    return version


def stored_version(storage) -> int | None:
    with storage.read() as db:
        text = get_setting(db, SETTING)
    try:
        return int(json.loads(text)["version"]) if text else None
    except (ValueError, TypeError, KeyError):
        return None
