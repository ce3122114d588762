"""The supervisor's page in Debian's chromium against the real server: it follows a kiosk and a
desk live, raises an alert when a wait passes its target, acts on a ticket, and its reports tab
counts a rating, draws its charts and downloads the exports. Screenshots go to artifacts/."""
from __future__ import annotations

import re
import secrets
import sqlite3
import time

import pytest
import requests

from tests.browser import artifact, browser, console_errors, submit_sign_in  # noqa: F401
from tests.centers import (BHXH, CA, CA_CC, FOUR_DESKS, HT, LLTP, ODD_STP_NAME, agency, center_toml, desk_display,
                           kiosk, with_)
from tests.live_server import LiveServer, free_port, prepare_database, write_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KIOSK = {"Authorization": "Bearer kiosk-token-sup"}
DESK_DISPLAY = {"Authorization": "Bearer desk-1-token-sup"}
PASSWORD = "mat-khau-giam-sat"

CONFIG = center_toml(
    "data/supervisor.db",
    limits={"kiosk_tickets_per_minute": 0},           # the page fills the queues from one kiosk
    agencies=[agency("STP", ODD_STP_NAME, with_(LLTP, target_wait_min=15), with_(HT, prefix="A", target_wait_min=1)),
              with_(CA, services=[with_(CA_CC, target_wait_min=1)]), BHXH],
    desks=FOUR_DESKS,
    kiosks=[kiosk("kiosk-1", "kiosk-token-sup", name="Ki-ốt sảnh chính")],
    displays=[desk_display("desk-1", "desk-1-token-sup", 1)])


def insert_waiting(db_path, service, agency, prefix, waited_s):
    """A ticket that has waited ``waited_s`` already (as if issued earlier today): no clock to
    move in a subprocess, so the past is written into the database."""
    from zoneinfo import ZoneInfo

    from server.clock import Clock

    clock = Clock(ZoneInfo("Asia/Ho_Chi_Minh"))
    now = time.time()
    day = clock.day_of(now)
    db = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        number = db.execute(
            "INSERT INTO day_counters (day, prefix, last_number) VALUES (?, ?, 1) ON CONFLICT (day, prefix) "
            "DO UPDATE SET last_number = last_number + 1 RETURNING last_number", [day, prefix]).fetchone()[0]
        code = f"{prefix}{number:03d}"
        ticket_id = db.execute(
            "INSERT INTO tickets (day, code, prefix, number, service, agency, status, secret, issued_at, queued_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
            [day, code, prefix, number, service, agency, secrets.token_urlsafe(12), now - waited_s, now - waited_s]).lastrowid
        db.execute("INSERT INTO events (at, day, type, ticket, service, data) VALUES (?, ?, 'issued', ?, ?, ?)",
                   [now - waited_s, day, ticket_id, service, f'{{"code": "{code}"}}'])
        db.execute("COMMIT")
    finally:
        db.close()
    return code


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    port = free_port()
    path = write_config(tmp_path_factory.mktemp("supervisor"), CONFIG, port)
    database = prepare_database(path, {"canbo1": (PASSWORD, "officer", "STP"), "giamsat": (PASSWORD, "supervisor"),
                                       "quantri": (PASSWORD, "admin")})
    # waiting since 5 minutes for a service whose target is 1 minute: late from the start
    insert_waiting(database, "CA-CC", "CA", "C", 300)
    server = LiveServer(path, port).start()
    server.database = database
    yield server
    server.stop()


def api(live, method, path, headers=None, **kwargs):
    r = requests.request(method, live.url + "/api/v1" + path, headers=headers, timeout=10, **kwargs)
    return r


