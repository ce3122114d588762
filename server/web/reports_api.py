"""The site's reports: ``GET /api/v1/reports/summary`` and ``/reports/tickets`` (CSV or Excel),
for supervisors and admins; the figures themselves are ``server.reports``'."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..reports import PeriodError, export_csv, export_rows, export_xlsx, parse_period, summary
from ..rules.shapes import agency_exists
from .auth import hub
from .endpoint import endpoint
from .errors import ApiError
from .offload import off_the_loop
from .roles import SUPERVISORS
from .schemas import ReportSummary

api = Blueprint("reports_api", __name__, url_prefix="/api/v1")

PERIOD_QUERY = {"from": "first local day, YYYY-MM-DD", "to": "last local day, YYYY-MM-DD (at most 366 days)",
                "agency": "an agency code (optional)"}


XLSX_MAX_DAYS = 93


def _summary(h, period):
    with h.storage.read() as db:
        return summary(db, h.config.tz, period)


def _export(h, period, fmt):
    tz = h.config.tz
    with h.storage.read() as db:
        rows = export_rows(db, tz, period)
        totals = summary(db, tz, period)["totals"] if fmt == "xlsx" else None
    if fmt == "csv":
        return export_csv(rows, tz)
    return export_xlsx(rows, tz, title=h.config.center.name, period=period, totals=totals)


def _period(max_days: int | None = None):
    try:
        period = parse_period(request.args.get("from"), request.args.get("to"), request.args.get("agency"),
                              **({"max_days": max_days} if max_days else {}))
    except PeriodError as err:
        raise ApiError(400, err.code, err.message) from None
    if period.agency is not None:
        with hub().storage.read() as db:
            if not agency_exists(db, period.agency):
                raise ApiError(400, "unknown_agency", f"there is no agency {period.agency!r}")
    return period


@api.get("/reports/summary")
@endpoint("Summary report: totals, by agency, desk, officer and local hour", auth=SUPERVISORS,
          responses={200: ReportSummary}, errors=(400,), query=PERIOD_QUERY, tag="reports",
          description="Figures over the tickets issued on the local days from..to (see README, Reports): issued, "
                      "served, no-show, cancelled, average and 90th-percentile wait and service time, share "
                      "called within target, ratings.")
def report_summary(actor):
    return jsonify(off_the_loop(_summary, _period()))


@api.get("/reports/tickets")
@endpoint("Every ticket of the period, as CSV (UTF-8 with BOM) or Excel", auth=SUPERVISORS,
          responses={200: "text/csv"}, errors=(400,), tag="reports",
          query={**PERIOD_QUERY, "format": "csv (default) or xlsx"},
          description="Times, desk, officer, outcome and rating of each ticket. `format=xlsx` answers "
                      "`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, for at most "
                      f"{XLSX_MAX_DAYS} days (Excel files of a year take a minute to write; use CSV).")
def report_tickets(actor):
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "invalid_format", "format must be csv or xlsx")
    if fmt == "xlsx":
        try:
            period = _period(XLSX_MAX_DAYS)
        except ApiError as err:
            if err.code == "range_too_long":
                err.message += "; for a longer period download the CSV (up to 366 days)"
            raise
    else:
        period = _period()
    data = off_the_loop(_export, period, fmt)
    name = f"hangdoi-phieu-{period.start.isoformat()}_{period.end.isoformat()}" + (
        f"-{period.agency}" if period.agency else "")
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)   # a header, quoted
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})
