"""The officer's console, the hall board and a desk display, in Debian's chromium, against the
real server: sign in, press Next, see the number on the board within a second, hear it."""
from __future__ import annotations

import array
import io
import math
import re
import time
import wave

import pytest
import requests

from tests.browser import another_browser, artifact, browser, console_errors, submit_sign_in  # noqa: F401
from tests.centers import (BHXH, CA, FOUR_DESKS, HT, LLTP, ODD_STP_NAME, agency, center_toml, desk_display,
                           hall_display, kiosk, with_)
from tests.live_server import LiveServer, free_port, prepare_database, start_center

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HALL_TOKEN = "hall-token-browser"
DESK_TOKEN = "desk-1-token-browser"
KIOSK = {"Authorization": "Bearer kiosk-token-browser"}
PASSWORD = "mat-khau-can-bo"

CONFIG = center_toml(
    "data/browser.db",
    notice="Trung tâm làm việc từ thứ Hai đến thứ Sáu: sáng 7h30–11h30, chiều 13h30–17h00. "
           "Xin vui lòng giữ trật tự và chờ đến lượt.",
    announce={"repeat": 0},
    agencies=[agency("STP", ODD_STP_NAME, LLTP, with_(HT, prefix="A")), CA, BHXH], desks=FOUR_DESKS,
    kiosks=[kiosk("kiosk-1", "kiosk-token-browser")],
    displays=[hall_display("hall-1", HALL_TOKEN), desk_display("desk-1", DESK_TOKEN, 1)])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("browser"), CONFIG, {
        "canbo1": (PASSWORD, "officer", "STP"), "canbo3": (PASSWORD, "officer", "CA"),
        "giamsat": (PASSWORD, "supervisor"), "quantri": (PASSWORD, "admin")})
    yield server
    server.stop()


def issue(live, service="STP-LLTP") -> dict:
    r = requests.post(live.url + "/api/v1/tickets", json={"service": service}, headers=KIOSK, timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def login(live, username) -> dict:
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=15)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def wav_stats(data: bytes) -> tuple[float, float]:
    """(seconds, RMS of 32767) of a 16-bit PCM WAV."""
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / w.getframerate()
    samples = array.array("h", frames)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return seconds, rms


def sign_in(page, live, username="canbo1", desk=1):
    submit_sign_in(page, username, PASSWORD, live.url + "/desk")
    page.wait_for_selector("#view-picker:not([hidden]), #view-console:not([hidden])")
    if page.is_visible("#view-picker"):
        page.click(f".desk-choice:has(.n:text-is('{desk}'))")
    page.wait_for_selector("#view-console:not([hidden])")
    page.wait_for_function("() => document.getElementById('conn').classList.contains('on')")


def open_hall(browser, live):
    hall = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = console_errors(hall)
    hall.goto(f"{live.url}/display/hall?token={HALL_TOKEN}")
    hall.wait_for_function("() => window.hallSocket && window.hallSocket.connected")
    return hall, errors


def announcer_state(page) -> dict:
    """What the hall's announcer is doing, for failure messages."""
    return page.evaluate("""() => { const a = document.getElementById('announcer'), n = window.hallAnnouncer;
        return {played: n.played, queue: n.queue.map(q => q.path), busy: n.busy, blocked: n.blocked,
                src: a.src, paused: a.paused, time: a.currentTime, duration: a.duration,
                error: a.error && a.error.code}; }""")


