"""Lookup over HTTP (issue 14): procedures, dossier codes on tickets (pattern, who may), the
dossier status link, ratings on 3 or 5 levels with a reason, the ratings report in three formats."""
from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from openpyxl import load_workbook

from server.auth.users import create_user
from server.web.app import create_app
from tests.conftest import bearer, make_config

DOSSIER = "000.00.27.H42-261123-0012"
CATALOG = [
    {"code": "TN-STP-001", "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "field": "Lý lịch tư pháp",
     "service": "STP-LLTP", "documents": ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"], "fee": "", "processing_time": ""},
    {"code": "TN-STP-002", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "service": "STP-HT"},
    {"code": "TN-STP-003", "name": "Đăng ký kết hôn", "field": "Hộ tịch", "service": "STP-HT"},
    {"code": "TN-CA-001", "name": "Cấp đổi thẻ căn cước", "field": "Căn cước", "service": "CA-CC"},
]


def center(tmp_path, **extra):
    (tmp_path / "procedures.json").write_text(json.dumps({"procedures": CATALOG}, ensure_ascii=False), encoding="utf-8")
    return make_config(tmp_path, lookup={"procedures": "procedures.json",
                                         "dossier_status_url": "https://dichvucong.example.gov.vn/tra-cuu?ma={code}"},
                       displays=[{"id": "desk-1", "token": "desk-token-1", "kind": "desk", "desk": 1}], **extra)


@pytest.fixture
def config(tmp_path):
    return center(tmp_path)


@pytest.fixture
def client(config, storage, clock):
    app = create_app(config, storage=storage, clock=clock, voice=False)
    for name, pw, role, agency in (("stp1", "mat-khau-1", "officer", "STP"), ("stp2", "mat-khau-2", "officer", "STP"),
                                   ("gs", "mat-khau-3", "supervisor", None), ("ca1", "mat-khau-5", "officer", "CA")):
        create_user(storage, name, pw, role, agency)
    return app.test_client()


@pytest.fixture
def staff(client):
    return {name: client.post("/api/v1/auth/login", json={"username": name, "password": pw}).get_json()["access_token"]
            for name, pw in (("stp1", "mat-khau-1"), ("stp2", "mat-khau-2"), ("gs", "mat-khau-3"), ("ca1", "mat-khau-5"))}


def served(client, staff, clock, finish=True, service="STP-LLTP"):
    ticket = client.post("/api/v1/tickets", json={"service": service}, headers=bearer("kiosk-token-1")).get_json()["ticket"]
    clock.advance(minutes=3)
    assert client.post("/api/v1/desks/1/next", headers=bearer(staff["stp1"])).status_code == 200
    client.post("/api/v1/desks/1/start", headers=bearer(staff["stp1"]))
    if finish:
        clock.advance(minutes=5)
        client.post("/api/v1/desks/1/finish", headers=bearer(staff["stp1"]))
    return ticket


# ---- procedures -----------------------------------------------------------------------------
def test_search_unmarked_and_misspelled(client):
    for q in ("ly lich tu phap", "ly lịch tư phap", "lý lịhc tư pháp", "tu phap ly lich"):
        r = client.get("/api/v1/procedures", query_string={"q": q})
        assert r.status_code == 200
        assert r.get_json()["procedures"][0]["code"] == "TN-STP-001", q
    first = client.get("/api/v1/procedures?q=khai+sinh").get_json()["procedures"][0]
    assert first == {"code": "TN-STP-002", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "agency": "STP",
                     "agency_name": "Sở Tư pháp", "service": "STP-HT", "documents": [], "fee": "", "processing_time": ""}


@pytest.mark.parametrize("query, code", [
    ({}, "empty_query"), ({"q": ""}, "empty_query"), ({"q": "   "}, "empty_query"),
    ({"q": "x" * 201}, "query_too_long"), ({"q": "ly", "limit": "abc"}, "invalid_limit"),
    ({"q": "ly", "limit": "0"}, "invalid_limit"), ({"field": ""}, "invalid_field"),
])
def test_bad_queries_are_400(client, query, code):
    r = client.get("/api/v1/procedures", query_string=query)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == code


def test_browse_by_field_and_one_procedure(client):
    fields = client.get("/api/v1/procedures/fields").get_json()["fields"]
    assert fields == [{"name": "Lý lịch tư pháp", "procedures": 1}, {"name": "Hộ tịch", "procedures": 2},
                      {"name": "Căn cước", "procedures": 1}]
    civil = client.get("/api/v1/procedures", query_string={"field": "Hộ tịch"}).get_json()["procedures"]
    assert [p["code"] for p in civil] == ["TN-STP-002", "TN-STP-003"]
    one = client.get("/api/v1/procedures/TN-STP-001").get_json()["procedure"]
    assert one["documents"] == ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"]
    assert client.get("/api/v1/procedures/NOPE").status_code == 404
    info = client.get("/api/v1/lookup").get_json()
    assert info["procedures"] == 4 and info["dossier"]["status_page"] is True
    assert info["ratings"]["levels"] == 5 and info["ratings"]["reason_at_most"] == 2


def test_the_catalog_follows_the_file_at_start(tmp_path, storage, clock, config):
    create_app(config, storage=storage, clock=clock, voice=False)
    changed = CATALOG[:2]
    (tmp_path / "procedures.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    again = make_config(tmp_path, lookup={"procedures": "procedures.json"})
    client = create_app(again, storage=storage, clock=clock, voice=False).test_client()
    assert client.get("/api/v1/lookup").get_json()["procedures"] == 2


# ---- dossiers -------------------------------------------------------------------------------
def test_the_officer_joins_dossiers_to_the_ticket(client, staff, clock, config):
    ticket = served(client, staff, clock, finish=False)
    path = f"/api/v1/tickets/{ticket['id']}/dossiers"
    r = client.post(path, json={"code": DOSSIER}, headers=bearer(staff["stp1"]))
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"ticket": ticket["id"], "code": DOSSIER, "dossiers": [DOSSIER]}
    second = "000.00.27.H42-261123-0013"
    assert client.post(path, json={"code": " " + second.lower() + " "}, headers=bearer(staff["gs"])).status_code == 201
    got = client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(staff["stp1"])).get_json()["ticket"]
    assert got["dossiers"] == [DOSSIER, second]
    dup = client.post(path, json={"code": DOSSIER}, headers=bearer(staff["stp1"]))
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "duplicate_dossier"
    db = sqlite3.connect(config.server.database)
    events = db.execute("SELECT type, ticket, desk, data FROM events WHERE type = 'dossier_added' ORDER BY id").fetchall()
    assert [(e[0], e[1], e[2], json.loads(e[3])["dossier"]) for e in events] == [
        ("dossier_added", ticket["id"], 1, DOSSIER), ("dossier_added", ticket["id"], 1, second)]


