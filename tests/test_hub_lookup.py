"""The hub's side of lookup (issue 14, contract section 8), with real hub and site processes:
the hub publishes the province's procedure catalog, every site takes it, keeps it with the hub
down and after a restart, and follows when it changes; the hub's public search forgives as a
site's does; the hub's ratings report has every site's ratings with their dossier codes."""
from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import requests

from server.config import ConfigError
from server.hub.config import parse_hub_config
from tests.hub_live import start_hub, start_site, token_of, wait_caught_up, work_a_little
from tests.live_server import eventually

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DOSSIER = "000.00.27.H42-261204-0012"


def province_catalog(extra: list[dict] = ()) -> dict:
    entries = [
        {"code": "TN-STP-001", "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "field": "Lý lịch tư pháp",
         "agency": "STP", "agency_name": "Sở Tư pháp tỉnh (tên của tỉnh)", "service": "STP-LLTP",
         "documents": ["Tờ khai"], "fee": "200.000 đồng", "processing_time": "10 ngày"},
        {"code": "TN-STP-002", "name": "Đăng ký kết hôn", "field": "Hộ tịch", "agency": "STP",
         "agency_name": "Sở Tư pháp tỉnh (tên của tỉnh)", "service": "STP-HT"},
        # a service no test site has: found and shown, no ticket there
        {"code": "TN-XD-001", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "field": "Xây dựng",
         "agency": "SXD", "agency_name": "Sở Xây dựng", "service": "SXD-QHXD"},
    ]
    return {"_note": "test", "procedures": entries + list(extra)}


LOCAL = {"procedures": [{"code": "LOCAL-1", "name": "Thủ tục riêng của điểm", "field": "Riêng",
                         "service": "STP-LLTP"}]}


@pytest.fixture
def province(tmp_path):
    folder = tmp_path / "hub"
    folder.mkdir()
    (folder / "procedures.json").write_text(json.dumps(province_catalog(), ensure_ascii=False), encoding="utf-8")
    hub = start_hub(folder, ["TN-TT", "TN-TS"], extra='[lookup]\nprocedures = "procedures.json"\n')
    site_folder = tmp_path / "TN-TS"
    site_folder.mkdir()
    (site_folder / "procedures.json").write_text(json.dumps(LOCAL, ensure_ascii=False), encoding="utf-8")
    site = start_site(site_folder, "TN-TS", hub.port)
    yield hub, site, folder
    site.stop()
    hub.stop()


def site_search(site, q: str) -> list[dict]:
    r = requests.get(site.url + "/api/v1/procedures", params={"q": q}, timeout=5)
    r.raise_for_status()
    return r.json()["procedures"]


def codes(found: list[dict]) -> list[str]:
    return [p["code"] for p in found]


