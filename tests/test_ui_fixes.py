"""Small things seen on the first morning (issue 10, item 8), each on its real screen in Chromium
(console 1366×768, supervisor 1920×1080, desk display 1280×720, phone 390×844) or, where it is not
a screen, as a unit:

* a sign-in error goes away once the sign-in succeeds (console and supervisor);
* the console's transfer dialog chooses nothing for the officer and lists the desk's own agency first;
* the idle console shows 0 served, not "—";
* a paused desk says for how long ("Tạm dừng 12 phút"), on the console and the supervisor's page;
* the supervisor's "Gọi số này" says why it is disabled (in Vietnamese, and in English after the switch);
* /favicon.ico is an icon, not a 404;
* the server log is in the center's time zone with its offset;
* the phone rates with the desk display's five faces and shows the one given; the desk display's
  rating screen counts down the seconds before it closes.
Screenshots: artifacts/ui-fixes-*.png."""
from __future__ import annotations

import io
import logging
import re
import sqlite3
from datetime import datetime, timezone

import pytest
import requests

from server.logs import CenterTime
from tests.browser import artifact, browser, console_errors, submit_sign_in  # noqa: F401  (browser is a fixture)
from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, desk_display, kiosk
from tests.live_server import start_center

PASSWORD = "mat-khau-can-bo"
KIOSK = {"Authorization": "Bearer fixes-kiosk-token"}
DESK_TOKEN = "fixes-desk-1-token"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    toml = center_toml("data/fixes.db", agencies=[CA, STP], desks=TWO_STP_DESKS_AND_CA,
                       kiosks=[kiosk("k1", "fixes-kiosk-token")], displays=[desk_display("d1", DESK_TOKEN, 1)])
    server = start_center(tmp_path_factory.mktemp("ui-fixes"), toml, {
        "canbo1": (PASSWORD, "officer", "STP"), "giamsat": (PASSWORD, "supervisor")})
    yield server
    server.stop()


