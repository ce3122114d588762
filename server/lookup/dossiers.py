"""Dossier codes (mã hồ sơ): the national format of Circular 03/2025 as amended by 04/2025 —
agency id groups, the date YYMMDD and the day's sequence: ``000.00.27.H42-261204-0012``.

``[lookup] dossier_pattern`` may replace it (a regular expression the whole code must match);
codes are compared in upper case without surrounding spaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

#: agency id (000.00.27.H42), date YYMMDD with a real month and day, daily sequence NNNN
DEFAULT_DOSSIER_PATTERN = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-\d{4}"
EXAMPLE = "000.00.27.H42-261204-0012"
MAX_CODE = 64


@dataclass(frozen=True)
class DossierPattern:
    pattern: str = DEFAULT_DOSSIER_PATTERN
    status_url: str = ""            # "https://.../tra-cuu?ma={code}", or "" for none

    def normalize(self, code: object) -> str | None:
        """The code as stored (stripped, upper case), or None when it does not match."""
        if not isinstance(code, str):
            return None
        code = code.strip().upper()
        if not code or len(code) > MAX_CODE:
            return None
        try:
            return code if re.fullmatch(self.pattern, code) else None
        except re.error:
            return None

    def link(self, code: str) -> str | None:
        """The province's status page for ``code`` (already normalized), or None without a URL."""
        if not self.status_url:
            return None
        return self.status_url.replace("{code}", quote(code, safe=""))


def check_pattern(text: str) -> str | None:
    """A problem with a pattern given in the config, or None."""
    try:
        compiled = re.compile(text)
    except re.error as e:
        return f"not a valid regular expression ({e})"
    if compiled.fullmatch(""):
        return "matches an empty code; a dossier pattern must ask for something"
    return None


def check_status_url(text: str) -> str | None:
    if "{code}" not in text:
        return "must contain {code}, where the dossier code goes"
    if not re.match(r"https?://[^\s/]+", text) or any(c.isspace() for c in text):
        return f"must be an http(s) address like https://dichvucong.example.gov.vn/tra-cuu?ma={{code}}"
    return None
