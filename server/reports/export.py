"""The tickets export: every ticket of the period with its times, desk, officer, outcome and
rating, as CSV (UTF-8 with a BOM, so that Excel shows Vietnamese right) or as an Excel workbook.
Headers and labels come from the catalog (``report.*``, ``common.status.*``, ``priority.*``).

Rows come from the same per-ticket query as the summary (``base.py``), so the export and the
report agree to the ticket: the number of rows is ``issued``, the mean of the "Chờ (giây)" column
is ``avg_wait_s``, and so on. Times are the center's local wall-clock time (the timezone is named
in the header of the time columns). In the workbook, dates and times are real date cells shown
dd/mm/yyyy and waits and service times real durations (``[h]:mm:ss``), so that they sort, sum
and average; the CSV keeps seconds and ISO times for other programs.

Any Unicode text exports, in both formats, after one documented cleaning (``clean_text``), the
same for CSV and Excel so that the two files say the same:

- characters an Excel file (XML 1.0) cannot hold — the control characters U+0000–U+001F other
  than tab and newline, unpaired surrogates, U+FFFE and U+FFFF — become U+FFFD (�), so a comment
  or a name with a stray ``\x01`` still exports, and shows where the odd character was;
- line breaks are one newline (CR LF and a lone CR become LF: Excel reads them so anyway);
- cells that a spreadsheet would take for a formula (text starting with ``=``, ``+``, ``-``,
  ``@`` or a tab — a visitor's comment, say) get a leading apostrophe (CSV/Excel injection).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import i18n
from .base import Period, base_cte

TIME_COLUMNS = ("issued_at", "first_call", "started_at", "finished_at")
DURATION_COLUMNS = ("wait_s", "service_s")
SITE_KEYS = ("site", "site_name")     # the hub's exports (issue 12) start with the site
KEYS = ("day", "code", "agency", "agency_name", "service", "service_name", "priority", "status", "issued_at",
        "first_call", "started_at", "finished_at", "wait_s", "service_s", "within", "desk", "officer", "score",
        "comment", "transfers", "recalls", "ticket_id",
        # issue 14: the scale the visitor rated on (a 3-level score is shown on 1–5 in "score"), why, dossiers
        "rating_levels", "rating_reason", "dossiers")
DATE_FORMAT, DATETIME_FORMAT, DURATION_FORMAT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm:ss", "[h]:mm:ss"


def columns(tz: ZoneInfo, *, durations: bool = False, sites: bool = False) -> list[tuple[str, str]]:
    """(key, Vietnamese header) of every column, in order. ``durations``: the wait and service
    columns hold durations (the workbook), not seconds (the CSV); ``sites``: the hub's, with the
    ``site`` first."""
    out = []
    for key in SITE_KEYS * sites + KEYS:
        header = i18n.t(f"report.col.{key}")
        if key in TIME_COLUMNS:
            header += f" ({tz})"
        elif durations and key in DURATION_COLUMNS:
            header = i18n.t(f"report.col.{key}_duration")
        out.append((key, header))
    return out


def export_rows(db, tz: ZoneInfo, period: Period, *, sites: bool = False) -> list[dict]:
    """Every ticket of the period, oldest first, with local times as naive ``datetime``s
    (``sites``: from the hub's tables, every site's, with its ``site``)."""
    if sites:               # the hub (issue 12): joins per site, officers' names as the site sent them
        joins = """FROM base b JOIN agencies a ON a.site = b.site AND a.code = b.agency
JOIN services s ON s.site = b.site AND s.code = b.service
LEFT JOIN officers u ON u.site = b.site AND u.id = b.officer JOIN sites st ON st.code = b.site
ORDER BY b.day, b.site, b.issued_at, b.id"""
    else:
        joins = """FROM base b JOIN agencies a ON a.code = b.agency JOIN services s ON s.code = b.service
LEFT JOIN users u ON u.id = b.officer
ORDER BY b.day, b.issued_at, b.id"""
    sql = base_cte(tz, period, sites=sites) + f"""
