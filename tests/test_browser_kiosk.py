"""The kiosk and the phone page in Debian's chromium (playwright), against the real server with the
demo config (23 agencies) and a real preview print agent: touch an agency, a service, a priority,
and the ticket appears with its code; the phone page of that ticket shows the call; offline and
closed screens. Screenshots go to artifacts/ (kiosk-*.png, phone-*.png)."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from server.config import load_config
from tests.browser import artifact, browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.live_server import ROOT, LiveServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KIOSK_TOKEN = "demo-kiosk-1-token"
PASSWORD = "mat-khau-giam-sat"
KIOSK_VIEW = {"width": 1080, "height": 1920}
PHONE_VIEW = {"width": 390, "height": 844}


def demo_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    text = re.sub(r'(?m)^public_url = "[^"]*"', f'public_url = "http://127.0.0.1:{port}"', text)
    text = text + "\n" + extra
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kiosk-browser")
    port = free_port()
    config_path = demo_config(tmp, port)
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "giamsat", "--role", "supervisor",
                    "--config", str(config_path)], input=PASSWORD + "\n", text=True, check=True, cwd=ROOT,
                   capture_output=True)
    server = LiveServer(config_path, port).start()
    agent = subprocess.Popen([sys.executable, "-m", "server.cli", "kiosk", "--server", server.url, "--token", KIOSK_TOKEN,
                              "--printer", f"preview:{tmp / 'preview'}"], cwd=ROOT,
                             stdout=open(tmp / "agent.log", "ab"), stderr=subprocess.STDOUT)
    server.preview = tmp / "preview"
    server.config = load_config(config_path)
    try:
        yield server
    finally:
        agent.terminate()
        agent.wait(10)
        server.stop()


@pytest.fixture
def kiosk(browser, live):
    context = browser.new_context(viewport=KIOSK_VIEW, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.errors = console_errors(page)
    page.goto(f"{live.url}/kiosk?token={KIOSK_TOKEN}")
    page.wait_for_selector("#agencies .tile")
    yield page
    context.close()


def staff_headers(live) -> dict:
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": "giamsat", "password": PASSWORD}, timeout=5)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def waiting(live, service: str) -> int:
    return {s["code"]: s["waiting"] for s in requests.get(live.url + "/api/v1/queues", timeout=5).json()["services"]}[service]


def take_ticket(page, agency: str, service: str, priority: str | None, shots: str | None = None) -> dict:
    page.locator(".tile", has_text=agency).first.tap()
    page.wait_for_selector("#screen-services:not(.hidden) .service")
    if shots:
        page.screenshot(path=artifact(f"{shots}-services.png"))
    page.wait_for_timeout(650)                                   # a tap right after a screen change is ignored
    page.locator(".service", has_text=service).first.tap()
    page.wait_for_selector("#screen-priority:not(.hidden)")
    if shots:
        page.screenshot(path=artifact(f"{shots}-priority.png"))
    page.wait_for_timeout(650)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets") and r.request.method == "POST") as answer:
        if priority:
            page.locator(f".choice[data-priority={priority}]").tap()
        else:
            page.locator("#no-priority").tap()
    assert answer.value.status == 201
    ticket = answer.value.json()["ticket"]
    page.wait_for_selector("#screen-ticket:not(.hidden)")
    return ticket


def test_start_screen_fits_all_agencies_without_scrolling(kiosk, live):
    tiles = kiosk.locator("#agencies .tile")
    assert tiles.count() == len(live.config.agencies) == 23
    kiosk.wait_for_timeout(300)
    kiosk.screenshot(path=artifact("kiosk-start.png"))
    assert kiosk.evaluate("document.documentElement.scrollHeight <= innerHeight && document.body.scrollWidth <= innerWidth")
    for box in (tiles.nth(i).bounding_box() for i in range(tiles.count())):
        assert box["y"] >= 0 and box["y"] + box["height"] <= KIOSK_VIEW["height"] and box["height"] >= 80
    clipped = kiosk.evaluate("""[...document.querySelectorAll('#agencies .tile')]
        .filter(t => t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1).length""")
    assert clipped == 0
    font = kiosk.evaluate("parseFloat(getComputedStyle(document.querySelector('.tile-name')).fontSize)")
    assert font >= 24                                            # big type for everyone
    names = kiosk.locator("#agencies .tile-name").all_text_contents()
    assert names[:3] == [a.name for a in live.config.agencies[:3]]
    assert kiosk.evaluate("getComputedStyle(document.body).userSelect") == "none"
    assert kiosk.evaluate("document.querySelectorAll('a').length") == 0
    assert kiosk.errors == []


def test_touch_agency_service_priority_and_the_ticket_appears(kiosk, live):
    before = waiting(live, "STP-LLTP")
    ticket = take_ticket(kiosk, "Sở Tư pháp", "Lý lịch tư pháp", "elderly", shots="kiosk")
    code = kiosk.locator("#ticket-code")
    assert code.text_content() == ticket["code"] and re.fullmatch(r"[A-Z]{1,3}\d{3,}", ticket["code"])
    assert ticket["priority"] == "elderly" and ticket["service"] == "STP-LLTP"
    assert kiosk.locator("#ticket-service").text_content() == "Lý lịch tư pháp"
    assert "Người cao tuổi" in kiosk.locator("#ticket-priority").text_content()
    assert kiosk.locator("#ticket-ahead").text_content() == str(ticket["waiting_ahead"])
    kiosk.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    kiosk.wait_for_function("() => document.getElementById('print-status').textContent.includes('Đã in xong')")
    font = kiosk.evaluate("parseFloat(getComputedStyle(document.getElementById('ticket-code')).fontSize)")
    assert font >= 200
    kiosk.screenshot(path=artifact("kiosk-ticket.png"))
    assert waiting(live, "STP-LLTP") == before + 1
    assert any(p.name.endswith(f"-{ticket['code']}.png") for p in live.preview.glob("*.png"))   # really printed
    kiosk.wait_for_timeout(700)
    kiosk.locator("#done").tap()
    kiosk.wait_for_selector("#screen-agencies:not(.hidden)")
    assert kiosk.errors == []


def test_double_tap_issues_one_ticket(kiosk, live):
    before = waiting(live, "CA-CC")
    kiosk.locator(".tile", has_text="Công an tỉnh").first.tap()
    kiosk.wait_for_timeout(650)
    kiosk.locator(".service", has_text="Căn cước").first.tap()
    kiosk.wait_for_selector("#screen-priority:not(.hidden)")
    kiosk.wait_for_timeout(650)
    # a shaky double (triple) tap on "no priority"
    kiosk.evaluate("""() => { const b = document.getElementById('no-priority'); b.click(); b.click(); b.click(); }""")
    kiosk.wait_for_selector("#screen-ticket:not(.hidden)")
    kiosk.wait_for_timeout(500)
    assert waiting(live, "CA-CC") == before + 1


def test_the_phone_page_follows_the_ticket_and_shows_the_call(kiosk, browser, live):
    ticket = take_ticket(kiosk, "Sở Tư pháp", "Hộ tịch, quốc tịch", None)
    phone_ctx = browser.new_context(viewport=PHONE_VIEW, has_touch=True, is_mobile=True, locale="vi-VN")
    phone = phone_ctx.new_page()
    errors = console_errors(phone)
    phone.goto(ticket["status_url"])
    assert phone.locator("#code").text_content() == ticket["code"]
    assert phone.locator("#state-title").text_content() == "Đang chờ đến lượt"
    phone.wait_for_function("() => document.getElementById('live').className === 'live'")   # following live
    phone.wait_for_timeout(300)
    phone.screenshot(path=artifact("phone-waiting.png"), full_page=True)
    desk = next(d.number for d in live.config.desks if ticket["service"] in d.services)
    headers = staff_headers(live)
    for _ in range(50):                                           # call until our ticket comes up
        r = requests.post(f"{live.url}/api/v1/desks/{desk}/next", headers=headers, timeout=5)
        assert r.status_code == 200, r.text
        called = r.json()["ticket"]
        if called is None or called["id"] == ticket["id"]:
            break
    assert called and called["id"] == ticket["id"]
    phone.wait_for_function(f"() => document.getElementById('state-title').textContent === 'Mời đến quầy số {desk}'",
                            timeout=5000)
    assert "status-called" in phone.evaluate("document.body.className")
    phone.screenshot(path=artifact("phone-called.png"), full_page=True)
    requests.post(f"{live.url}/api/v1/desks/{desk}/finish", headers=headers, timeout=5)
    phone.wait_for_function("() => document.getElementById('state-title').textContent === 'Đã hoàn thành'")
    assert phone.locator("#rating").is_visible()
    phone.screenshot(path=artifact("phone-done.png"), full_page=True)
    assert errors == []
    phone_ctx.close()


def test_english_switch(kiosk):
    assert kiosk.locator("#screen-agencies .prompt").text_content() == "Mời chọn cơ quan giải quyết hồ sơ"
    kiosk.locator("#lang").tap()
    assert kiosk.locator("#screen-agencies .prompt").text_content() == "Please choose the agency for your request"
    assert kiosk.evaluate("document.documentElement.lang") == "en"
    kiosk.screenshot(path=artifact("kiosk-start-en.png"))
    kiosk.locator("#lang").tap()
    assert kiosk.locator("#lang").text_content() == "English"


def test_back_to_start_after_idle(kiosk, live):
    kiosk.locator(".tile", has_text="Sở Tư pháp").first.tap()
    kiosk.wait_for_selector("#screen-services:not(.hidden)")
    # the page's idle time is 40 s: move its clock instead of waiting
    kiosk.evaluate("() => { const real = Date.now; Date.now = () => real() + 41000; }")
    kiosk.wait_for_selector("#screen-agencies:not(.hidden)", timeout=10000)


def test_server_unreachable_then_back(browser, tmp_path):
    port = free_port()
    server = LiveServer(demo_config(tmp_path, port), port).start()
    context = browser.new_context(viewport=KIOSK_VIEW, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/kiosk?token={KIOSK_TOKEN}")
        page.wait_for_selector("#agencies .tile")
        server.kill9()
        page.wait_for_selector("#offline:not(.hidden)", timeout=10000)
        assert "mất kết nối" in page.locator("#offline").text_content()
        page.screenshot(path=artifact("kiosk-offline.png"))
        server.start()
        page.wait_for_selector("#offline.hidden", state="attached", timeout=15000)
        page.wait_for_selector("#agencies .tile")
    finally:
        context.close()
        server.stop()


def test_closed_center(browser, tmp_path):
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    tomorrow = datetime.now(tz) + timedelta(days=1)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    port = free_port()
    server = LiveServer(demo_config(tmp_path, port, extra=f'[opening_hours]\n{day} = ["07:30-11:30"]\n'), port).start()
    context = browser.new_context(viewport=KIOSK_VIEW, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/kiosk?token={KIOSK_TOKEN}")
        page.wait_for_selector("#screen-closed:not(.hidden)")
        assert page.locator("#screen-closed h1").text_content() == "Trung tâm đã hết giờ làm việc"
        assert f"07:30" in page.locator("#closed-text").text_content()
        assert tomorrow.strftime("%d/%m/%Y") in page.locator("#closed-text").text_content()
        page.screenshot(path=artifact("kiosk-closed.png"))
    finally:
        context.close()
        server.stop()
