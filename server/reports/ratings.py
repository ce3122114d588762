"""The ratings report (issue 14, contract section 8): one row per rating for the province's
evaluation system (the satisfaction group of Decision 766/QĐ-TTg's service index) — when, site,
agency, desk, officer, the ticket's dossier codes, the score on the scale it was given on with
that scale (``levels``: 5 or 3) and its value on 1–5, the reason and the comment.

A rating belongs to its ticket's local day (``ratings.day``), as in the summary. Flask-free: the
hub can run ``rating_rows`` over a site's copy of these tables the same way. Headers and labels
come from the catalog (``report.col.*``, ``report.source.*``); every text goes through the
exports' one cleaning (``export.clean_text``: no formula, nothing an .xlsx cannot hold); in the
workbook, the time and the day are real date cells, as in the tickets export.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .. import i18n
from .base import Period
from .export import DATE_FORMAT, DATETIME_FORMAT, safe_text

#: the columns in order; each header is the catalog's ``report.col.<key>``, but for the ticket's
#: number (``report.col.code``, as in the tickets export) and the score on its own scale
KEYS = ("rated_at", "day", "site", "agency", "agency_name", "desk", "officer", "ticket", "dossiers", "score",
        "levels", "score_5", "reason", "comment", "source")
HEADER_KEYS = {"ticket": "code", "score": "rating_score"}
SOURCES = ("desk_display", "phone", "staff")


def columns() -> list[tuple[str, str]]:
    """(key of the row, header) of every column."""
    return [(key, i18n.t(f"report.col.{HEADER_KEYS.get(key, key)}")) for key in KEYS]


def source_label(source: str) -> str:
    return i18n.t(f"report.source.{source}") if source in SOURCES else source


_SITE_SQL = """
SELECT r.at, r.day, t.agency, a.name, r.desk, u.username, t.code, r.score, r.levels, r.reason, r.comment, r.source,
       {dossiers}, {site}
FROM ratings r JOIN tickets t ON {same_ticket} JOIN agencies a ON {same_agency}
LEFT JOIN {officers} u ON {same_officer}
WHERE r.day BETWEEN :from AND :to AND (:agency IS NULL OR t.agency = :agency){site_filter}
ORDER BY r.at, {order}"""
_ONE_SITE = _SITE_SQL.format(
    dossiers="(SELECT group_concat(code, '; ') FROM (SELECT code FROM dossiers d WHERE d.ticket = t.id ORDER BY d.id))",
    site="''", same_ticket="t.id = r.ticket", same_agency="a.code = t.agency", officers="users",
    same_officer="u.id = r.officer", site_filter="", order="r.ticket")
_EVERY_SITE = _SITE_SQL.format(            # the hub's tables (issue 12): every key has its site
    dossiers="(SELECT group_concat(code, '; ') FROM (SELECT code FROM dossiers d WHERE d.site = r.site "
             "AND d.ticket = t.id ORDER BY d.at, d.code))",
    site="r.site", same_ticket="t.site = r.site AND t.id = r.ticket", same_agency="a.site = t.site AND a.code = t.agency",
    officers="officers", same_officer="u.site = r.site AND u.id = r.officer",
    site_filter=" AND (:site IS NULL OR r.site = :site)", order="r.site, r.ticket")


def rating_rows(db, tz: ZoneInfo, period: Period, site: str = "", *, sites: bool = False) -> list[dict]:
    """One row per rating of the period. A site's own database: ``site`` is its code (or "" for
    a lone center). ``sites``: the hub's database, every site's ratings (or ``period.site``'s),
    each with its site's code, the officers' names as the sites sent them."""
    out = []
    for r in db.execute(_EVERY_SITE if sites else _ONE_SITE, period.params()):
        levels = r[8] or 5
        out.append({
            "rated_at": datetime.fromtimestamp(r[0], tz).replace(tzinfo=None, microsecond=0), "day": r[1],
            "site": r[13] if sites else site, "agency": r[2], "agency_name": r[3], "desk": r[4], "officer": r[5],
            "ticket": r[6], "dossiers": [d for d in (r[12] or "").split("; ") if d], "score": r[7], "levels": levels,
            "score_5": r[7] if levels != 3 else 1 + (r[7] - 1) * 2, "reason": r[9], "comment": r[10],
            "source": r[11], "_at": r[0]})
    return out


def _cell(key: str, value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if key == "dossiers":
        return safe_text("; ".join(value))
    if key == "source":
        return safe_text(source_label(value))
    return safe_text(value)


def ratings_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    cols = columns()
    writer.writerow([h for _, h in cols])
    for row in rows:
        writer.writerow([_cell(k, row[k]) for k, _ in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def ratings_xlsx(rows: list[dict], title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cols = columns()
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(i18n.t("report.sheet.ratings"))
    bold = Font(bold=True)
    header = []
    for _, text in cols:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for key, _ in cols:
            value = row[key]
            if key == "day" and isinstance(value, str):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    pass
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(None if value is None else _cell(key, value))
        sheet.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ratings_json(rows: list[dict], tz: ZoneInfo) -> list[dict]:
    return [{**{k: v for k, v in row.items() if k != "_at"},
             "rated_at": datetime.fromtimestamp(row["_at"], tz).isoformat(timespec="seconds")} for row in rows]
