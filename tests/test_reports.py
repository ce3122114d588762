"""Reports: a scripted day with an injected clock, and the summary, the hours and both exports
checked to the exact number; access rules and bad periods; hours across a DST change."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from server.reports.base import Period, local_hour_sql, parse_period, PeriodError, utc_offsets
from server.storage import Storage
from server.end_of_day import run_end_of_day
from tests.conftest import bearer, staff_tokens

DAY = "2026-11-23"


@pytest.fixture
def app(staff_app):
    return staff_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(client):
    return {"kiosk": "kiosk-token-1", "hall": "hall-token-1", "desk1": "desk-token-1", **staff_tokens(client)}


class Day:
    """Drives the API at given local times of the scripted day."""

    def __init__(self, client, tokens, clock, tz):
        self.client, self.tokens, self.clock, self.tz = client, tokens, clock, tz
        self.tickets: dict[str, dict] = {}

    def at(self, hh_mm: str, day: str = DAY):
        h, m = map(int, hh_mm.split(":"))
        y, mo, d = map(int, day.split("-"))
        self.clock.set(datetime(y, mo, d, h, m, tzinfo=self.tz))
        return self

    def issue(self, name, service):
        r = self.client.post("/api/v1/tickets", json={"service": service}, headers=bearer(self.tokens["kiosk"]))
        assert r.status_code == 201, r.get_json()
        self.tickets[name] = r.get_json()["ticket"]
        return self.tickets[name]

    def desk(self, number, action, who="stp1", **body):
        r = self.client.post(f"/api/v1/desks/{number}/{action}", json=body or None, headers=bearer(self.tokens[who]))
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def sup(self, name, action, **body):
        r = self.client.post(f"/api/v1/tickets/{self.tickets[name]['id']}/{action}", json=body or None,
                             headers=bearer(self.tokens["gs"]))
        assert r.status_code == 200, r.get_json()
        return r.get_json()["ticket"]

    def rate(self, name, score, token=None, secret=False):
        path = f"/api/v1/tickets/{self.tickets[name]['id']}/rating"
        if secret:
            path += "?t=" + self.tickets[name]["status_url"].split("?t=")[1]
        return self.client.post(path, json={"score": score}, headers=bearer(token) if token else {})


def scripted_day(client, tokens, clock, config, app) -> Day:
    """The day of the module docstring of test_reports (see the expected figures below)."""
    d = Day(client, tokens, clock, config.tz)
    d.at("07:55").issue("T1", "STP-LLTP")                 # hour 7
    d.at("08:00").issue("T2", "STP-LLTP")                 # hour 8
    d.issue("T3", "CA-CC")
    assert d.at("08:10").desk(1, "next")["ticket"]["code"] == "A001"      # T1 waited 900 s
    d.at("08:12").desk(1, "start")
    d.at("08:20").desk(1, "finish")                       # T1 served 480 s
    assert d.at("08:25").desk(1, "next")["ticket"]["code"] == "A002"      # T2 waited 1500 s
    d.at("08:27").desk(1, "no-show")
    assert d.at("08:30").desk(3, "next", who="ca1")["ticket"]["code"] == "C001"   # T3 waited 1800 s
    d.at("08:31").desk(3, "start", who="ca1")
    d.at("08:40").desk(3, "transfer", who="ca1", service="STP-HT")       # T3 now waits for STP-HT
    assert d.at("08:45").desk(1, "next")["ticket"]["code"] == "C001"      # second call, same first call
    d.at("08:46").desk(1, "start")
    d.at("09:06").desk(1, "finish")                       # T3 served 1200 s (desk 1, stp1)
    d.at("09:10").issue("T4", "STP-LLTP")                 # hour 9
    assert d.at("09:15").desk(1, "next")["ticket"]["code"] == "A003"      # T4 waited 300 s
    assert d.at("09:25").desk(1, "next")["ticket"] is None                # T4 done, never started: 600 s
    d.at("10:00").issue("T5", "CA-CC")                    # hour 10: left waiting until midnight
    d.at("10:05").issue("T6", "STP-LLTP")
    d.at("10:06").issue("T7", "STP-LLTP")
    d.at("10:10").sup("T7", "cancel", reason="Công dân về trước")         # 4 min: does not count for target
    d.at("10:30").sup("T6", "cancel")                     # waited 25 min > 15: counts as late
    # ratings: desk 1's display, the phone with the secret, a supervisor
    assert d.at("10:31").rate("T1", 5, token=tokens["gs"]).status_code == 201     # a desk display rates only just after
    assert d.rate("T3", 4, secret=True).status_code == 201
    assert d.rate("T4", 2, token=tokens["gs"]).status_code == 201
    assert d.rate("T2", 3, token=tokens["gs"]).status_code == 409         # a no-show is not rated
    assert d.rate("T1", 1, token=tokens["gs"]).status_code == 409         # one rating per ticket
    # midnight: T5 is closed as cancelled, finished at midnight
    d.at("00:00", "2026-11-24")
    clock.advance(30)
    run_end_of_day(app.extensions["hangdoi"])
    return d


@pytest.fixture
def day(client, tokens, clock, config, app):
    return scripted_day(client, tokens, clock, config, app)


def S(issued=0, served=0, no_show=0, cancelled=0, called=0, avg_wait_s=None, p90_wait_s=None, avg_service_s=None,
      p90_service_s=None, within_target_pct=None, rating_avg=None, ratings=0):
    return dict(locals())


TOTALS = S(issued=7, served=3, no_show=1, cancelled=3, called=4, avg_wait_s=1125.0, p90_wait_s=1800.0,
           avg_service_s=760.0, p90_service_s=1200.0, within_target_pct=33.3, rating_avg=3.67, ratings=3)
BY_HOUR = [
    {"hour": 7, **S(issued=1, served=1, called=1, avg_wait_s=900.0, p90_wait_s=900.0, avg_service_s=480.0,
                    p90_service_s=480.0, within_target_pct=100.0, rating_avg=5.0, ratings=1)},
    {"hour": 8, **S(issued=2, served=1, no_show=1, called=2, avg_wait_s=1650.0, p90_wait_s=1800.0,
                    avg_service_s=1200.0, p90_service_s=1200.0, within_target_pct=0.0, rating_avg=4.0, ratings=1)},
    {"hour": 9, **S(issued=1, served=1, called=1, avg_wait_s=300.0, p90_wait_s=300.0, avg_service_s=600.0,
                    p90_service_s=600.0, within_target_pct=100.0, rating_avg=2.0, ratings=1)},
    {"hour": 10, **S(issued=3, cancelled=3, within_target_pct=0.0)},
]


def summary(client, tokens, query=f"from={DAY}&to={DAY}", who="gs"):
    r = client.get(f"/api/v1/reports/summary?{query}", headers=bearer(tokens[who]))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_scripted_day_summary_to_the_exact_number(day, client, tokens):
    body = summary(client, tokens)
    assert body["totals"] == TOTALS
    assert body["by_hour"] == BY_HOUR
    assert body["period"] == {"from": DAY, "to": DAY, "agency": None, "timezone": "Asia/Ho_Chi_Minh"}

    agencies = {a["code"]: a for a in body["by_agency"]}
    assert [a["code"] for a in body["by_agency"]] == ["STP", "CA"]
    assert agencies["STP"]["name"] == "Sở Tư pháp"
    assert {k: agencies["STP"][k] for k in ("issued", "served", "no_show", "cancelled", "called")} == \
        {"issued": 6, "served": 3, "no_show": 1, "cancelled": 2, "called": 4}  # T3 ended with STP
    assert agencies["CA"]["issued"] == 1 and agencies["CA"]["cancelled"] == 1 and agencies["CA"]["avg_wait_s"] is None
    for key in ("issued", "served", "no_show", "cancelled", "called", "ratings"):
        assert sum(a[key] for a in body["by_agency"]) == body["totals"][key] == sum(h[key] for h in body["by_hour"])

    desks = {d["number"]: d for d in body["by_desk"]}
    assert sorted(desks) == [1, 2, 3]
    assert desks[1] | {} == {"number": 1, "name": "Quầy 1", "agency": "STP",
                             **S(issued=4, served=3, no_show=1, called=4, avg_wait_s=1125.0, p90_wait_s=1800.0,
                                 avg_service_s=760.0, p90_service_s=1200.0, within_target_pct=50.0,
                                 rating_avg=3.67, ratings=3)}
    assert desks[2]["issued"] == 0 and desks[3]["issued"] == 0   # T3 left desk 3 by transfer
    assert [(o["username"], o["issued"], o["served"], o["ratings"]) for o in body["by_officer"]] == [("stp1", 4, 3, 3)]


def test_summary_of_one_agency(day, client, tokens):
    body = summary(client, tokens, f"from={DAY}&to={DAY}&agency=ca")
    assert body["period"]["agency"] == "CA"
    assert body["totals"] == S(issued=1, cancelled=1, within_target_pct=0.0)
    assert [a["code"] for a in body["by_agency"]] == ["CA"]
    assert [d["number"] for d in body["by_desk"]] == [3]
    assert body["by_hour"] == [{"hour": 10, **S(issued=1, cancelled=1, within_target_pct=0.0)}]


def test_an_empty_period_has_zeros_and_nulls(day, client, tokens):
    body = summary(client, tokens, "from=2026-11-01&to=2026-11-22")
    assert body["totals"] == S()
    assert body["by_hour"] == [] and body["by_officer"] == []
    assert all(a["issued"] == 0 for a in body["by_agency"])


def test_csv_export_agrees_with_the_summary(day, client, tokens):
    r = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=csv", headers=bearer(tokens["gs"]))
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")                    # UTF-8 BOM: Excel reads Vietnamese right
    text = raw.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    header = text[1:].split("\r\n")[0].split(",")
    assert header[:8] == ["Ngày", "Số thứ tự", "Mã cơ quan", "Cơ quan", "Mã dịch vụ", "Dịch vụ", "Ưu tiên", "Kết quả"]
    assert len(rows) == TOTALS["issued"]
    by_code = {r["Số thứ tự"]: r for r in rows}
    t1 = by_code["A001"]
    assert (t1["Cơ quan"], t1["Dịch vụ"], t1["Kết quả"]) == ("Sở Tư pháp", "Lý lịch tư pháp", "Đã phục vụ")
    assert t1["Lấy số lúc (Asia/Ho_Chi_Minh)"] == "2026-11-23 07:55:00"
    assert t1["Gọi lần đầu lúc (Asia/Ho_Chi_Minh)"] == "2026-11-23 08:10:00"
    assert (t1["Chờ (giây)"], t1["Phục vụ (giây)"], t1["Quầy"], t1["Cán bộ"], t1["Đánh giá (1–5)"]) == \
        ("900", "480", "1", "stp1", "5")
    c1 = by_code["C001"]
    assert (c1["Dịch vụ"], c1["Cơ quan"], c1["Số lần chuyển"], c1["Gọi lần đầu lúc (Asia/Ho_Chi_Minh)"]) == \
        ("Hộ tịch", "Sở Tư pháp", "1", "2026-11-23 08:30:00")
    assert by_code["A002"]["Kết quả"] == "Vắng mặt"
    t5 = by_code["C002"]
    assert (t5["Kết quả"], t5["Kết thúc (Asia/Ho_Chi_Minh)"], t5["Chờ (giây)"]) == ("Đã hủy", "2026-11-24 00:00:00", "")
    # the same figures as the summary, from the rows
    waits = [float(r["Chờ (giây)"]) for r in rows if r["Chờ (giây)"]]
    services = [float(r["Phục vụ (giây)"]) for r in rows if r["Phục vụ (giây)"]]
    scores = [int(r["Đánh giá (1–5)"]) for r in rows if r["Đánh giá (1–5)"]]
    within = [r["Trong thời gian chờ mục tiêu"] for r in rows if r["Trong thời gian chờ mục tiêu"]]
    assert round(sum(waits) / len(waits), 1) == TOTALS["avg_wait_s"]
    assert round(sum(services) / len(services), 1) == TOTALS["avg_service_s"]
    assert round(sum(scores) / len(scores), 2) == TOTALS["rating_avg"] and len(scores) == TOTALS["ratings"]
    assert round(100 * within.count("có") / len(within), 1) == TOTALS["within_target_pct"]
    assert sum(r["Kết quả"] == "Đã phục vụ" for r in rows) == TOTALS["served"]
    # the rows by local hour of issue are the by-hour rows
    hours = {}
    for r in rows:
        hours[int(r["Lấy số lúc (Asia/Ho_Chi_Minh)"][11:13])] = hours.get(int(r["Lấy số lúc (Asia/Ho_Chi_Minh)"][11:13]), 0) + 1
    assert hours == {h["hour"]: h["issued"] for h in BY_HOUR}


def test_xlsx_export_agrees_with_the_summary(day, client, tokens):
    r = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=xlsx", headers=bearer(tokens["root"]))
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["Content-Disposition"] == f'attachment; filename="hangdoi-phieu-{DAY}_{DAY}.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames == ["Phiếu", "Tổng hợp"]
    sheet = wb["Phiếu"]
    values = list(sheet.iter_rows(values_only=True))
    header, rows = values[0], [dict(zip(values[0], v)) for v in values[1:]]
    assert header[1] == "Số thứ tự" and header[3] == "Cơ quan"
    assert len(rows) == 7
    t1 = next(r for r in rows if r["Số thứ tự"] == "A001")
    assert t1["Lấy số lúc (Asia/Ho_Chi_Minh)"] == datetime(2026, 11, 23, 7, 55)    # a real date cell
    assert t1["Ngày"] == datetime(2026, 11, 23)                                       # a date, not text
    assert (t1["Thời gian chờ"], t1["Thời gian phục vụ"], t1["Đánh giá (1–5)"], t1["Cơ quan"]) == \
        (timedelta(seconds=900), timedelta(seconds=480), 5, "Sở Tư pháp")                # durations, not numbers
    waits = [r["Thời gian chờ"].total_seconds() for r in rows if r["Thời gian chờ"] is not None]
    assert round(sum(waits) / len(waits), 1) == TOTALS["avg_wait_s"]
    assert sheet.cell(2, 1).number_format == "dd/mm/yyyy" and sheet.cell(2, 9).number_format == "dd/mm/yyyy hh:mm:ss"
    assert sheet.cell(2, 13).number_format == "[h]:mm:ss"
    assert sum(1 for r in rows if r["Kết quả"] == "Vắng mặt") == TOTALS["no_show"]
    totals = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(values_only=True) if row and row[0]}
    # Vietnamese labels, not the API's keys; the average wait a duration, the dates dates
    assert totals["Số đã cấp"] == 7 and totals["Chờ trung bình"] == timedelta(seconds=1125)
    assert totals["Từ ngày"] == datetime(2026, 11, 23) and "issued" not in totals and "avg_wait_s" not in totals


def test_exports_never_write_formulas(day, client, tokens, storage):
    with storage.write() as db:
        db.execute("UPDATE ratings SET comment = '=HYPERLINK(\"http://evil\")' WHERE score = 5")
    r = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=xlsx", headers=bearer(tokens["gs"]))
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data()))["Phiếu"]
    comments = [c.value for c in sheet["S"] if c.value and "HYPERLINK" in str(c.value)]
    assert comments == ["'=HYPERLINK(\"http://evil\")"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    text = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}", headers=bearer(tokens["gs"])).get_data(as_text=True)
    assert "'=HYPERLINK" in text


# ---- access and bad input ---------------------------------------------------------------------
REPORT_ROUTES = [f"/api/v1/reports/summary?from={DAY}&to={DAY}",
                 f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=csv",
                 f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=xlsx"]


@pytest.mark.parametrize("path", REPORT_ROUTES)
def test_reports_are_for_supervisors_and_admins_only(client, tokens, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer("not-a-token")).status_code == 401
    for who in ("kiosk", "hall", "desk1", "stp1", "ca1"):
        r = client.get(path, headers=bearer(tokens[who]))
        assert r.status_code == 403, who
        assert r.get_json()["error"]["code"] == "forbidden"
    for who in ("gs", "root"):
        assert client.get(path, headers=bearer(tokens[who])).status_code == 200, who


@pytest.mark.parametrize("route", ["summary", "tickets"])
@pytest.mark.parametrize("query, code", [
    ("", "missing_date"),
    ("from=2026-11-23", "missing_date"),
    ("to=2026-11-23", "missing_date"),
    ("from=2026-13-01&to=2026-12-01", "invalid_date"),
    ("from=2026-02-30&to=2026-03-01", "invalid_date"),
    ("from=23/11/2026&to=2026-11-23", "invalid_date"),
    ("from=2026-11-23T00:00&to=2026-11-23", "invalid_date"),
    ("from=%00&to=2026-11-23", "invalid_date"),
    ("from=2026-11-24&to=2026-11-23", "invalid_range"),
    ("from=2024-01-01&to=2026-11-23", "range_too_long"),
    ("from=2026-11-23&to=2026-11-23&agency=NOPE", "unknown_agency"),
])
def test_bad_dates_and_ranges_are_400(client, tokens, route, query, code):
    r = client.get(f"/api/v1/reports/{route}?{query}", headers=bearer(tokens["gs"]))
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_bad_export_format_is_400(client, tokens):
    r = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=pdf", headers=bearer(tokens["gs"]))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_format"


def test_excel_covers_at_most_a_quarter_csv_a_year(client, tokens):
    r = client.get("/api/v1/reports/tickets?from=2026-01-01&to=2026-04-04&format=xlsx", headers=bearer(tokens["gs"]))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "range_too_long"
    assert "CSV" in r.get_json()["error"]["message"]
    assert client.get("/api/v1/reports/tickets?from=2026-01-01&to=2026-04-03&format=xlsx",
                      headers=bearer(tokens["gs"])).status_code == 200
    assert client.get("/api/v1/reports/tickets?from=2026-01-01&to=2026-12-31",
                      headers=bearer(tokens["gs"])).status_code == 200


def test_migration_v3_backfills_the_first_call_from_the_event_log(tmp_path):
    from server.storage.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    old = Storage(path, migrations=MIGRATIONS[:2])
    with old.write() as db:
        db.execute("INSERT INTO agencies (code, name) VALUES ('A', 'a')")
        db.execute("INSERT INTO services (code, agency, name, prefix, target_wait_min) VALUES ('S1', 'A', 's', 'A', 15), "
                   "('S2', 'A', 't', 'A', 15)")
        db.execute("INSERT INTO tickets (id, day, code, prefix, number, service, agency, status, secret, issued_at, "
                   "queued_at, called_at) VALUES (1, '2026-11-23', 'A001', 'A', 1, 'S2', 'A', 'called', 's', 100, 100, 900)")
        for at, service in ((500, "S1"), (900, "S2")):       # called for S1, transferred, called for S2
            db.execute("INSERT INTO events (at, day, type, ticket, service) VALUES (?, '2026-11-23', 'called', 1, ?)",
                       [at, service])
    old.close()
    new = Storage(path, migrations=MIGRATIONS[:3])
    assert new.schema_version == 3
    with new.write() as db:
        assert db.execute("SELECT first_called_at, first_service FROM tickets").fetchone() == (500, "S1")
        db.execute("INSERT INTO tickets (id, day, code, prefix, number, service, agency, status, secret, issued_at, "
                   "queued_at) VALUES (2, '2026-11-23', 'A002', 'A', 2, 'S1', 'A', 'waiting', 's', 100, 100)")
        db.execute("INSERT INTO events (at, day, type, ticket, service) VALUES (700, '2026-11-23', 'called', 2, 'S1')")
        db.execute("INSERT INTO events (at, day, type, ticket, service) VALUES (800, '2026-11-23', 'called', 2, 'S2')")
        assert db.execute("SELECT first_called_at, first_service FROM tickets WHERE id = 2").fetchone() == (700, "S1")
    new.close()


def test_a_year_is_allowed(client, tokens):
    assert client.get("/api/v1/reports/summary?from=2026-01-01&to=2026-12-31",
                      headers=bearer(tokens["gs"])).status_code == 200


def test_parse_period():
    assert parse_period("2026-11-01", "2026-11-30", " stp ") == Period(date(2026, 11, 1), date(2026, 11, 30), "STP")
    with pytest.raises(PeriodError):
        parse_period("2026-11-01", "2026-10-30")


def test_reports_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    summary_op = paths["/reports/summary"]["get"]
    assert {p["name"] for p in summary_op["parameters"]} == {"from", "to", "agency"}
    assert set(summary_op["responses"]) >= {"200", "400", "401", "403"}
    assert "text/csv" in paths["/reports/tickets"]["get"]["responses"]["200"]["content"]
    assert {"/tickets/{ticket_id}/rating", "/supervision/overview", "/admin/users"} <= set(paths)


# ---- local hours ------------------------------------------------------------------------------
def test_local_hour_of_vietnam_is_one_fixed_offset():
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2026, 1, 1, tzinfo=tz).timestamp()
    assert utc_offsets(tz, start, start + 400 * 86400) == [(None, 7 * 3600)]
    assert local_hour_sql(tz, start, start + 86400, "x") == "((CAST(x + 25200 AS INTEGER) % 86400) / 3600)"
    # not hard-coded: in 1970 Saigon was UTC+8, and the reports would say so
    assert utc_offsets(tz, 0, 86400.0) == [(None, 8 * 3600)]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Ho_Chi_Minh"])
def test_local_hours_are_exact_across_dst_changes(zone, tmp_path):
    """Hour buckets in SQL equal Python's local hour for every 20 minutes of a year, DST included."""
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 1, tzinfo=tz).timestamp()
    end = datetime(2027, 1, 1, tzinfo=tz).timestamp()
    storage = Storage(tmp_path / "h.db")
    with storage.connection() as db:
        stamps = [start + i * 1200 + 7 for i in range(int((end - start) / 1200))]
        sql = f"SELECT {local_hour_sql(tz, start, end, 'value')} FROM json_each(?)"
        import json
        got = [r[0] for r in db.execute(sql, [json.dumps(stamps)])]
    assert got == [datetime.fromtimestamp(ts, tz).hour for ts in stamps]
    if zone == "Europe/Berlin":
        assert [seg[1] for seg in utc_offsets(tz, start, end)] == [3600, 7200, 3600]
