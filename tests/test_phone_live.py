"""The phone page and the kiosk's service tiles are live (issue 10, item 3): in Chromium, without a
reload, the phone following ticket 2 shows 0 people ahead within a second of the ticket ahead
being called (the one timing the issue asks for), 1 again after that ticket is transferred back
into the queue, 0 after it is cancelled; its estimate follows; the kiosk's tile of the service
shows the new waiting count. Screenshots: artifacts/phone-live-*.png (390×844)."""
from __future__ import annotations

import time

import pytest
import requests

from tests import centers as c
from tests.browser import artifact, browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.live_server import start_center

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KIOSK_TOKEN = "kiosk-live-token-1"
PHONE_VIEW = {"width": 390, "height": 844}
KIOSK_VIEW = {"width": 1080, "height": 1920}
USERS = {"canbo": ("mat-khau-can-bo", "officer", "STP"), "giamsat": ("mat-khau-giam-sat", "supervisor")}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("phone-live")
    toml = c.center_toml("data/live.db", agencies=[c.STP, c.CA],
                         desks=[c.desk(1, "STP", "STP-LLTP", "STP-HT"), c.desk(2, "STP", "STP-LLTP"),
                                c.desk(3, "CA", "CA-CC")],
                         kiosks=[c.kiosk("kiosk-1", KIOSK_TOKEN)])
    server = start_center(tmp, toml, USERS)
    try:
        yield server
    finally:
        server.stop()


def token(live, user):
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": user, "password": USERS[user][0]}, timeout=5)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def issue(live, service="STP-LLTP"):
    r = requests.post(live.url + "/api/v1/tickets", json={"service": service},
                      headers={"Authorization": "Bearer " + KIOSK_TOKEN}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def text_is(page, element_id, want, timeout):
    page.wait_for_function(f"() => document.getElementById({element_id!r}).textContent.trim() === {want!r}",
                           timeout=timeout)


def test_people_ahead_and_estimate_follow_calls_transfers_and_cancels(browser, live):
    officer, supervisor = token(live, "canbo"), token(live, "giamsat")
    first, second = issue(live), issue(live)
    assert second["waiting_ahead"] == 1 and second["estimated_wait_s"] is None      # no desk open yet

    kiosk_ctx = browser.new_context(viewport=KIOSK_VIEW, has_touch=True, locale="vi-VN")
    kiosk = kiosk_ctx.new_page()
    kiosk_errors = console_errors(kiosk)
    kiosk.goto(f"{live.url}/kiosk?token={KIOSK_TOKEN}")
    kiosk.locator("#agencies .tile", has_text="Sở Tư pháp").first.tap()
    tile = "() => document.querySelector('[data-service=\"STP-LLTP\"] .service-side').textContent"
    kiosk.wait_for_function(f"() => ({tile})().includes('Đang chờ: 2') && ({tile})().includes('Chưa có quầy mở')")

    phone_ctx = browser.new_context(viewport=PHONE_VIEW, has_touch=True, is_mobile=True, locale="vi-VN")
    phone = phone_ctx.new_page()
    errors = console_errors(phone)
    phone.goto(second["status_url"])
    phone.wait_for_function("() => document.getElementById('live').className === 'live'")
    assert phone.locator("#ahead").text_content() == "1"
    assert phone.locator("#wait").text_content() == "Chưa có quầy mở"
    phone.screenshot(path=artifact("phone-live-no-desk.png"), full_page=True)
    phone.evaluate("() => { window.loads = performance.getEntriesByType('navigation').length; }")

    # the ticket ahead is called: 0 ahead within a second, and an estimate from the open desk
    r = requests.post(f"{live.url}/api/v1/desks/1/next", headers=officer, timeout=5)
    answered = time.monotonic()
    assert r.json()["ticket"]["id"] == first["id"]
    text_is(phone, "ahead", "0", timeout=1000)
    took = time.monotonic() - answered
    assert took < 1.0, took
    phone.wait_for_function("() => document.getElementById('wait').textContent !== 'Chưa có quầy mở'", timeout=1000)
    phone.screenshot(path=artifact("phone-live-called.png"), full_page=True)
    kiosk.wait_for_function(f"() => ({tile})().includes('Đang chờ: 1') && !({tile})().includes('Chưa có quầy mở')",
                            timeout=1000)

    # the ticket ahead is transferred back into the queue: it keeps its place, 1 ahead again
    r = requests.post(f"{live.url}/api/v1/desks/1/transfer", json={"service": "STP-LLTP"}, headers=officer, timeout=5)
    assert r.status_code == 200, r.text
    text_is(phone, "ahead", "1", timeout=1000)
    kiosk.wait_for_function(f"() => ({tile})().includes('Đang chờ: 2')", timeout=1000)

    # ... and cancelled by the supervisor: 0 ahead
    r = requests.post(f"{live.url}/api/v1/tickets/{first['id']}/cancel", json={"reason": "về"}, headers=supervisor,
                      timeout=5)
    assert r.status_code == 200, r.text
    text_is(phone, "ahead", "0", timeout=1000)
    kiosk.wait_for_function(f"() => ({tile})().includes('Đang chờ: 1')", timeout=1000)

    # the desk closes: the phone says so instead of a number
    requests.post(f"{live.url}/api/v1/desks/1/close", headers=officer, timeout=5)
    text_is(phone, "wait", "Chưa có quầy mở", timeout=1000)
    phone.screenshot(path=artifact("phone-live-closed-desk.png"), full_page=True)
    kiosk.screenshot(path=artifact("kiosk-live-tiles.png"))
    assert phone.evaluate("() => performance.getEntriesByType('navigation').length === window.loads")  # no reload
    assert errors == [] and kiosk_errors == []
    phone_ctx.close()
    kiosk_ctx.close()
