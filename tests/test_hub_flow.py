"""The province with real processes (issue 12): tickets at two sites reach the hub within 10 s,
the hub's summary of each site equals the site's own to the ticket, and no ticket's secret ever
reaches the hub."""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.hub_live import start_hub, start_site, wait_caught_up, work_a_little

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def province(tmp_path):
    hub = start_hub(tmp_path / "hub", ["TN-TT", "TN-PDP"])
    sites = [start_site(tmp_path / code, code, hub.port) for code in ("TN-TT", "TN-PDP")]
    yield hub, sites
    for process in (*sites, hub):
        process.stop()


def site_summary(site, today: str) -> dict:
    r = requests.get(site.url + "/api/v1/reports/summary", params={"from": today, "to": today},
                     headers={"Authorization": f"Bearer {site.supervisor()}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def without_site(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "site"} for row in rows]


def test_tickets_of_two_sites_reach_the_hub_and_its_summary_of_each_equals_the_sites_own(province):
    hub, sites = province
    today = dt.datetime.now(TZ).date().isoformat()
    for site in sites:
        work_a_little(site, n=6 if site.code == "TN-TT" else 9)
    for site in sites:
        wait_caught_up(hub, site, timeout=10)

    whole = hub.get("/reports/summary", **{"from": today, "to": today})
    assert whole["totals"]["issued"] == 15
    assert {s["code"]: s["issued"] for s in whole["by_site"]} == {"TN-TT": 6, "TN-PDP": 9}
    for site in sites:
        own = site_summary(site, today)
        at_hub = hub.get("/reports/summary", **{"from": today, "to": today, "site": site.code})
        assert at_hub["totals"] == own["totals"], site.code
        assert at_hub["by_agency"] == own["by_agency"], site.code
        assert without_site(at_hub["by_desk"]) == own["by_desk"], site.code
        assert without_site(at_hub["by_officer"]) == own["by_officer"], site.code
        assert at_hub["by_hour"] == own["by_hour"], site.code
        assert [s["code"] for s in at_hub["by_site"]] == [site.code]
        assert own["totals"]["served"] >= 1 and own["totals"]["no_show"] == 1 and own["totals"]["ratings"] == 1

    # the desks' state, built by the hub from the events alone, is the site's own
    for site in sites:
        assert sorted(hub.db("SELECT number, state, current_ticket, officer, pause_reason FROM desks WHERE site = ?",
                             site.code)) == \
            sorted(site.db("SELECT number, state, current_ticket, officer, pause_reason FROM desks"))

    # the site's tickets, row for row, with the site's columns (the ticket's secret is not one)
    tickets = {(code, t) for code, t in hub.db("SELECT site, code FROM tickets")}
    for site in sites:
        assert {(site.code, c) for (c,) in site.db("SELECT code FROM tickets")} == {t for t in tickets if t[0] == site.code}

    # /sites: both up, today's counts from the events alone
    listed = {s["code"]: s for s in hub.get("/sites")["sites"]}
    assert listed["TN-TT"]["link"] == listed["TN-PDP"]["link"] == "up"
    assert listed["TN-PDP"]["today"]["issued"] == 9
    assert listed["TN-PDP"]["today"]["open_desks"] >= 1

    # the export: one row per ticket, a site column
    token = hub.token()
    r = requests.get(hub.url + "/hub/v1/reports/tickets", params={"from": today, "to": today, "format": "csv"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Điểm phục vụ,") and len(lines) == 1 + 15
    assert "'=SUM(A1)" in r.text                         # a comment that looks like a formula stays text
    r = requests.get(hub.url + "/hub/v1/reports/tickets", params={"from": today, "to": today, "format": "xlsx",
                                                                 "site": "TN-PDP"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(r.content))["Phiếu"]
    assert sheet.max_row == 1 + 9 and sheet["A2"].value == "TN-PDP"

    # public: every site's services, waiting counts; nobody needs to sign in
    public = requests.get(hub.url + "/hub/v1/public/sites", timeout=5).json()["sites"]
    assert {s["code"] for s in public} == {"TN-TT", "TN-PDP"}
    assert all(s["link"] == "up" and s["services"] for s in public)


def test_no_ticket_secret_ever_reaches_the_hub(province):
    hub, sites = province
    for site in sites:
        work_a_little(site, n=4)
    for site in sites:
        wait_caught_up(hub, site)
    hub.stop()                                            # the WAL is checkpointed: the whole file on disk
    data = b"".join(p.read_bytes() for p in hub.database.parent.glob("hub.db*"))
    secrets = [s for site in sites for (s,) in site.db("SELECT secret FROM tickets")]
    assert secrets and not [s for s in secrets if s.encode() in data]
    assert b'"secret"' not in data                       # nor a key of that name (the hub has its own secret_key)
    for site in sites:                                   # nor does the site's outbox hold one
        outbox = " ".join(m for (m,) in site.db("SELECT message FROM outbox"))
        assert not [s for s in secrets if s in outbox] and '"secret"' not in outbox