@pytest.mark.parametrize("code", ["", "12345", "000.00.27.H42-261323-0012", "000.00.27.H42-261204-12",
                                  "000.00.27.H42-261204-0012x", "<script>", "x" * 65, 12])
def test_a_code_that_does_not_match_the_pattern_is_400(client, staff, clock, code):
    ticket = served(client, staff, clock, finish=False)
    r = client.post(f"/api/v1/tickets/{ticket['id']}/dossiers", json={"code": code}, headers=bearer(staff["stp1"]))
    assert r.status_code == 400 and r.get_json()["error"]["code"] in ("invalid_dossier_code", "invalid_request")


def test_who_may_join_dossiers(client, staff, clock):
    ticket = served(client, staff, clock, finish=False)
    path = f"/api/v1/tickets/{ticket['id']}/dossiers"
    assert client.post(path, json={"code": DOSSIER}).status_code == 401
    for who in ("stp2", "ca1"):                    # an officer of another desk, of the same agency or not
        r = client.post(path, json={"code": DOSSIER}, headers=bearer(staff[who]))
        assert r.status_code == 403, who
    assert client.post(path, json={"code": DOSSIER}, headers=bearer("kiosk-token-1")).status_code == 403
    assert client.post(path, json={"code": DOSSIER}, headers=bearer("desk-token-1")).status_code == 403
    assert client.post("/api/v1/tickets/999999/dossiers", json={"code": DOSSIER},
                       headers=bearer(staff["gs"])).status_code == 404