def auth(live, username: str) -> dict:
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def issue(live, service: str) -> dict:
    r = requests.post(live.url + "/api/v1/tickets", json={"service": service}, headers=KIOSK, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def paused_12_minutes_ago(live, number: int) -> None:
    """Move the desk's pause 12 minutes back in the database (instead of waiting): the pages keep
    their clocks in step with the server's, so moving a page's clock would not do."""
    db = sqlite3.connect(live.database, timeout=5)
    try:
        with db:
            assert db.execute("UPDATE desks SET paused_at = paused_at - 720 WHERE number = ? AND paused_at IS NOT NULL",
                              [number]).rowcount == 1
    finally:
        db.close()


def test_console_sign_in_error_transfer_idle_count_and_pause_time(browser, live):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = console_errors(page)
    submit_sign_in(page, "canbo1", "sai-mat-khau", live.url + "/desk")
    page.wait_for_selector("#message.error:not([hidden])")
    submit_sign_in(page, "canbo1", PASSWORD)
    page.wait_for_selector("#view-picker:not([hidden])")
    assert page.is_hidden("#message")                        # the old "wrong password" is gone
    page.click(".desk-choice:has(.n:text-is('1'))")
    page.wait_for_selector("#view-console:not([hidden])")
    assert page.text_content("#count-officer") == "0"        # idle: nobody served yet, not "—"
    page.screenshot(path=artifact("ui-fixes-console-idle.png"))

    issue(live, "STP-LLTP")
    page.wait_for_function("() => document.querySelector('#waiting .waiting-row .n').textContent !== '0'")
    page.click("#btn-next")
    page.wait_for_selector("#btn-transfer:not([disabled])")
    page.wait_for_function("() => !document.getElementById('actions').classList.contains('busy')")
    page.click("#btn-transfer")
    page.wait_for_selector("#modal-transfer:not([hidden])")
    assert page.evaluate("document.getElementById('transfer-service').value") == ""   # nothing preselected
    groups = page.evaluate("[...document.querySelectorAll('#transfer-service optgroup')].map(g => g.label)")
    assert groups[0] == "Sở Tư pháp" and "Công an tỉnh" in groups[1:]                 # own agency first
    page.screenshot(path=artifact("ui-fixes-console-transfer.png"))
    page.click("#transfer-form button[type=submit]")                                   # nothing chosen: nothing sent
    assert page.is_visible("#modal-transfer")
    page.keyboard.press("Escape")
    page.click("#btn-finish")
    page.wait_for_selector("#btn-finish[disabled]", state="attached")
    page.wait_for_function("() => !document.getElementById('actions').classList.contains('busy')")
    page.click("#btn-pause")
    page.fill("#pause-reason", "Nghỉ giải lao")
    page.click("#pause-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('paused-banner').textContent.startsWith('Tạm dừng 0 phút')")
    paused_12_minutes_ago(live, 1)
    page.reload()                                            # the desk again, with the earlier pause
    page.wait_for_function("() => document.getElementById('paused-banner').textContent === 'Tạm dừng 12 phút: Nghỉ giải lao'")
    page.screenshot(path=artifact("ui-fixes-console-paused.png"))
    assert [e for e in errors if "sai-mat-khau" not in e and "/auth/login" not in e] == []
    page.close()
    requests.post(f"{live.url}/api/v1/desks/1/resume", headers=auth(live, "canbo1"), timeout=10)


def test_supervisor_says_why_it_cannot_call_and_how_long_a_desk_is_paused(browser, live):
    officer = auth(live, "canbo1")
    assert requests.post(f"{live.url}/api/v1/desks/2/pause", json={"reason": "Họp"}, headers=officer,
                         timeout=10).status_code == 200
    ticket = issue(live, "CA-CC")                            # desk 3, the only one for it, is closed
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    submit_sign_in(page, "giamsat", "sai-mat-khau", live.url + "/supervisor")
    page.wait_for_selector("#message.error:not([hidden])")
    submit_sign_in(page, "giamsat", PASSWORD)
    page.wait_for_selector("#view-live:not([hidden])")
    assert page.is_hidden("#message")
    page.wait_for_selector(f".ticket-row[data-ticket='{ticket['id']}']")
    page.click(f".ticket-row[data-ticket='{ticket['id']}']")
    page.wait_for_selector("#action-why:not([hidden])")
    assert page.is_disabled("#action-call")
    assert page.text_content("#action-why") == "Các quầy làm dịch vụ này đều đang đóng (chưa có cán bộ đăng nhập)."
    page.click("#lang")                                      # the same reason in English, from the catalog
    page.wait_for_function("() => document.getElementById('action-why').textContent"
                           " === 'Every desk for this service is closed: no officer has signed in.'")
    assert page.is_disabled("#action-call")
    page.click("#lang")                                      # back to Vietnamese for the rest
    page.wait_for_function("() => document.getElementById('action-why').textContent.includes('đang đóng')")
    paused_12_minutes_ago(live, 2)
    page.reload()                                            # the overview again, with the earlier pause
    page.wait_for_selector("#view-live:not([hidden])")
    page.wait_for_function("() => document.querySelector('#desks .desk[data-desk=\"2\"] .desk-state').textContent"
                           " === 'Tạm dừng 12 phút'")
    page.screenshot(path=artifact("ui-fixes-supervisor.png"))
    page.close()
    requests.post(f"{live.url}/api/v1/desks/2/resume", headers=officer, timeout=10)


def test_phone_rates_with_faces_and_desk_display_counts_down(browser, live):
    officer = auth(live, "canbo1")
    display = browser.new_page(viewport={"width": 1280, "height": 720})
    display.goto(f"{live.url}/display/desk/1?token={DESK_TOKEN}")
    display.wait_for_function("() => window.deskSocket && window.deskSocket.connected")
    ticket = issue(live, "STP-HT")
    for _ in range(10):                                      # call until this ticket comes up at desk 1
        called = requests.post(f"{live.url}/api/v1/desks/1/next", headers=officer, timeout=10).json()["ticket"]
        requests.post(f"{live.url}/api/v1/desks/1/finish", headers=officer, timeout=10)
        if called is None or called["id"] == ticket["id"]:
            break
    assert called["id"] == ticket["id"]
    display.wait_for_selector("#rating:not([hidden])")
    first = int(display.text_content("#rating-left"))
    assert 1 <= first <= 30
    display.wait_for_function(f"() => Number(document.getElementById('rating-left').textContent) < {first}")
    display.screenshot(path=artifact("ui-fixes-desk-rating.png"))
    display.close()

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    errors = console_errors(phone)
    phone.goto(ticket["status_url"])
    phone.wait_for_selector("#rating:not([hidden])")
    faces = phone.locator("#stars .face")
    assert faces.count() == 5 and phone.locator("#stars .face svg").count() == 5     # the display's faces
    labels = phone.evaluate("""[...document.querySelectorAll('#stars .face-label')].map(l =>
        l.getBoundingClientRect().height / parseFloat(getComputedStyle(l).lineHeight || 20))""")
    assert max(labels) < 1.6, labels                         # "Rất không hài lòng" on one line (was 4)
    phone.screenshot(path=artifact("ui-fixes-phone-faces.png"))
    with phone.expect_response(lambda r: "/rating" in r.url) as answer:
        phone.locator("#stars .face-4").tap()
    assert answer.value.status == 201
    phone.wait_for_selector("#stars.rated")
    assert phone.locator("#stars .face.chosen").get_attribute("data-score") == "4"    # the rating given
    assert phone.text_content("#stars .face.chosen .face-label") == "Hài lòng"
    assert phone.evaluate("getComputedStyle(document.querySelector('#stars .face-1')).opacity") == "0.3"
    phone.screenshot(path=artifact("ui-fixes-phone-rated.png"))
    assert errors == []
    phone.close()


def test_favicon_is_served(live):
    r = requests.get(live.url + "/favicon.ico", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/x-icon"
    from PIL import Image
    assert Image.open(io.BytesIO(r.content)).format == "ICO"


def test_log_times_are_the_centers_with_offset(live):
    record = logging.LogRecord("hangdoi", logging.INFO, __file__, 1, "called %s", ("C001",), None)
    record.created = datetime(2026, 12, 4, 3, 30, 1, 250000, tzinfo=timezone.utc).timestamp()
    record.msecs = 250
    line = CenterTime("%(asctime)s %(levelname)s %(name)s: %(message)s", "Asia/Ho_Chi_Minh").format(record)
    assert line == "2026-12-04 10:30:01,250+07:00 INFO hangdoi: called C001"
    # and the real server writes its lines that way (the test machine runs in UTC)
    stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})([+-]\d\d:\d\d) ", live.log(), re.M)
    assert stamps and all(offset == "+07:00" for _, offset in stamps), live.log()[:500]
