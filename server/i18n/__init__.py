"""The words people read and hear, one catalog per language: ``vi.json``, ``en.json``, ...

Every file in this folder named ``<lang>.json`` is a language; adding a language is adding a
file with the same keys (``tests/test_catalog.py`` fails when a key or a placeholder is missing).
Keys are flat and dotted, grouped by where the words appear: ``common.*``, ``priority.*``,
``rating.*``, ``kiosk.*``, ``phone.*``, ``hall.*``, ``desk_display.*``, ``console.*``,
``supervisor.*``, ``ticket.*`` (the printed ticket), ``report.*`` (exports), ``error.*`` (API
errors shown to people), ``announce.*``, ``lookup.*`` (the procedure and dossier lookup of the
kiosk and the phone), ``dossier.*`` (the desk console's dossier codes). Placeholders are ``{name}``.

The server uses :func:`t`; the pages fetch ``/i18n/<lang>.json`` (the same file) and use
``HangDoiPage.t`` of ``server/static/shared/page.js``. No Flask here: the print agent and the
reports use it too.

    t("kiosk.services_count", n=3)           # "3 dịch vụ"
    t("priority.elderly", "en")              # "Elderly"
    duration(525)                            # "8 phút 45 giây"
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

DIR = Path(__file__).resolve().parent
DEFAULT = "vi"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class UnknownLanguage(KeyError):
    """There is no catalog file for this language."""


def languages() -> tuple[str, ...]:
    """The languages present, Vietnamese first, then the others by code."""
    found = sorted(p.stem for p in DIR.glob("*.json") if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", p.stem))
    return tuple(sorted(found, key=lambda code: (code != DEFAULT, code)))


@lru_cache(maxsize=None)
def catalog(lang: str = DEFAULT) -> dict[str, str]:
    """Every text of one language, key → text (read once)."""
    if lang not in languages():
        raise UnknownLanguage(lang)
    data = json.loads((DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{lang}.json must be one object of texts")
    return data


@lru_cache(maxsize=None)
def catalog_bytes(lang: str) -> bytes:
    """The catalog file as served to the pages (compact UTF-8 JSON)."""
    return json.dumps(catalog(lang), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def t(key: str, lang: str = DEFAULT, **params) -> str:
    """The text of ``key`` in ``lang`` (Vietnamese when the language lacks it), placeholders filled.

    A key missing everywhere is a bug: KeyError."""
    texts = catalog(lang) if lang in languages() else catalog(DEFAULT)
    text = texts.get(key)
    if text is None:
        text = catalog(DEFAULT)[key]
    if params:
        text = _PLACEHOLDER.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], text)
    return text


def duration(seconds: float | None, lang: str = DEFAULT) -> str:
    """A length of time as words: "45 giây", "8 phút 45 giây", "1 giờ 5 phút" (never "8:45",
    which reads as a time of day)."""
    if seconds is None:
        return t("common.duration.none", lang)
    s = max(0, int(round(seconds)))
    if s < 60:
        return t("common.duration.s", lang, s=s)
    if s < 3600:
        m, s = divmod(s, 60)
        return t("common.duration.m_s", lang, m=m, s=s) if s else t("common.duration.m", lang, m=m)
    h, m = divmod(s // 60, 60)
    return t("common.duration.h_m", lang, h=h, m=m) if m else t("common.duration.h", lang, h=h)


def wait(seconds: float | None, lang: str = DEFAULT, estimate: dict | None = None) -> str:
    """An estimated wait, rounded to minutes: "dưới 1 phút", "khoảng 31 phút", "khoảng 1 giờ 30 phút".

    ``estimate`` is the ticket's or queue's ``estimate`` (``kind``, ``opens_at``): with no open desk
    the words say so, with the opening time when the opening hours tell ("Chưa có quầy mở (mở cửa
    lúc 13:30 ngày 23/11)"); with nothing to go on (``no_history``) they say that instead of a number."""
    kind = estimate.get("kind") if isinstance(estimate, dict) else None
    if kind == "no_open_desk" or seconds is None:     # no estimate at all: no open desk serves it
        opens = str(estimate.get("opens_at") or "") if isinstance(estimate, dict) else ""
        if len(opens) >= 16:          # ISO 8601 with the center's offset: 2026-11-23T13:30+07:00
            return t("common.wait.no_open_desk_opens", lang, time=opens[11:16], date=f"{opens[8:10]}/{opens[5:7]}")
        return t("common.wait.no_open_desk", lang)
    if kind == "no_history" and seconds > 0:
        return t("common.wait.no_history", lang)
    m = round(max(0, seconds) / 60)
    if m < 1:
        return t("common.wait.under_min", lang)
    if m < 60:
        return t("common.wait.min", lang, m=m)
    h, m = divmod(m, 60)
    return t("common.wait.h_m", lang, h=h, m=m) if m else t("common.wait.h", lang, h=h)


def date(day, lang: str = DEFAULT) -> str:
    """A date as dd/mm/yyyy (every language of the centers writes it so)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def priority_label(priority: str | None, lang: str = DEFAULT) -> str | None:
    """The name of a priority group ("Người cao tuổi"); None for a regular ticket."""
    if not priority:
        return None
    key = f"priority.{priority}"
    return t(key, lang) if key in catalog(DEFAULT) else priority


def rating_label(score: int, lang: str = DEFAULT) -> str:
    return t(f"rating.{score}", lang)