SELECT b.id, b.day, b.code, b.agency, a.name, b.service, s.name, b.priority, b.status, b.issued_at, b.first_call,
       b.started_at, b.finished_at, round(b.wait_s, 1), round(b.service_s, 1), b.within, b.desk, u.username,
       b.score, b.comment, b.transfers, b.recalls, b.rating_levels, b.rating_reason,
       (SELECT group_concat(code, '; ') FROM (SELECT code FROM dossiers d
        WHERE {"d.site = b.site AND " if sites else ""}d.ticket = b.id ORDER BY d.rowid)){", b.site, st.name" if sites else ""}
{joins}"""
    out = []
    for r in db.execute(sql, period.params()):
        row = {"ticket_id": r[0], "day": r[1], "code": r[2], "agency": r[3], "agency_name": r[4], "service": r[5],
               "service_name": r[6], "priority": i18n.priority_label(r[7]), "status": i18n.t(f"common.status.{r[8]}"),
               "issued_at": r[9], "first_call": r[10], "started_at": r[11], "finished_at": r[12], "wait_s": r[13],
               "service_s": r[14], "within": None if r[15] is None else i18n.t("report.yes" if r[15] else "report.no"),
               "desk": r[16], "officer": r[17], "score": r[18], "comment": r[19], "transfers": r[20],
               "recalls": r[21], "rating_levels": r[22], "rating_reason": r[23], "dossiers": r[24]}
        if sites:
            row["site"], row["site_name"] = r[25], r[26]
        for key in TIME_COLUMNS:
            if row[key] is not None:
                row[key] = datetime.fromtimestamp(row[key], tz).replace(tzinfo=None, microsecond=0)
        out.append(row)
    return out


#: what an XML 1.0 document (an .xlsx sheet) cannot hold, tab and newline aside (CR is made LF first)
UNFIT_FOR_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    """The cleaning every exported text gets (the module's docstring says what and why)."""
    value = UNFIT_FOR_XML.sub(REPLACEMENT, value.replace("\r\n", "\n").replace("\r", "\n"))
    return "'" + value if value[:1] in FORMULA_START else value


def safe_text(value):
    """Text as exported (``clean_text``); anything else as it is."""
    return clean_text(value) if isinstance(value, str) else value


def export_csv(rows: list[dict], tz: ZoneInfo, *, sites: bool = False) -> bytes:
    cols = columns(tz, sites=sites)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for _, header in cols])
    for row in rows:
        writer.writerow([_csv_cell(row[key]) for key, _ in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return safe_text(value)


def export_xlsx(rows: list[dict], tz: ZoneInfo, *, title: str = "", period: Period | None = None,
                totals: dict | None = None, sites: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cols = columns(tz, durations=True, sites=sites)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(i18n.t("report.sheet.tickets"))
    sheet.freeze_panes = "A2"
    widths = {"day": 11, "code": 9, "agency_name": 28, "service_name": 30, "status": 12, "comment": 30,
              "officer": 14, **{k: 19 for k in TIME_COLUMNS}}
    for i, (key, _) in enumerate(cols, start=1):
        from openpyxl.utils import get_column_letter

        sheet.column_dimensions[get_column_letter(i)].width = widths.get(key, 10)
    bold = Font(bold=True)
    header = []
    for _, text in cols:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def typed(ws, value, key=None):
        """A cell: dates as dates, durations as durations, text never a formula."""
        if key in DURATION_COLUMNS and value is not None:
            value = timedelta(seconds=round(value))
        elif key == "day" and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        if isinstance(value, (date, timedelta)):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = (DURATION_FORMAT if isinstance(value, timedelta)
                                  else DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT)
            return cell
        return safe_text(value)

    for row in rows:
        sheet.append([typed(sheet, row[key], key) for key, _ in cols])
    if totals is not None:
        info = wb.create_sheet(i18n.t("report.sheet.summary"))
        info.append([safe_text(title)])
        if period is not None:
            info.append([i18n.t("report.from"), typed(info, period.start)])
            info.append([i18n.t("report.to"), typed(info, period.end)])
            info.append([i18n.t("report.agency"), safe_text(period.agency or i18n.t("report.all"))])
            if sites:
                info.append([i18n.t("report.site"), safe_text(period.site or i18n.t("report.all"))])
        info.append([i18n.t("report.timezone"), str(tz)])
        info.append([])
        info.append([i18n.t("report.figure"), i18n.t("report.value")])
        for key, value in totals.items():
            label = i18n.t(f"report.total.{key}") if f"report.total.{key}" in i18n.catalog() else key
            if key.endswith("_s") and isinstance(value, (int, float)):
                value = timedelta(seconds=round(value))
            info.append([label, typed(info, value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