def login(live, username) -> dict:
    r = api(live, "POST", "/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def sign_in(page, live, username="giamsat"):
    submit_sign_in(page, username, PASSWORD, live.url + "/supervisor")
    page.wait_for_selector("#view-live:not([hidden])")
    page.wait_for_function("() => document.getElementById('conn').classList.contains('on')")
    page.wait_for_selector("#queues tr.service-row")


def waiting_cell(page, service):
    return page.locator(f"#queues tr[data-service='{service}'] td").nth(1)


def real_errors(errors):
    return [e for e in errors if "favicon" not in e and ".map" not in e]


def test_the_page_follows_kiosks_and_desks_live_and_raises_alerts(browser, live):
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    errors = console_errors(page)
    sign_in(page, live)

    # names go in as text, never as HTML
    assert page.locator("#queues tr.agency-row th").first.inner_text().startswith("Sở Tư pháp <i>thử</i>")
    assert page.locator("#queues i").count() == 0

    # the ticket inserted 5 minutes ago is past its 1-minute target: an alert, with its time
    page.wait_for_selector("#alerts li.alert.late")
    alert = page.locator("#alerts li.alert.late").first.inner_text()
    assert "Căn cước" in alert and "quá 1 phút" in alert
    assert page.locator("#status-bar").get_attribute("class") == "status-bar error"
    assert page.locator("#queues tr[data-service='CA-CC']").get_attribute("class").count("late")

    # a kiosk issues: the waiting count rises without a reload
    assert waiting_cell(page, "STP-LLTP").inner_text() == "0"
    t0 = time.monotonic()
    r = api(live, "POST", "/tickets", KIOSK, json={"service": "STP-LLTP"})
    assert r.status_code == 201
    page.wait_for_function("() => document.querySelector(\"#queues tr[data-service='STP-LLTP'] td:nth-child(2)\")"
                           ".textContent === '1'", timeout=5000)
    issued_seen = time.monotonic() - t0

    # a desk calls: its card shows the number being called, with a running timer
    officer = login(live, "canbo1")
    assert api(live, "POST", "/desks/1/next", officer).json()["ticket"]["code"] == "A001"
    t0 = time.monotonic()
    page.wait_for_selector(".desk[data-desk='1'].called", timeout=5000)
    call_seen = time.monotonic() - t0
    card = page.locator(".desk[data-desk='1']")
    assert card.locator(".desk-state").inner_text() == "Đã gọi" and card.locator(".desk-code").inner_text() == "A001"
    assert "canbo1" in page.locator(".desk[data-desk='1']").inner_text()
    assert waiting_cell(page, "STP-LLTP").inner_text() == "0"

    # a wait passes its target while the page watches: HT's target is 1 minute; this one has
    # waited 52 s, so the alert must appear within about 8 s, computed by the page itself
    code = insert_waiting(live.database, "STP-HT", "STP", "A", 52)
    api(live, "POST", "/tickets", KIOSK, json={"service": "BHXH-THE"})       # any change makes the page look again
    page.wait_for_function("() => document.querySelector(\"#queues tr[data-service='STP-HT'] td:nth-child(2)\")"
                           ".textContent === '1'", timeout=5000)
    assert page.locator("#alerts li.alert.late").count() == 1                 # not yet: only CA-CC
    page.wait_for_function("() => document.querySelectorAll('#alerts li.alert.late').length === 2", timeout=15000)
    assert "Hộ tịch" in page.locator("#alerts").inner_text()

    # devices: the kiosk is listed; its printer has not reported anything yet
    devices = page.locator("#devices").inner_text()
    assert "Ki-ốt sảnh chính" in devices and "chưa có dữ liệu" in devices
    page.screenshot(path=str(artifact("supervisor-live.png")), full_page=True)

    # a printer runs out of paper (the print agent writes device_states): an alert on the next look
    db = sqlite3.connect(live.database, timeout=10, isolation_level=None)
    db.execute("INSERT INTO device_states (device, state, detail, updated_at) VALUES ('kiosk-1', 'paper_out', "
               "'Hết giấy', ?) ON CONFLICT (device) DO UPDATE SET state = excluded.state", [time.time()])
    db.close()
    api(live, "POST", "/tickets", KIOSK, json={"service": "BHXH-THE"})
    page.wait_for_selector("#alerts li.alert.printer", timeout=5000)
    assert "hết giấy" in page.locator("#alerts li.alert.printer").inner_text()
    assert "Hết giấy" in page.locator("#devices").inner_text()

    # act from the page: desk 1 finishes, the supervisor calls the Hộ tịch ticket to desk 1
    api(live, "POST", "/desks/1/finish", officer)
    page.select_option("#ticket-status", "waiting")
    page.click(f"#tickets tr.ticket-row:has(td.code:text-is('{code}'))")
    page.wait_for_selector("#action-box:not([hidden])")
    page.wait_for_selector("#action-desk option[value='1']:not([disabled])", state="attached", timeout=5000)
    assert not page.locator("#action-call").is_disabled()
    page.click("#action-call")
    try:
        page.wait_for_function(f"() => document.querySelector(\".desk[data-desk='1'] .desk-code\")?.textContent === '{code}'",
                               timeout=5000)
    except Exception:
        page.screenshot(path=str(artifact("supervisor-action-failed.png")), full_page=True)
        desk_text = page.locator(".desk[data-desk='1']").inner_text()
        raise AssertionError(f"{page.locator('#message').inner_text()} / {desk_text}")
    page.wait_for_function("() => document.querySelectorAll('#alerts li.alert.late').length === 1", timeout=5000)
    assert real_errors(errors) == [], errors
    print(f"\nsupervisor page: kiosk issue seen after {issued_seen * 1000:.0f} ms, desk call after {call_seen * 1000:.0f} ms")
    page.close()


def test_reports_tab_counts_a_rating_draws_charts_and_downloads(browser, live, tmp_path):
    officer = login(live, "canbo1")
    # serve one ticket at desk 1 and rate it the way the desk display would
    api(live, "POST", "/tickets", KIOSK, json={"service": "STP-LLTP"})
    ticket = api(live, "POST", "/desks/1/next", officer).json()["ticket"]
    api(live, "POST", "/desks/1/start", officer)
    api(live, "POST", "/desks/1/finish", officer)
    r = api(live, "POST", f"/tickets/{ticket['id']}/rating", DESK_DISPLAY, json={"score": 5})
    assert r.status_code == 201, r.text

    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    errors = console_errors(page)
    sign_in(page, live, "quantri")
    page.click("#tab-reports")
    page.wait_for_selector("#report-body:not([hidden])")
    kpis = page.locator("#kpis").inner_text()
    assert "5 / 5" in kpis and "(1 lượt)" in kpis
    shown = page.input_value("#report-from")                    # dd/mm/yyyy whatever the browser's locale
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", shown) and page.input_value("#report-to") == shown
    day = "-".join(reversed(shown.split("/")))
    summary = api(live, "GET", f"/reports/summary?from={day}&to={day}",
                  login(live, "giamsat")).json()
    assert summary["totals"]["ratings"] == 1 and summary["totals"]["rating_avg"] == 5.0
    issued = str(summary["totals"]["issued"])
    assert page.locator(".kpi").first.locator(".kpi-value").inner_text() == issued
    # the charts are drawn by the vendored Chart.js
    assert page.evaluate("() => !!(window.Chart && Chart.getChart('chart-hours') && Chart.getChart('chart-agencies'))")
    hours = page.evaluate("() => Chart.getChart('chart-hours').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert hours == summary["totals"]["issued"]
    assert page.locator("#table-agencies tbody tr").count() == 3
    assert "Sở Tư pháp <i>thử</i>" in page.locator("#table-agencies").inner_text()
    page.screenshot(path=str(artifact("supervisor-reports.png")), full_page=True)

    # downloads, with the Bearer token (no cookie)
    with page.expect_download() as info:
        page.click("#download-csv")
    csv_path = tmp_path / "x.csv"
    info.value.save_as(csv_path)
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Lý lịch tư pháp".encode() in data
    assert info.value.suggested_filename.endswith(".csv")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")
    xlsx_path = tmp_path / "x.xlsx"
    info.value.save_as(xlsx_path)
    import openpyxl

    rows = list(openpyxl.load_workbook(xlsx_path)["Phiếu"].iter_rows(values_only=True))
    assert len(rows) - 1 == summary["totals"]["issued"]

    assert real_errors(errors) == [], errors
    # a bad range is refused with a message in Vietnamese
    page.fill("#report-from", "2026-12-31")
    page.fill("#report-to", "2026-01-01")
    page.click("#report-submit")
    page.wait_for_selector("#message.error:not([hidden])")
    assert "Ngày bắt đầu phải trước" in page.locator("#message").inner_text()
    page.close()


def test_admin_manages_users_and_officers_are_turned_away(browser, live):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = console_errors(page)
    submit_sign_in(page, "canbo1", PASSWORD, live.url + "/supervisor")
    page.wait_for_selector("#message:not([hidden])")
    assert "dành cho giám sát" in page.locator("#message").inner_text()
    assert page.is_visible("#view-login")

    sign_in(page, live, "quantri")
    page.click("#tab-users")
    page.wait_for_selector("#users tr[data-user='canbo1']")
    page.fill("#new-username", "canbo2")
    page.fill("#new-password", "mat-khau-moi")
    page.select_option("#new-role", "officer")
    page.select_option("#new-agency", "CA")
    page.click("#new-submit")
    page.wait_for_selector("#users tr[data-user='canbo2']")
    assert "canbo2" in page.locator("#users").inner_text()
    page.click("#users tr[data-user='canbo2'] button.danger")
    page.wait_for_function("() => document.querySelector(\"#users tr[data-user='canbo2']\").textContent.includes('Đã vô hiệu hóa')")
    page.screenshot(path=str(artifact("supervisor-users.png")), full_page=True)
    r = api(live, "POST", "/auth/login", json={"username": "canbo2", "password": "mat-khau-moi"})
    assert r.status_code == 401
    assert real_errors(errors) == [], errors
    page.close()


# ---- at the scale of a real center ------------------------------------------------------------
def test_the_page_signs_out_when_the_password_is_reset_elsewhere(browser, live):
    """A reset revokes the supervisor's sign-in: the page signs out at its next push or, at the
    latest, when the server cuts its socket (STAFF_RECHECK_S), well before its own 15 s poll."""
    from server.web.realtime import STAFF_RECHECK_S

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    sign_in(page, live, "giamsat")
    admin = login(live, "quantri")
    try:
        r = api(live, "POST", "/admin/users/password", headers=admin,
                json={"username": "giamsat", "password": "mat-khau-tam-thoi"})
        assert r.status_code == 200
        page.wait_for_selector("#view-login:not([hidden])", timeout=(STAFF_RECHECK_S + 5) * 1000)
        assert "hết hạn" in page.text_content("#login-hint")
    finally:
        api(live, "POST", "/admin/users/password", headers=admin, json={"username": "giamsat", "password": PASSWORD})
        page.close()


def load_bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "reports_bench.py"
    spec = importlib.util.spec_from_file_location("reports_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_full_center_with_a_month_of_history(browser, tmp_path):
    """The repository's config.toml (23 agencies, 52 desks) with 30 days of generated history
    and a morning under way: the page at scale, for the screenshots (and no errors)."""
    from datetime import timedelta

    from server.config import load_config
    from server.storage import Storage
    from server.storage.sync import sync_config
    from tests.live_server import ROOT

    bench = load_bench()
    port = free_port()
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace('"data/hangdoi.db"', '"data/full.db"')
    path = write_config(tmp_path, text.replace("port = 5000", "port = {PORT}"), port)
    config = load_config(path)
    storage = Storage(config.server.database, synchronous="OFF")
    sync_config(storage, config)
    from server.clock import Clock

    today = Clock(config.tz).today()
    bench.generate(storage, config, today - timedelta(days=30), 30, 600)
    storage.close()
    server = LiveServer(path, port).start()
    try:
        kiosk = {"Authorization": "Bearer demo-kiosk-1-token"}
        services = list(config.services)
        for i in range(60):
            assert api(server, "POST", "/tickets", kiosk, json={"service": services[(i * 7) % len(services)]}).status_code == 201
        for desk in config.desks[:30:2]:
            officer = {"Authorization": "Bearer " + api(server, "POST", "/auth/login", json={
                "username": f"canbo{desk.number:02d}", "password": bench.PASSWORD}).json()["access_token"]}
            api(server, "POST", f"/desks/{desk.number}/next", officer)
            if desk.number % 3 == 0:
                api(server, "POST", f"/desks/{desk.number}/start", officer)
        officer = {"Authorization": "Bearer " + api(server, "POST", "/auth/login", json={
            "username": f"canbo{config.desks[31].number:02d}", "password": bench.PASSWORD}).json()["access_token"]}
        api(server, "POST", f"/desks/{config.desks[31].number}/pause", officer, json={"reason": "Họp giao ban"})

        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors = console_errors(page)
        submit_sign_in(page, "giamsat", bench.PASSWORD, server.url + "/supervisor")
        page.wait_for_selector("#view-live:not([hidden])")
        page.wait_for_selector("#desks .desk.serving")
        assert page.locator("#desks .desk").count() == len(config.desks)
        assert page.locator("#queues tr.agency-row").count() == len(config.agencies)
        page.screenshot(path=str(artifact("supervisor-live-full-center.png")), full_page=True)

        page.click("#tab-reports")
        page.wait_for_selector("#report-body:not([hidden])")
        page.fill("#report-from", (today - timedelta(days=30)).isoformat())
        page.fill("#report-to", (today - timedelta(days=1)).isoformat())
        page.click("#report-submit")
        page.wait_for_function("() => document.querySelector('.kpi-value').textContent.replace(/\\D/g, '') === '18000'")
        page.screenshot(path=str(artifact("supervisor-reports-month.png")), full_page=True)
        assert real_errors(errors) == [], errors
        page.close()
    finally:
        server.stop()