def wait_for_sound(page, predicate: str, timeout: float):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(predicate, timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(f"announcer stuck: {announcer_state(page)}") from None


def press(page, key):
    """A shortcut key, once the console is idle (keys are ignored while an action is in flight)."""
    page.wait_for_function("() => !document.getElementById('actions').classList.contains('busy')")
    page.keyboard.press(key)


def click(page, selector):
    """A console button, once the console is idle (clicks are ignored while an action is in flight)."""
    page.wait_for_function("() => !document.getElementById('actions').classList.contains('busy')")
    page.click(selector)


def real_errors(errors):
    return [e for e in errors if "favicon" not in e]


def test_officer_presses_next_the_hall_shows_and_says_it(browser, live):
    # Other desks at work before the board opens, so that "now serving" has something to show.
    for service in ("CA-CC", "CA-CC", "BHXH-THE"):
        issue(live, service)
    assert requests.post(f"{live.url}/api/v1/desks/3/next", headers=login(live, "canbo3"), timeout=15).status_code == 200
    assert requests.post(f"{live.url}/api/v1/desks/4/next", headers=login(live, "giamsat"), timeout=15).status_code == 200

    hall, hall_errors = open_hall(browser, live)
    desk_display = browser.new_page(viewport={"width": 1280, "height": 720})
    desk_errors = console_errors(desk_display)
    desk_display.goto(f"{live.url}/display/desk/1?token={DESK_TOKEN}")
    desk_display.wait_for_function("() => window.deskSocket && window.deskSocket.connected")

    console = browser.new_page(viewport={"width": 1366, "height": 820})
    console_errs = console_errors(console)
    sign_in(console, live)
    ticket = issue(live)
    issue(live, "STP-HT")
    console.wait_for_function("() => document.querySelector('#waiting .waiting-row .n').textContent !== '0'")

    console.wait_for_function("() => !document.getElementById('actions').classList.contains('busy')")
    started = time.monotonic()
    console.keyboard.press("g")                       # the shortcut of "Gọi tiếp"
    hall.wait_for_function(f"() => document.getElementById('latest-code').textContent === {ticket['code']!r}", timeout=1000)
    shown_after = time.monotonic() - started
    print(f"\nhall showed the call {1000 * shown_after:.0f} ms after the key press")
    assert shown_after < 1.0
    assert hall.text_content("#latest-desk") == "1"
    assert hall.text_content("#latest-desk-name") == "Quầy 1 – Sở Tư pháp"
    desk_display.wait_for_function(
        f"() => document.getElementById('desk-code').textContent === {ticket['code']!r}", timeout=10000)
    console.wait_for_function(f"() => document.getElementById('current-code').textContent === {ticket['code']!r}")
    assert console.text_content("#current-status").startswith("Đã gọi")

    # The announcement really plays: a WAV of 1.5 s or more, time advancing.
    wait_for_sound(hall, "() => { const a = document.getElementById('announcer');"
                         "  return a.src.includes('/audio/call/') && !a.paused && a.currentTime > 0.2; }", timeout=15000)
    src, duration, t1 = hall.evaluate(
        "() => { const a = document.getElementById('announcer'); return [a.src, a.duration, a.currentTime]; }")
    hall.wait_for_timeout(400)
    t2 = hall.evaluate("() => document.getElementById('announcer').currentTime")
    assert duration >= 1.5, duration
    assert t2 > t1, (t1, t2)
    assert src.endswith(f"/audio/call/{ticket['code']}/1.wav")
    wav = requests.get(src, timeout=20)
    assert wav.status_code == 200 and wav.headers["Content-Type"].startswith("audio/wav")
    seconds, rms = wav_stats(wav.content)
    assert seconds >= 1.5 and rms > 500, (seconds, rms)

    # The desk display has audio = false: it never asks for a sound.
    assert desk_display.evaluate("() => document.getElementById('announcer').getAttribute('src')") is None
    assert not [e for e in desk_errors if "/audio/" in e]

    # Names from the config are text, never markup.
    hall.wait_for_function("() => document.querySelectorAll('.agency').length >= 2")
    names = hall.eval_on_selector_all(".agency-name", "els => els.map(e => e.textContent)")
    assert "Sở Tư pháp <i>thử</i>" in names
    assert hall.query_selector(".agency-name i") is None

    hall.wait_for_timeout(300)
    hall.screenshot(path=str(artifact("hall-board.png")))
    console.screenshot(path=str(artifact("desk-console.png")))
    desk_display.screenshot(path=str(artifact("desk-display.png")))
    assert real_errors(hall_errors) == [] and real_errors(desk_errors) == [] and real_errors(console_errs) == []
    for page in (hall, desk_display, console):
        page.close()


def test_console_survives_reload_shows_server_errors_and_signs_out_on_401(browser, live):
    console = browser.new_page(viewport={"width": 1366, "height": 820})
    errors = console_errors(console)
    sign_in(console, live, desk=2)
    ticket = issue(live)
    click(console, "#btn-next")
    console.wait_for_function(f"() => document.getElementById('current-code').textContent === {ticket['code']!r}")
    click(console, "#btn-start")
    console.wait_for_function("() => document.getElementById('current-status').textContent === 'Đang phục vụ'")

    console.reload()                                   # state comes back from the server
    console.wait_for_selector("#view-console:not([hidden])")
    console.wait_for_function(f"() => document.getElementById('current-code').textContent === {ticket['code']!r}")
    assert console.text_content("#topbar-desk").startswith("Quầy 2 · Sở Tư pháp")

    # Transfer dialog open while someone else finishes the ticket: the server's 409 is shown in Vietnamese.
    press(console, "c")
    console.wait_for_selector("#modal-transfer:not([hidden])")
    console.select_option("#transfer-service", "CA-CC")
    r = requests.post(f"{live.url}/api/v1/desks/2/finish", headers=login(live, "giamsat"), timeout=15)
    assert r.status_code == 200
    console.click("#transfer-form button[type=submit]")
    console.wait_for_selector("#message.error")
    assert "chưa có số nào đang phục vụ" in console.text_content("#message")

    # Pause with a reason, then resume.
    press(console, "t")
    console.fill("#pause-reason", "Họp giao ban")
    console.keyboard.press("Enter")
    console.wait_for_function("() => !document.getElementById('paused-banner').hidden")
    assert console.text_content("#paused-banner") == "Tạm dừng 0 phút: Họp giao ban"       # and how long
    press(console, "t")
    console.wait_for_function("() => document.getElementById('paused-banner').hidden")

    # An expired or revoked token (401) brings the sign-in form back.
    console.evaluate("() => sessionStorage.setItem('hangdoi.desk.token', 'expired.token.value')")
    press(console, "g")
    console.wait_for_selector("#view-login:not([hidden])")
    assert "hết hạn" in console.text_content("#login-hint")

    # Signed in again: the picker offers the officer's own agency's desks only; then sign out.
    submit_sign_in(console, "canbo1", PASSWORD)
    console.wait_for_selector("#view-picker:not([hidden])")
    assert console.eval_on_selector_all(".desk-choice .n", "els => els.map(e => e.textContent)") == ["1", "2"]
    console.click(".desk-choice:has(.n:text-is('2'))")
    console.wait_for_selector("#view-console:not([hidden])")
    click(console, "#sign-out")
    console.wait_for_selector("#view-login:not([hidden])")
    assert console.text_content("#login-hint") == "Bạn đã đăng xuất."
    assert console.evaluate("() => sessionStorage.length") == 0
    desk2 = requests.get(f"{live.url}/api/v1/desks/2", headers=login(live, "giamsat"), timeout=15).json()["desk"]
    assert desk2["state"] == "closed"                 # signing out closes the desk
    assert [e for e in real_errors(errors) if "HTTP 401" not in e and "HTTP 409" not in e] == []
    console.close()


def test_a_console_left_open_signs_out_when_its_officer_is_disabled(browser, live):
    from server.web.realtime import STAFF_RECHECK_S

    console = browser.new_page(viewport={"width": 1366, "height": 820})
    sign_in(console, live, "canbo3", desk=3)
    admin = login(live, "quantri")
    r = requests.post(f"{live.url}/api/v1/admin/users/disable", json={"username": "canbo3"}, headers=admin, timeout=15)
    assert r.status_code == 200
    try:                                  # no key pressed: the server cuts the socket, the page asks why
        console.wait_for_selector("#view-login:not([hidden])", timeout=(STAFF_RECHECK_S + 10) * 1000)
        assert "hết hạn" in console.text_content("#login-hint")
        assert console.evaluate("() => sessionStorage.length") == 0
    finally:
        requests.post(f"{live.url}/api/v1/admin/users/enable", json={"username": "canbo3"}, headers=admin, timeout=15)
        console.close()


def test_hall_marks_a_cut_and_comes_back_with_the_current_state(browser, live):
    hall, _ = open_hall(browser, live)
    live.stop()
    hall.wait_for_selector("#offline:not([hidden])", timeout=10000)
    assert "Mất kết nối" in hall.text_content("#offline")
    live.start()
    issue(live, "CA-CC")
    r = requests.post(f"{live.url}/api/v1/desks/3/next", headers=login(live, "canbo3"), timeout=15)
    ticket = r.json()["ticket"]
    # Called while the board was still reconnecting: the snapshot brings it, no reload.
    hall.wait_for_function(f"() => document.getElementById('latest-code').textContent === {ticket['code']!r}",
                           timeout=20000)
    hall.wait_for_selector("#offline", state="hidden")
    hall.close()


def test_wrong_token_gets_a_polite_page(browser, live):
    page = browser.new_page()
    response = page.goto(f"{live.url}/display/hall?token=wrong-token")
    assert response.status == 403
    assert "Xin lỗi" in page.text_content("h1")
    assert "Traceback" not in page.content()
    page.close()


def test_calls_faster_than_speech_are_all_said_in_order_one_at_a_time(browser, live):
    hall, errors = open_hall(browser, live)
    tokens = {"STP": login(live, "canbo1"), "CA": login(live, "canbo3"), "ANY": login(live, "giamsat")}
    for service in ("STP-LLTP", "STP-LLTP", "CA-CC", "BHXH-THE"):
        issue(live, service)
    codes = []
    for desk, who in ((1, "STP"), (2, "STP"), (3, "CA"), (4, "ANY")):   # four calls within a few ms
        r = requests.post(f"{live.url}/api/v1/desks/{desk}/next", headers=tokens[who], timeout=15)
        codes.append((r.json()["ticket"]["code"], desk))
    # The first is said at once; the three that arrived meanwhile wait, then are said in one file.
    played = wait_for_sound(hall, "() => window.hallAnnouncer.played.length >= 2 && window.hallAnnouncer.played",
                            timeout=30000).json_value()
    assert played[0] == f"/audio/call/{codes[0][0]}/{codes[0][1]}.wav"
    assert played[1] == ("/display/audio/batch.wav?" + "&".join(f"c={c}-{d}" for c, d in codes[1:])
                         + f"&token={HALL_TOKEN}")
    wait_for_sound(hall, "() => { const a = document.getElementById('announcer');"
                         " return a.src.includes('batch.wav') && !a.paused && a.currentTime > 0.2; }", timeout=20000)
    duration = hall.evaluate("() => document.getElementById('announcer').duration")
    assert duration > 4, duration                                  # three sentences
    assert hall.evaluate("() => window.hallAnnouncer.queue.length") == 0
    assert real_errors(errors) == []
    hall.close()


def test_a_browser_that_blocks_autoplay_gets_a_one_time_sound_tap(browser, live):
    with another_browser(browser, autoplay=False) as strict:
        hall = strict.new_page(viewport={"width": 1920, "height": 1080})
        hall.goto(f"{live.url}/display/hall?token={HALL_TOKEN}")
        hall.wait_for_selector("#sound-overlay:not([hidden])", timeout=10000)
        assert "Bật âm thanh" in hall.text_content("#sound-button")
        hall.screenshot(path=str(artifact("hall-sound-tap.png")))
        hall.click("#sound-button")                                # the tap is a user gesture
        assert hall.is_hidden("#sound-overlay")
        issue(live, "CA-CC")
        requests.post(f"{live.url}/api/v1/desks/3/next", headers=login(live, "canbo3"), timeout=15)
        hall.wait_for_function("() => { const a = document.getElementById('announcer');"
                               " return a.src.includes('/audio/') && !a.paused && a.currentTime > 0.2; }",
                               timeout=20000)
        assert hall.is_hidden("#sound-overlay")


def test_the_board_of_a_full_center_turns_pages(browser, tmp_path):
    """The demo config (23 agencies, 52 desks): "Đang phục vụ" does not fit one screen and pages."""
    from server.config import load_config
    from tests.live_server import ROOT

    port = free_port()
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^database = .*$', 'database = "data/full.db"', text)
    text = re.sub(r'(?m)^public_url = .*$', f'public_url = "http://127.0.0.1:{port}"', text)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    hall_token = next(d.token for d in config.displays if d.kind == "hall")
    kiosk = {"Authorization": f"Bearer {config.kiosks[0].token}"}
    prepare_database(path, {"quantri": (PASSWORD, "admin")})
    with LiveServer(path, port) as full:
        session = requests.Session()
        admin = login(full, "quantri")
        for desk in config.desks:
            assert session.post(full.url + "/api/v1/tickets", json={"service": desk.services[0]}, headers=kiosk,
                                timeout=15).status_code == 201
            assert session.post(f"{full.url}/api/v1/desks/{desk.number}/next", headers=admin, timeout=15).status_code == 200
        hall = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors = console_errors(hall)
        hall.goto(f"{full.url}/display/hall?token={hall_token}")
        hall.wait_for_function("() => window.hallSocket && window.hallSocket.connected")
        hall.wait_for_function(f"() => document.querySelectorAll('.agency').length === {len(config.agencies)}")
        assert re.fullmatch(r"1/[2-9]", hall.text_content("#page-mark").strip())
        assert len(hall.query_selector_all(".recent-row")) == 9
        # every code on the board fits its box (long codes such as "KCN001" are shrunk, not cut)
        assert hall.evaluate("() => [...document.querySelectorAll('.recent-code, #latest-code')]"
                             ".every(e => e.scrollWidth <= e.parentElement.clientWidth + 1)")
        hall.screenshot(path=str(artifact("hall-board-full-center.png")))
        assert real_errors(errors) == []
        hall.close()


def test_desk_display_offers_the_rating_after_finish_and_the_report_counts_the_tap(browser, live):
    """Đánh giá mức độ hài lòng: the desk's screen turns to five faces when the officer finishes,
    the visitor taps one, the rating is stored with the ticket and shows in the report."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = console_errors(page)
    page.goto(f"{live.url}/display/desk/1?token={DESK_TOKEN}")
    page.wait_for_function("() => window.deskSocket && window.deskSocket.connected")
    ticket = issue(live)
    officer = login(live, "canbo1")
    while True:                                    # bring this ticket to desk 1 (earlier tests left others)
        called = requests.post(live.url + "/api/v1/desks/1/next", headers=officer, timeout=15).json()["ticket"]
        assert called is not None
        if called["id"] == ticket["id"]:
            break
    page.wait_for_function(f"() => document.getElementById('desk-code').textContent === '{ticket['code']}'")
    assert page.locator("#rating").is_hidden()
    requests.post(live.url + "/api/v1/desks/1/finish", headers=officer, timeout=15).raise_for_status()
    page.wait_for_selector("#rating:not([hidden])", timeout=5000)
    assert page.locator("#rating-code").text_content() == ticket["code"]
    page.screenshot(path=str(artifact("desk-display-rating.png")))
    page.locator("button[data-score='5']").click()
    page.wait_for_function("() => document.getElementById('rating-thanks').textContent.includes('Cảm ơn')")
    supervisor = login(live, "giamsat")
    day = ticket["issued_at"][:10]
    summary = requests.get(f"{live.url}/api/v1/reports/summary?from={day}&to={day}", headers=supervisor,
                           timeout=15).json()
    by_desk = {row["number"]: row for row in summary["by_desk"]}
    assert by_desk[1]["ratings"] >= 1 and summary["totals"]["ratings"] >= 1
    page.locator("button[data-score='1']").dispatch_event("click")  # a second tap is not a second rating
    time.sleep(0.5)
    again = requests.get(f"{live.url}/api/v1/reports/summary?from={day}&to={day}", headers=supervisor,
                         timeout=15).json()
    assert again["totals"]["ratings"] == summary["totals"]["ratings"]
    page.wait_for_selector("#rating", state="hidden", timeout=6000)
    assert not errors, errors
    page.close()
