"""The tables of config.toml as frozen pydantic models: what a file may hold, and what the server reads.

Every model is strict (``port = "5000"`` is refused, not converted) and forbids unknown keys. A
default that depends on another key (a desk's name, the public URL) is filled in
``model_post_init``, before anyone sees the model. Rules across tables are in across.py.
"""
from __future__ import annotations

import os
from datetime import time
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Mapping
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, ValidationInfo, model_validator

from .fields import (
    DEFAULT_TEMPLATE, Code, Count, Date, Day, DeskNumber, ElderlyAge, Kind, MessageQueue, Name, Notice, Port,
    Positive, PositiveNumber, Prefix, SlotCapacity, PublicUrl, Repeat, SiteCode, SiteKind, HubToken, Template, Text, TimeZone,
    Token, array, invalid,
    text_rule, DossierPatternText, Levels, OptionalText, ReasonAtMost, Reasons, StatusUrl,
)
from .messages import describe

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Table(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def _fill(self, **values: Any) -> None:
        """Set defaults derived from other keys, once, while the model is being built."""
        self.__dict__.update(values)


class Service(_Table):
    code: Code
    name: Name
    prefix: Prefix                  # services sharing a prefix share one number sequence
    target_wait_min: Positive = 15
    booking_per_slot: SlotCapacity = 0      # contract section 7: bookings a slot takes (0: not bookable)
    _agency: str = PrivateAttr("")

    @property
    def agency(self) -> str:
        """The code of the agency that offers it."""
        return self._agency


class Agency(_Table):
    code: Code
    name: Name
    services: Annotated[tuple[Service, ...], array(
        "tables ([[agencies.services]])", "at least one [[agencies.services]] table is required")]

    def model_post_init(self, context: Any) -> None:
        for service in self.services:
            service._agency = self.code


class Desk(_Table):
    number: DeskNumber
    agency: Text                    # the agency's code
    services: Annotated[tuple[Text, ...], array("service codes", "must list at least one service")]
    name: Name = ""                 # default "Quầy {number}"

    def model_post_init(self, context: Any) -> None:
        self._fill(name=self.name or f"Quầy {self.number}")


class Kiosk(_Table):
    id: Text
    token: Token = Field(repr=False)
    name: Name = ""                 # default: the id

    def model_post_init(self, context: Any) -> None:
        self._fill(name=self.name or self.id)


class Display(_Table):
    id: Text
    token: Token = Field(repr=False)
    kind: Kind                      # "hall" or "desk"
    desk: int | None = None         # the desk number, for kind "desk" only (across.py checks it)
    audio: bool = True
    english: bool = True            # English subtitles under the Vietnamese
    name: Name = ""                 # default: the id

    def model_post_init(self, context: Any) -> None:
        self._fill(name=self.name or self.id, desk=self.desk if self.kind == "desk" else None)


class Center(_Table):
    name: Name
    timezone: TimeZone
    public_url: PublicUrl = ""      # no trailing slash; default http://HOST:PORT of [server]
    notice: Notice = ""             # a scrolling line for the hall board; "" for none


def _database(value: Any, info: ValidationInfo) -> Path:
    """Relative to the config file's folder (``context["path"]``), never to the working directory."""
    if not isinstance(value, str):
        raise invalid(f"expected a string, got {describe(value)}")
    database = Path(text_rule()(value)).expanduser()
    base = (info.context or {}).get("path", Path("config.toml")).parent
    return Path(os.path.abspath(database if database.is_absolute() else base / database))


class ServerSettings(_Table):
    host: Text = "127.0.0.1"
    port: Port = 5000
    database: Annotated[Path, PlainValidator(_database)] = Field("data/hangdoi.db", validate_default=True)
    message_queue: MessageQueue = ""    # "redis://..." when several server processes share the work


class LimitSettings(_Table):
    login_attempts_per_minute: Count = 10   # failed sign-ins per user name and per address; 0 = no limit
    kiosk_tickets_per_minute: Count = 60    # tickets one kiosk may issue per minute; 0 = no limit


class AnnounceSettings(_Table):
    template: Template = DEFAULT_TEMPLATE
    voice: Text = "vi"
    repeat: Repeat = 1


class QueueSettings(_Table):
    priority_max_in_row: Positive = 3       # priority calls in a row while normal tickets wait
    default_service_min: PositiveNumber = 20.0  # service time assumed before there is history
    token_ttl_hours: PositiveNumber = 12.0  # lifetime of a staff sign-in
    called_alert_min: Positive = 10         # a ticket called this long ago, not yet served or done: alert
    elderly_age: ElderlyAge = 60            # an ID card this old (that day) gives priority "elderly"


class PrintingSettings(_Table):
    max_delay_s: Count = 120                # a ticket older than this is not printed late


class OpeningHours(_Table):
    """Opening intervals per weekday (a weekday not listed is closed) and holidays."""
    mon: Day = ()
    tue: Day = ()
    wed: Day = ()
    thu: Day = ()
    fri: Day = ()
    sat: Day = ()
    sun: Day = ()
    closed_dates: Annotated[frozenset[Date], Field(strict=False), array("dates")] = frozenset()

    @model_validator(mode="after")
    def _opens_some_day(self) -> OpeningHours:
        if not any(self.weekly.values()):
            raise invalid("no day has opening hours, so the center would never open "
                          "(remove [opening_hours] to be open at all hours)")
        return self

    @cached_property
    def weekly(self) -> Mapping[int, tuple[tuple[time, time], ...]]:
        """Weekday (0 = Monday) -> its intervals; ``()`` for a closed day."""
        return MappingProxyType({i: getattr(self, day) for i, day in enumerate(WEEKDAYS)})


class SiteSettings(_Table):
    """``[site]`` (issue 12): this center is one site of a province and sends its events to the hub."""
    code: SiteCode                  # unique in the province: [A-Z0-9-]{2,16}
    kind: SiteKind                  # "province" or "commune"
    hub_url: PublicUrl              # no trailing slash
    hub_token: HubToken = Field(repr=False)


def _default_reasons() -> tuple[str, ...]:
    from .. import i18n
    return tuple(i18n.t(f"rating.reason.{i}", "vi") for i in range(1, 6))


DEFAULT_CATALOG = "procedures.json"     # [lookup] procedures, when that file is next to the config


class LookupSettings(_Table):
    """``[lookup]`` (issue 14): the procedure catalog, the dossier codes and their status page."""
    procedures_path: OptionalText | None = Field(None, alias="procedures")  # a JSON or CSV file, relative to
    #                               the config; "" = none; absent: procedures.json next to the config, if any
    dossier_pattern: DossierPatternText = Field(default_factory=lambda: _dossier_default())
    dossier_status_url: StatusUrl = ""  # "https://.../tra-cuu?ma={code}", or "" for none
    _file: Path | None = PrivateAttr(None)
    _procedures: tuple = PrivateAttr(())

    @property
    def procedures_file(self) -> Path | None:
        """The catalog file, absolute; None: no catalog."""
        return self._file

    @property
    def procedures(self) -> tuple:
        """The catalog's procedures (``server.lookup.Procedure``), read and checked with the config."""
        return self._procedures

    @cached_property
    def dossier(self):
        from ..lookup.dossiers import DossierPattern
        return DossierPattern(self.dossier_pattern, self.dossier_status_url)


def _dossier_default() -> str:
    from ..lookup.dossiers import DEFAULT_DOSSIER_PATTERN
    return DEFAULT_DOSSIER_PATTERN


class RatingSettings(_Table):
    """``[ratings]`` (issue 14): the scale of the faces and the reasons asked for a low score."""
    levels: Levels = 5                              # 5 or 3
    reason_at_most: ReasonAtMost | None = None      # a reason is asked at this score or lower (0: never);
    #                                                 default 2 (1 on a 3-level scale)
    reasons: Reasons = Field(default_factory=_default_reasons)

    @model_validator(mode="after")
    def _within_levels(self) -> RatingSettings:
        if self.reason_at_most is not None and self.reason_at_most > self.levels:
            raise invalid(f"must be at most levels ({self.levels}), got {self.reason_at_most}", at="reason_at_most")
        return self

    def model_post_init(self, context: Any) -> None:
        if self.reason_at_most is None:
            self._fill(reason_at_most=2 if self.levels == 5 else 1)


class Config(_Table):
    center: Center
    server: ServerSettings = Field(default_factory=dict, validate_default=True)
    announce: AnnounceSettings = AnnounceSettings()
    queue: QueueSettings = QueueSettings()
    printing: PrintingSettings = PrintingSettings()
    limits: LimitSettings = LimitSettings()
    agencies: Annotated[tuple[Agency, ...], array("tables ([[agencies]])",
                                                  "at least one [[agencies]] table is required")]
    desks: Annotated[tuple[Desk, ...], array("tables ([[desks]])", "at least one [[desks]] table is required")]
    kiosks: Annotated[tuple[Kiosk, ...], array("tables ([[kiosks]])")] = ()
    displays: Annotated[tuple[Display, ...], array("tables ([[displays]])")] = ()
    opening_hours: OpeningHours | None = None   # None: open at all hours
    site: SiteSettings | None = None            # [site] (issue 12); None for a lone center
    lookup: LookupSettings = Field(default_factory=LookupSettings)      # [lookup] (issue 14)
    ratings: RatingSettings = Field(default_factory=RatingSettings)     # [ratings] (issue 14)
    _path: Path = PrivateAttr(Path("config.toml"))

    def model_post_init(self, context: Any) -> None:
        self._path = (context or {}).get("path", self._path)
        host = f"[{self.server.host}]" if ":" in self.server.host else self.server.host
        self.center._fill(public_url=self.center.public_url or f"http://{host}:{self.server.port}")

    @property
    def path(self) -> Path:
        """The config file, absolute."""
        return self._path

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.center.timezone)

    @cached_property
    def services(self) -> Mapping[str, Service]:
        """Every service by code, in config order (a read-only mapping)."""
        return MappingProxyType({s.code: s for a in self.agencies for s in a.services})

    @cached_property
    def _agencies(self) -> Mapping[str, Agency]:
        return MappingProxyType({a.code: a for a in self.agencies})

    @cached_property
    def _desks(self) -> Mapping[int, Desk]:
        return MappingProxyType({d.number: d for d in self.desks})

    def agency(self, code: str) -> Agency | None:
        return self._agencies.get(code)

    def service(self, code: str) -> Service | None:
        return self.services.get(code)

    def desk(self, number: int) -> Desk | None:
        return self._desks.get(number)
