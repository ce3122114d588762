"""hub.toml, read with pydantic (strict: unknown keys and wrong types are problems), every
problem reported with its place (``sites[1].token: ...``) in one ``ConfigError``, exit 2 like
``check-config`` of a site."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import ConfigError
from ..config.load import read_toml

SITE_CODE = r"^[A-Z0-9-]{2,16}$"
MIN_TOKEN = 16
LINK_DOWN_AFTER_S = 60.0          # contract: a site not heard from for 60 s shows link "down"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _url(value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        raise ValueError(f"must be an http(s) URL like http://host[:port], got {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"must be an http(s) URL like http://host[:port], got {value!r}")
    return value.rstrip("/")


class HubSection(_Strict):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Ho_Chi_Minh"
    host: str = "127.0.0.1"
    port: int = Field(6000, ge=1, le=65535)
    database: str = "data/hub.db"
    public_url: str | None = None
    link_down_after_s: float = Field(LINK_DOWN_AFTER_S, gt=0)   # tests shorten it
    token_ttl_hours: float = Field(12, gt=0)
    login_attempts_per_minute: int = Field(10, ge=0)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone {value!r} (expected an IANA name like "Asia/Ho_Chi_Minh")') from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


class CalendarSection(_Strict):
    closed_dates: tuple[date, ...] = ()

    @field_validator("closed_dates", mode="before")
    @classmethod
    def _dates(cls, value):
        if not isinstance(value, list):
            raise ValueError("expected an array of dates (2026-09-02 or \"2026-09-02\")")
        out = []
        for item in value:
            if isinstance(item, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
                try:
                    item = date.fromisoformat(item)
                except ValueError:
                    raise ValueError(f"{item!r} is not a real date") from None
            if not isinstance(item, date):
                raise ValueError(f"expected a date YYYY-MM-DD, got {item!r}")
            out.append(item)
        return tuple(out)


class LookupSection(_Strict):
    """``[lookup]`` of hub.toml (issue 14): the province's procedure catalog, which the hub
    publishes to every site. Absent or "": the hub publishes none and sites keep their own."""
    procedures: str = ""


class SiteEntry(_Strict):
    code: str = Field(pattern=SITE_CODE)
    name: str = Field(min_length=1)
    kind: Literal["province", "commune"]
    token: str = Field(min_length=MIN_TOKEN)
    public_url: str | None = None     # the site's own address, for links from the hub's pages

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)


class HubDocument(_Strict):
    hub: HubSection
    calendar: CalendarSection = CalendarSection()
    lookup: LookupSection = LookupSection()
    sites: list[SiteEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        problems = []
        for key, what in (("code", "site code"), ("token", "token")):
            first: dict[str, int] = {}
            for i, site in enumerate(self.sites):
                value = getattr(site, key)
                if value in first:
                    shown = f'"{value}"' if key == "code" else "(hidden)"
                    problems.append(f"sites[{i}].{key}: duplicate {what} {shown} (also sites[{first[value]}])"
                                    if key == "code" else
                                    f"sites[{i}].token: same token as sites[{first[value]}]; every site needs its own")
                else:
                    first[value] = i
        if problems:
            raise ValueError("\n".join(problems))
        return self


class HubConfig:
    """The validated hub.toml, with paths made absolute."""

    def __init__(self, doc: HubDocument, path: Path, procedures: tuple = (), procedures_file: Path | None = None):
        self.doc, self.path = doc, path
        self.procedures, self.procedures_file = procedures, procedures_file   # the catalog it publishes
        self.hub = doc.hub
        self.sites = doc.sites
        self.calendar = doc.calendar
        db = Path(doc.hub.database).expanduser()
        self.database = Path(os.path.abspath(db if db.is_absolute() else path.parent / db))
        host = f"[{doc.hub.host}]" if ":" in doc.hub.host else doc.hub.host
        self.public_url = doc.hub.public_url or f"http://{host}:{doc.hub.port}"
        env = os.environ.get("HANGDOI_HUB_LINK_DOWN_S")
        self.link_down_after_s = float(env) if env else doc.hub.link_down_after_s

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.hub.timezone)

    def site(self, code: str) -> SiteEntry | None:
        return next((s for s in self.sites if s.code == code), None)


def _place(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_MESSAGES = {"extra_forbidden": "unknown key", "missing": "required key missing"}


def parse_hub_config(data: dict, path: Path, source: str = "hub.toml") -> HubConfig:
    try:
        doc = HubDocument.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
            message = _MESSAGES.get(e["type"], e["msg"].removeprefix("Value error, "))
            if not loc and "\n" in message:                 # the checks across sites
                problems.extend(message.split("\n"))
                continue
            if e["type"] == "missing" and loc == ("sites",):
                message = "at least one [[sites]] table is required"
            problems.append(f"{_place(loc)}: {message}")
        raise ConfigError(source, problems) from None
    procedures, file = (), None
    if doc.lookup.procedures.strip():
        from ..lookup.catalog import read_catalog

        name = doc.lookup.procedures.strip()
        file = Path(name).expanduser()
        file = Path(os.path.abspath(file if file.is_absolute() else path.parent / file))
        found, problems = read_catalog(file, None, name=name)
        if problems:
            raise ConfigError(source, [f"lookup.procedures: {p}" for p in problems])
        procedures = tuple(found)
    return HubConfig(doc, path, procedures, file)


def is_hub_document(data: dict) -> bool:
    return isinstance(data, dict) and "hub" in data and "center" not in data


def load_hub_config(path: str | os.PathLike) -> HubConfig:
    data = read_toml(path)
    return parse_hub_config(data, Path(path).resolve(), source=str(path))
