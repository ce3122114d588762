"""config.toml: load it, check all of it, and hand the server a frozen ``Config``.

Validation never stops at the first problem and never ends in a traceback: every problem is
collected as ``"<place>: <message>"`` (``desks[3].services: unknown service "XYZ"``) and, if
there is any, one ``ConfigError`` carries them all. fields.py holds the value types and their
rules, models.py the tables (strict pydantic models, unknown keys refused), across.py the rules
between tables, messages.py the wording, load.py the file and the order of it all.
"""
from .fields import DEFAULT_TEMPLATE, DESK_MAX, DISPLAY_KINDS, NAME_MAX, NOTICE_MAX, TEMPLATE_FIELDS
from .load import ConfigError, load_config, parse_config
from .models import (
    WEEKDAYS, Agency, AnnounceSettings, Center, Config, Desk, Display, Kiosk, LimitSettings, OpeningHours,
    PrintingSettings, QueueSettings, ServerSettings, Service, SiteSettings, LookupSettings, RatingSettings,
)

__all__ = [
    "ConfigError", "load_config", "parse_config",
    "Config", "Center", "ServerSettings", "AnnounceSettings", "QueueSettings", "PrintingSettings",
    "LimitSettings", "OpeningHours", "Agency", "Service", "Desk", "Kiosk", "Display", "SiteSettings",
    "LookupSettings", "RatingSettings",
    "DEFAULT_TEMPLATE", "TEMPLATE_FIELDS", "DISPLAY_KINDS", "WEEKDAYS", "NAME_MAX", "NOTICE_MAX", "DESK_MAX",
]