def test_every_site_takes_the_hubs_catalog_keeps_it_without_the_hub_and_follows_a_change(province):
    hub, site, folder = province
    # before the first answer the site has its own file's catalog; then the hub's replaces it
    assert eventually(lambda: codes(site_search(site, "ly lich tu phap"))[:1], ["TN-STP-001"], 10.0) == ["TN-STP-001"]
    assert site_search(site, "thu tuc rieng") == []
    found = site_search(site, "giay phep xay dung")
    assert codes(found) == ["TN-XD-001"] and found[0]["agency_name"] == "Sở Xây dựng"   # the province's name
    one = requests.get(site.url + "/api/v1/procedures/TN-STP-001", timeout=5).json()["procedure"]
    assert one["agency_name"] == "Sở Tư pháp"            # an agency the site has: the site's own name
    assert one["fee"] == "200.000 đồng" and one["documents"] == ["Tờ khai"]

    # the hub down, the site restarted: it keeps the hub's copy, not its own file
    hub.stop()
    site.stop()
    site.start()
    assert codes(site_search(site, "ly lich tu phap"))[:1] == ["TN-STP-001"]
    assert site_search(site, "thu tuc rieng") == []

    # the province changes its catalog: the site follows after the hub is back
    changed = province_catalog([{"code": "TN-STP-003", "name": "Chứng thực bản sao từ bản chính", "field": "Chứng thực",
                                 "agency": "STP", "agency_name": "Sở Tư pháp", "service": "STP-HT"}])
    (folder / "procedures.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    hub.start()
    assert eventually(lambda: codes(site_search(site, "chung thuc ban sao")), ["TN-STP-003"], 15.0) == ["TN-STP-003"]


def test_the_hubs_public_search_forgives_like_a_sites(province):
    hub, _, _ = province
    url = hub.url + "/hub/v1/public/procedures"
    for q in ("ly lich tu phap", "lý lịch tư phap", "ly lich tu phep", "tu phap ly lich"):
        r = requests.get(url, params={"q": q}, timeout=5)
        assert r.status_code == 200 and codes(r.json()["procedures"])[:1] == ["TN-STP-001"], q
    assert requests.get(url, params={"q": " "}, timeout=5).json()["error"]["code"] == "empty_query"
    assert requests.get(url, params={"q": "x" * 201}, timeout=5).status_code == 400
    fields = requests.get(url + "/fields", timeout=5).json()["fields"]
    assert [f["name"] for f in fields] == ["Lý lịch tư pháp", "Hộ tịch", "Xây dựng"]
    assert codes(requests.get(url, params={"field": "Hộ tịch"}, timeout=5).json()["procedures"]) == ["TN-STP-002"]
    assert requests.get(url + "/TN-XD-001", timeout=5).json()["procedure"]["service"] == "SXD-QHXD"
    assert requests.get(url + "/NOPE", timeout=5).status_code == 404


def test_only_a_site_may_fetch_the_whole_catalog(province):
    hub, _, _ = province
    url = hub.url + "/hub/v1/site/procedures"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer not-a-site-token-at-all"}, timeout=5).status_code == 401
    staff = requests.get(url, headers={"Authorization": f"Bearer {hub.token()}"}, timeout=5)
    assert staff.status_code == 401                      # a hub user's token is not a site's
    r = requests.get(url, headers={"Authorization": f"Bearer {token_of('TN-TT')}"}, timeout=5)
    assert r.status_code == 200 and len(r.json()["procedures"]) == 3 and r.json()["fingerprint"]


def test_the_hubs_ratings_report_has_every_sites_ratings_with_their_dossiers(province):
    hub, site, _ = province
    work_a_little(site, n=6)
    ticket = site.db("SELECT ticket FROM ratings")[0][0]
    sup = {"Authorization": f"Bearer {site.supervisor()}"}
    r = requests.post(site.url + f"/api/v1/tickets/{ticket}/dossiers", json={"code": DOSSIER}, headers=sup, timeout=5)
    assert r.status_code == 201, r.text
    wait_caught_up(hub, site)
    today = dt.datetime.now(TZ).date().isoformat()
    own = requests.get(site.url + "/api/v1/reports/ratings", params={"from": today, "to": today, "format": "json"},
                       headers=sup, timeout=5).json()["ratings"]
    at_hub = hub.get("/reports/ratings", **{"from": today, "to": today, "format": "json"})["ratings"]
    assert at_hub == own and len(own) == 1              # the same row, to the field, the site's code included
    assert at_hub[0]["site"] == "TN-TS" and at_hub[0]["dossiers"] == [DOSSIER] and at_hub[0]["score"] == 4
    assert hub.get("/reports/ratings", **{"from": today, "to": today, "format": "json", "site": "TN-TT"})["ratings"] == []
    auth = {"Authorization": f"Bearer {hub.token()}"}
    csv = requests.get(hub.url + "/hub/v1/reports/ratings", params={"from": today, "to": today}, headers=auth,
                       timeout=5)
    assert csv.status_code == 200 and DOSSIER in csv.content.decode("utf-8-sig")
    assert "'=SUM(A1)" in csv.content.decode("utf-8-sig")       # the comment cannot be a formula
    xlsx = requests.get(hub.url + "/hub/v1/reports/ratings", params={"from": today, "to": today, "format": "xlsx"},
                        headers=auth, timeout=5)
    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 2 and "TN-TS" in rows[1] and DOSSIER in rows[1]
    assert requests.get(hub.url + "/hub/v1/reports/ratings", params={"from": today, "to": today},
                        timeout=5).status_code == 401
    bad = requests.get(hub.url + "/hub/v1/reports/ratings", params={"from": today, "to": today, "site": "XX-NOPE"},
                       headers=auth, timeout=5)
    assert bad.status_code == 404


def _hub(tmp_path, catalog) -> None:
    (tmp_path / "p.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    data = {"hub": {"name": "Tỉnh"}, "lookup": {"procedures": "p.json"},
            "sites": [{"code": "AA", "name": "A", "kind": "province", "token": "0123456789abcdef"}]}
    return parse_hub_config(data, tmp_path / "hub.toml")


def test_a_hub_catalog_names_each_procedures_agency_and_every_problem_has_its_place(tmp_path):
    config = _hub(tmp_path, province_catalog())
    assert [p.code for p in config.procedures] == ["TN-STP-001", "TN-STP-002", "TN-XD-001"]
    with pytest.raises(ConfigError) as err:
        _hub(tmp_path, {"procedures": [{"code": "X-1", "name": "Một", "field": "F", "service": "S-1", "agency": "S"},
                                       {"code": "X-2", "name": "Hai", "field": "F", "service": "bad code!",
                                        "agency": "S", "agency_name": "Sở"}]})
    assert err.value.problems == [
        "lookup.procedures: p.json: procedures[0].agency_name: required, must not be empty",
        "lookup.procedures: p.json: procedures[1].service: must be a code (letters, digits, \".\", \"-\", \"_\"); "
        "got 'bad code!'"]
