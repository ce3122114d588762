"""Reports over the event log and the tickets, in SQL: the summary (totals, by agency, desk,
officer and local hour, with averages and 90th percentiles) and the tickets export (CSV with a
UTF-8 BOM, Excel). Both read the same per-ticket query (``base.py``), so they agree to the ticket."""
from .base import Period, PeriodError, parse_period
from .export import export_csv, export_rows, export_xlsx
from .summary import summary

__all__ = ["Period", "PeriodError", "parse_period", "summary", "export_rows", "export_csv", "export_xlsx"]
