"""Issue 9, item 3: exports succeed for any Unicode text in any field, and the API refuses control
characters in text fields where they have no meaning.

The property test writes the tickets export (CSV and Excel) with any text in every text field and
in the title, reads it back (csv, openpyxl) and finds exactly ``clean_text`` of what was written:
characters XML cannot hold become U+FFFD, line breaks are LF, formulas get an apostrophe."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.reports.base import Period
from server.reports.export import clean_text, columns, export_csv, export_xlsx
from server.rules import Actor
from tests.conftest import KIOSK, bearer, staff_tokens

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT_KEYS = ("day", "code", "agency", "agency_name", "service", "service_name", "priority", "status", "within",
             "officer", "comment")
# any code point, unpaired surrogates and every control character included
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


def a_row(texts: dict) -> dict:
    row = {key: None for key, _ in columns(TZ)}
    row.update(texts)
    row.update({"ticket_id": 7, "issued_at": datetime(2026, 11, 23, 8, 0, 1), "wait_s": 61.5, "desk": 1,
                "score": 1, "transfers": 0, "recalls": 2})
    return row


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.fixed_dictionaries({key: ANY_TEXT for key in TEXT_KEYS}), title=ANY_TEXT)
def test_any_text_exports_to_csv_and_excel_and_reads_back_cleaned(texts, title):
    row = a_row(texts)
    keys = [key for key, _ in columns(TZ)]
    period = Period(date(2026, 11, 23), date(2026, 11, 23), None)

    body = read_csv(export_csv([row], TZ))
    assert len(body) == 2
    got = dict(zip(keys, body[1]))
    for key, text in texts.items():
        assert got[key] == clean_text(text), key

    data = export_xlsx([row], TZ, title=title, period=period, totals={"issued": 1, "rating_avg": 1.0})
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c.value for c in book["Phiếu"][2]]
    got = dict(zip(keys, cells))
    for key, text in texts.items():
        assert (got[key] or "") == clean_text(text), key
    # dates are date cells and durations duration cells (whole seconds)
    assert got["issued_at"] == datetime(2026, 11, 23, 8, 0, 1) and got["wait_s"] == timedelta(seconds=62)
    assert (book["Tổng hợp"]["A1"].value or "") == clean_text(title)


@pytest.mark.parametrize("text, cleaned", [
    ("Rất tốt\x01", "Rất tốt\ufffd"), ("Sở\x00Tư pháp\x07", "Sở\ufffdTư pháp\ufffd"), ("a\r\nb\rc", "a\nb\nc"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "\n=1"), ("x\ud800y\uffff", "x\ufffdy\ufffd"), ("tab\tnl\n", "tab\tnl\n"),
])
def test_the_documented_cleaning(text, cleaned):
    assert clean_text(text) == cleaned


# ---- through the server: a stored control character no longer breaks the report -----------------
@pytest.fixture
def client(staff_app):
    return staff_app.test_client()


@pytest.fixture
def tokens(client):
    return staff_tokens(client)


def test_a_stored_control_character_in_a_comment_or_a_name_still_exports(staff_app, client, tokens, storage):
    """As a database written before the API refused them would hold (or a config name with NUL or BEL)."""
    hub = staff_app.extensions["hangdoi"]
    ticket = hub.service.issue(KIOSK, "STP-LLTP").result
    officer = Actor(kind="user", role="officer", agency="STP", name="stp1")
    hub.service.call_next(officer, 1)
    hub.service.finish(officer, 1)
    hub.service.rate(officer, ticket["id"], 2, "ok", "staff")
    with storage.write() as db:
        db.execute("UPDATE ratings SET comment = ? WHERE ticket = ?", ["Chờ lâu\x01=1+2", ticket["id"]])
        db.execute("UPDATE agencies SET name = ? WHERE code = 'STP'", ["Sở Tư pháp\x00\x07"])
        db.execute("UPDATE services SET name = ? WHERE code = 'STP-LLTP'", ["=cmd|' /C calc'!A0"])
    day = hub.clock.today().isoformat()
    for fmt in ("xlsx", "csv"):
        r = client.get(f"/api/v1/reports/tickets?from={day}&to={day}&format={fmt}", headers=bearer(tokens["gs"]))
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        if fmt == "xlsx":
            values = [c.value for c in openpyxl.load_workbook(io.BytesIO(r.data))["Phiếu"][2]]
        else:
            values = read_csv(r.data)[1]
        assert "Chờ lâu\ufffd=1+2" in values and "Sở Tư pháp\ufffd\ufffd" in values
        assert "'=cmd|' /C calc'!A0" in values


# ---- the API: control characters refused where they mean nothing --------------------------------
def post(client, path, token, body: dict | str):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/v1" + path, data=data, content_type="application/json", headers=bearer(token))


@pytest.mark.parametrize("bad", ["\x01", "\x00", "\x07", "\n", "\r", "\t", "\x1b[31m", "\x7f", "\x85", "\u2028"])
def test_one_line_text_fields_refuse_control_characters(client, tokens, bad):
    # an open desk for the pause
    hub = client.application.extensions["hangdoi"]
    hub.service.issue(KIOSK, "STP-LLTP")
    assert post(client, "/desks/2/next", tokens["stp1"], {}).status_code == 200
    cases = [
        ("/desks/2/pause", "stp1", {"reason": f"nghỉ{bad}trưa"}, "invalid_reason"),
        ("/tickets", "stp1", {"service": f"STP-LLTP{bad}"}, "invalid_request"),
        ("/desks/2/transfer", "stp1", {"service": f"STP-HT{bad}"}, "invalid_request"),
        ("/auth/login", None, {"username": f"gs{bad}", "password": "mat-khau-3"}, "invalid_request"),
        ("/admin/users", "root", {"username": f"moi{bad}", "password": "mat-khau-9", "role": "supervisor"},
         "invalid_request"),
        ("/admin/users/disable", "root", {"username": f"stp1{bad}"}, "invalid_request"),
        ("/admin/users/agency", "root", {"username": "stp1", "agency": f"STP{bad}"}, "invalid_request"),
        ("/tickets/1/cancel", "gs", {"reason": f"về{bad}"}, "invalid_request"),
        ("/tickets/1/move", "gs", {"service": f"STP-HT{bad}"}, "invalid_request"),
    ]
    for path, who, body, code in cases:
        r = post(client, path, tokens.get(who), body)
        assert r.status_code == 400, (path, bad, r.status_code, r.get_data(as_text=True))
        error = r.get_json()["error"]
        assert error["code"] == code, (path, error)
        assert "has no place in this text" in error["message"]


def test_a_comment_keeps_its_lines_and_refuses_other_controls(staff_app, client, tokens):
    hub = staff_app.extensions["hangdoi"]
    officer = Actor(kind="user", role="officer", agency="STP", name="stp1")
    ids = []
    for _ in range(3):
        ids.append(hub.service.issue(KIOSK, "STP-LLTP").result["id"])
        hub.service.call_next(officer, 1)
        hub.service.finish(officer, 1)
    r = post(client, f"/tickets/{ids[0]}/rating", tokens["stp1"], {"score": 1, "comment": "Chờ lâu\x01"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_comment"
    r = post(client, f"/tickets/{ids[0]}/rating", tokens["stp1"], '{"score": 1, "comment": "x\\ud800y"}')
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_comment"
    r = post(client, f"/tickets/{ids[0]}/rating", tokens["stp1"], {"score": 4, "comment": "Dòng một\r\nDòng hai\tcó tab"})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["rating"]["comment"] == "Dòng một\nDòng hai\tcó tab"


def test_an_unpaired_surrogate_is_refused_not_a_server_error(client, tokens):
    for path, who, raw in [("/auth/login", None, '{"username": "gs", "password": "\\udc80"}'),
                           ("/auth/login", None, '{"username": "g\\ud800", "password": "x"}'),
                           ("/tickets", "stp1", '{"service": "\\udfff"}'),
                           ("/admin/users/password", "root", '{"username": "stp1", "password": "abc\\ud83d-def"}')]:
        r = post(client, path, tokens.get(who), raw)
        assert r.status_code == 400, (path, r.status_code, r.get_data(as_text=True))
