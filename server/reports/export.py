"""The tickets export: every ticket of the period with its times, desk, officer, outcome and
rating, as CSV (UTF-8 with a BOM, so that Excel shows Vietnamese right) or as an Excel workbook.

Rows come from the same per-ticket query as the summary (``base.py``), so the export and the
report agree to the ticket: the number of rows is ``issued``, the mean of the "Chờ (giây)" column
is ``avg_wait_s``, and so on. Times are the center's local wall-clock time (the timezone is named
in the header of the time columns).

Cells that a spreadsheet would take for a formula (text starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return — a visitor's comment, say) are written with a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from .base import Period, base_cte

STATUS_LABELS = {"waiting": "Đang chờ", "called": "Đã gọi", "serving": "Đang phục vụ", "done": "Đã phục vụ",
                 "no_show": "Vắng mặt", "cancelled": "Đã hủy"}
PRIORITY_LABELS = {"elderly": "Người cao tuổi", "disabled": "Người khuyết tật", "pregnant": "Phụ nữ mang thai",
                   "child": "Trẻ em", "veteran": "Người có công"}
TIME_COLUMNS = ("issued_at", "first_call", "started_at", "finished_at")
TOTAL_LABELS = {"issued": "Số đã cấp", "served": "Đã phục vụ", "no_show": "Vắng mặt", "cancelled": "Đã hủy",
                "called": "Đã được gọi", "avg_wait_s": "Chờ trung bình (giây)", "p90_wait_s": "Chờ P90 (giây)",
                "avg_service_s": "Phục vụ trung bình (giây)", "p90_service_s": "Phục vụ P90 (giây)",
                "within_target_pct": "Gọi trong thời gian chờ mục tiêu (%)", "rating_avg": "Mức hài lòng trung bình (1–5)",
                "ratings": "Số lượt đánh giá"}


def columns(tz: ZoneInfo) -> list[tuple[str, str]]:
    """(key, Vietnamese header) of every column, in order."""
    zone = f" ({tz})"
    return [
        ("day", "Ngày"), ("code", "Số thứ tự"), ("agency", "Mã cơ quan"), ("agency_name", "Cơ quan"),
        ("service", "Mã dịch vụ"), ("service_name", "Dịch vụ"), ("priority", "Ưu tiên"),
        ("status", "Kết quả"), ("issued_at", "Lấy số lúc" + zone), ("first_call", "Gọi lần đầu lúc" + zone),
        ("started_at", "Bắt đầu phục vụ" + zone), ("finished_at", "Kết thúc" + zone),
        ("wait_s", "Chờ (giây)"), ("service_s", "Phục vụ (giây)"), ("within", "Trong thời gian chờ mục tiêu"),
        ("desk", "Quầy"), ("officer", "Cán bộ"), ("score", "Đánh giá (1–5)"), ("comment", "Góp ý"),
        ("transfers", "Số lần chuyển"), ("recalls", "Số lần gọi lại"), ("ticket_id", "Mã phiếu (hệ thống)"),
        # issue 14: the scale the visitor rated on (a 3-level score is shown on 1–5 above), why, dossiers
        ("rating_levels", "Số mức đánh giá"), ("rating_reason", "Lý do đánh giá"), ("dossiers", "Mã hồ sơ"),
    ]


def export_rows(db, tz: ZoneInfo, period: Period) -> list[dict]:
    """Every ticket of the period, oldest first, with local times as naive ``datetime``s."""
    sql = base_cte(tz, period) + """
SELECT b.id, b.day, b.code, b.agency, a.name, b.service, s.name, b.priority, b.status, b.issued_at, b.first_call,
       b.started_at, b.finished_at, round(b.wait_s, 1), round(b.service_s, 1), b.within, b.desk, u.username,
       b.score, b.comment, b.transfers, b.recalls, b.rating_levels, b.rating_reason,
       (SELECT group_concat(code, '; ') FROM (SELECT code FROM dossiers d WHERE d.ticket = b.id ORDER BY d.id))
FROM base b JOIN agencies a ON a.code = b.agency JOIN services s ON s.code = b.service
LEFT JOIN users u ON u.id = b.officer
ORDER BY b.day, b.issued_at, b.id"""
    out = []
    for r in db.execute(sql, period.params()):
        row = {"ticket_id": r[0], "day": r[1], "code": r[2], "agency": r[3], "agency_name": r[4], "service": r[5],
               "service_name": r[6], "priority": PRIORITY_LABELS.get(r[7], r[7]), "status": STATUS_LABELS[r[8]],
               "issued_at": r[9], "first_call": r[10], "started_at": r[11], "finished_at": r[12], "wait_s": r[13],
               "service_s": r[14], "within": None if r[15] is None else ("có" if r[15] else "không"),
               "desk": r[16], "officer": r[17], "score": r[18], "comment": r[19], "transfers": r[20],
               "recalls": r[21], "rating_levels": r[22], "rating_reason": r[23], "dossiers": r[24]}
        for key in TIME_COLUMNS:
            if row[key] is not None:
                row[key] = datetime.fromtimestamp(row[key], tz).replace(tzinfo=None, microsecond=0)
        out.append(row)
    return out


def safe_text(value):
    """Text a spreadsheet must not run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(rows: list[dict], tz: ZoneInfo) -> bytes:
    cols = columns(tz)
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
                totals: dict | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cols = columns(tz)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Phiếu")
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
    for row in rows:
        cells = []
        for key, _ in cols:
            value = row[key]
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                cells.append(cell)
            else:
                cells.append(safe_text(value))
        sheet.append(cells)
    if totals is not None:
        info = wb.create_sheet("Tổng hợp")
        info.append([safe_text(title)])
        if period is not None:
            info.append(["Từ ngày", period.start.isoformat()])
            info.append(["Đến ngày", period.end.isoformat()])
            info.append(["Cơ quan", period.agency or "tất cả"])
        info.append(["Múi giờ", str(tz)])
        info.append([])
        for key, value in totals.items():
            info.append([key, value, TOTAL_LABELS.get(key, "")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