def test_a_custom_pattern(tmp_path, storage, clock):
    config = make_config(tmp_path, lookup={"dossier_pattern": r"HS-\d{6}"})
    client = create_app(config, storage=storage, clock=clock, voice=False).test_client()
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    token = client.post("/api/v1/auth/login", json={"username": "gs", "password": "mat-khau-3"}).get_json()["access_token"]
    ticket = client.post("/api/v1/tickets", json={"service": "CA-CC"}, headers=bearer("kiosk-token-1")).get_json()["ticket"]
    path = f"/api/v1/tickets/{ticket['id']}/dossiers"
    assert client.post(path, json={"code": DOSSIER}, headers=bearer(token)).status_code == 400
    assert client.post(path, json={"code": "hs-123456"}, headers=bearer(token)).status_code == 201


def test_the_dossier_status_link_and_qr(client):
    r = client.get("/api/v1/dossiers/link", query_string={"code": DOSSIER.lower()})
    assert r.get_json() == {"code": DOSSIER, "url": "https://dichvucong.example.gov.vn/tra-cuu?ma=" + DOSSIER}
    assert client.get("/api/v1/dossiers/link?code=abc").status_code == 400
    png = client.get("/api/v1/dossiers/qr.png", query_string={"code": DOSSIER})
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_status_page_without_the_url(tmp_path, storage, clock):
    client = create_app(make_config(tmp_path), storage=storage, clock=clock, voice=False).test_client()
    assert client.get("/api/v1/dossiers/link", query_string={"code": DOSSIER}).status_code == 404
    assert client.get("/api/v1/lookup").get_json()["dossier"]["status_page"] is False


# ---- ratings --------------------------------------------------------------------------------
def test_a_rating_with_a_reason_and_the_report_in_three_formats(client, staff, clock):
    ticket = served(client, staff, clock, finish=False)
    client.post(f"/api/v1/tickets/{ticket['id']}/dossiers", json={"code": DOSSIER}, headers=bearer(staff["stp1"]))
    client.post("/api/v1/desks/1/finish", headers=bearer(staff["stp1"]))
    r = client.post(f"/api/v1/tickets/{ticket['id']}/rating", json={"score": 2, "reason": "Thời gian chờ lâu"},
                    headers=bearer("desk-token-1"))
    assert r.status_code == 201 and r.get_json()["rating"]["reason"] == "Thời gian chờ lâu"
    other = served(client, staff, clock)
    client.post(f"/api/v1/tickets/{other['id']}/rating", json={"score": 5, "comment": "=1+1"}, headers=bearer(staff["gs"]))
    q = {"from": "2026-11-23", "to": "2026-11-23"}
    assert client.get("/api/v1/reports/ratings", query_string=q, headers=bearer(staff["stp1"])).status_code == 403
    assert client.get("/api/v1/reports/ratings", query_string=q).status_code == 401
    body = client.get("/api/v1/reports/ratings", query_string={**q, "format": "json"},
                      headers=bearer(staff["gs"])).get_json()
    first = body["ratings"][0]
    assert {k: first[k] for k in ("site", "agency", "desk", "officer", "ticket", "dossiers", "score", "levels",
                                  "reason", "source")} == {
        "site": "", "agency": "STP", "desk": 1, "officer": "stp1", "ticket": ticket["code"], "dossiers": [DOSSIER],
        "score": 2, "levels": 5, "reason": "Thời gian chờ lâu", "source": "desk_display"}
    assert first["rated_at"].startswith("2026-11-23T") and first["rated_at"].endswith("+07:00")
    assert len(body["ratings"]) == 2
    raw = client.get("/api/v1/reports/ratings", query_string={**q, "format": "csv"}, headers=bearer(staff["gs"]))
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Thời điểm đánh giá", "Ngày", "Điểm phục vụ", "Mã cơ quan"]
    assert rows[1][8:13] == [DOSSIER, "2", "5", "2", "Thời gian chờ lâu"]
    assert rows[2][13] == "'=1+1"                   # a comment is never a formula
    x = client.get("/api/v1/reports/ratings", query_string={**q, "format": "xlsx"}, headers=bearer(staff["gs"]))
    sheet = load_workbook(io.BytesIO(x.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][8] == DOSSIER and values[1][12] == "Thời gian chờ lâu"
    assert client.get("/api/v1/reports/ratings", query_string={**q, "format": "pdf"},
                      headers=bearer(staff["gs"])).status_code == 400
    assert client.get("/api/v1/reports/ratings", query_string={"from": "x", "to": "y"},
                      headers=bearer(staff["gs"])).status_code == 400


def test_the_tickets_export_carries_dossiers_and_the_scale(client, staff, clock):
    ticket = served(client, staff, clock, finish=False)
    client.post(f"/api/v1/tickets/{ticket['id']}/dossiers", json={"code": DOSSIER}, headers=bearer(staff["stp1"]))
    client.post("/api/v1/desks/1/finish", headers=bearer(staff["stp1"]))
    client.post(f"/api/v1/tickets/{ticket['id']}/rating", json={"score": 1, "reason": "Khác: ồn ào"},
                headers=bearer("desk-token-1"))
    raw = client.get("/api/v1/reports/tickets", query_string={"from": "2026-11-23", "to": "2026-11-23"},
                     headers=bearer(staff["gs"]))
    rows = list(csv.DictReader(io.StringIO(raw.data.decode("utf-8-sig"))))
    assert rows[0]["Mã hồ sơ"] == DOSSIER
    assert rows[0]["Lý do đánh giá"] == "Khác: ồn ào" and rows[0]["Số mức đánh giá"] == "5"


def test_three_levels(tmp_path, storage, clock):
    config = center(tmp_path, ratings={"levels": 3})
    client = create_app(config, storage=storage, clock=clock, voice=False).test_client()
    create_user(storage, "stp1", "mat-khau-1", "officer", "STP")
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    staff = {n: client.post("/api/v1/auth/login", json={"username": n, "password": p}).get_json()["access_token"]
             for n, p in (("stp1", "mat-khau-1"), ("gs", "mat-khau-3"))}
    info = client.get("/api/v1/lookup").get_json()["ratings"]
    assert info["labels"] == ["Không hài lòng", "Hài lòng", "Rất hài lòng"] and info["reason_at_most"] == 1
    a, b = served(client, staff, clock), served(client, staff, clock)
    bad = client.post(f"/api/v1/tickets/{a['id']}/rating", json={"score": 4}, headers=bearer("desk-token-1"))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_score"
    ok = client.post(f"/api/v1/tickets/{a['id']}/rating", json={"score": 3}, headers=bearer("desk-token-1"))
    assert ok.status_code == 201 and ok.get_json()["rating"]["label"] == "Rất hài lòng"
    client.post(f"/api/v1/tickets/{b['id']}/rating", json={"score": 1, "reason": "Chờ lâu"}, headers=bearer("desk-token-1"))
    q = {"from": "2026-11-23", "to": "2026-11-23"}
    rows = client.get("/api/v1/reports/ratings", query_string={**q, "format": "json"},
                      headers=bearer(staff["gs"])).get_json()["ratings"]
    assert [(r["score"], r["levels"], r["score_5"]) for r in rows] == [(3, 3, 5), (1, 3, 1)]
    totals = client.get("/api/v1/reports/summary", query_string=q, headers=bearer(staff["gs"])).get_json()["totals"]
    assert totals["rating_avg"] == 3.0 and totals["ratings"] == 2      # (5 + 1) / 2 on the 1–5 scale
