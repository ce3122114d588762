"""The kiosk's screens of bookings (issue 13) in Debian's chromium, against the real server and a real
preview print agent: a 2D scanner's keystrokes (fast keys, then Enter) on any screen; a bad QR gets
a clear message in Vietnamese with English under it; a person's slow keys are not a scan; the
scanner never types into the lookup's search; every refusal of a check-in has its words; the
"Tôi đã đặt lịch" keypad. Screenshots at 1080×1920 go to artifacts/booking-*.png."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from server import i18n
from tests.browser import artifact, browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.centers import CA, STP, center_toml, desk, kiosk
from tests.live_server import ROOT, start_center

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KIOSK_TOKEN = "kiosk-dat-lich-token-1"
KIOSK_VIEW = {"width": 1080, "height": 1920}
SCAN_DELAY_MS = 8            # a USB scanner types a key every few milliseconds


def vi(key: str, **params) -> str:
    return i18n.t(key, **params)


def en(key: str, **params) -> str:
    return i18n.t(key, lang="en", **params)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("booking-kiosk")
    toml = center_toml("hangdoi.db", agencies=(STP, CA),
                       desks=[desk(1, "STP", "STP-LLTP", "STP-HT"), desk(2, "CA", "CA-CC")],
                       kiosks=[kiosk("kiosk-1", KIOSK_TOKEN, name="Ki-ốt sảnh")])
    procedures = json.loads((ROOT / "procedures.json").read_text(encoding="utf-8"))   # the lookup panel, for
    procedures["procedures"] = [p for p in procedures["procedures"] if p["service"] in ("STP-LLTP", "CA-CC")]
    (tmp / "procedures.json").write_text(json.dumps(procedures, ensure_ascii=False), encoding="utf-8")   # a scan there
    server = start_center(tmp, toml)
    agent = subprocess.Popen([sys.executable, "-m", "server.cli", "kiosk", "--server", server.url, "--token", KIOSK_TOKEN,
                              "--printer", f"preview:{tmp / 'preview'}"], cwd=ROOT,
                             stdout=open(tmp / "agent.log", "ab"), stderr=subprocess.STDOUT)
    server.preview = tmp / "preview"
    try:
        yield server
    finally:
        agent.terminate()
        agent.wait(10)
        server.stop()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport=KIOSK_VIEW, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.errors = console_errors(page)
    page.posts = []
    page.on("request", lambda r: page.posts.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/v1/tickets") else None)
    page.goto(f"{live.url}/kiosk?token={KIOSK_TOKEN}")
    page.wait_for_selector("#agencies .tile")
    page.wait_for_function("() => !document.getElementById('lang').disabled")
    yield page
    context.close()


def scan(page, text: str, delay: int = SCAN_DELAY_MS) -> None:
    """What a USB 2D scanner does: its text, key after key, then Enter."""
    page.keyboard.type(text, delay=delay)
    page.keyboard.press("Enter")


def message_shown(page, title: str, text: str, **params) -> None:
    page.wait_for_selector("#screen-message:not(.hidden)")
    assert page.text_content("#message-title") == vi(title)
    assert page.text_content("#message-text") == vi(text, **params)
    assert page.text_content("#message-en-title") == en(title)          # English second
    assert page.text_content("#message-en-text") == en(text, **params)
    assert page.locator("#message-en").is_visible()


def test_a_bad_qr_gets_a_clear_message_and_no_ticket(page, live):
    scan(page, "https://zalo.me/g/abcdef123456")
    message_shown(page, "checkin.scan_error_title", "checkin.bad_scan")
    assert page.posts == []                                            # nothing was asked of the server
    page.wait_for_timeout(650)                                         # a tap right after a screen change is ignored
    page.screenshot(path=str(artifact("booking-bad-qr.png")))
    page.locator("#screen-message [data-action=home]").tap()
    page.wait_for_selector("#screen-agencies:not(.hidden)")
    assert page.errors == [], page.errors


def test_a_persons_slow_keys_are_not_a_scan(page, live):
    page.keyboard.type("12345678", delay=160)                          # a person at a keyboard
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.locator("#screen-agencies").is_visible()
    assert page.posts == []


def test_the_scanner_never_types_into_the_lookups_search(page, live):
    if page.locator("#lookup-open").is_hidden():
        pytest.skip("this center has no procedures to look up")
    page.locator("#lookup-open").tap()
    page.wait_for_selector("#lookup-query")
    scan(page, "not-a-booking-0815")
    message_shown(page, "checkin.scan_error_title", "checkin.bad_scan")
    assert page.locator("#lookup").is_hidden()                        # the message is not under the panel
    page.wait_for_timeout(650)
    page.locator("#screen-message [data-action=home]").tap()
    page.wait_for_selector("#screen-agencies:not(.hidden)")
    page.locator("#lookup-open").tap()
    page.wait_for_selector("#lookup-query")
    page.keyboard.type("ly lich", delay=180)                          # a person at a keyboard: into the search
    page.wait_for_function("() => document.getElementById('lookup-query').textContent === 'ly lich'")
    scan(page, "0123456789012345")                                     # and a scan is not
    message_shown(page, "checkin.scan_error_title", "checkin.bad_scan")


def test_the_keypad_takes_eight_digits_with_delete(page, live):
    page.wait_for_selector("#checkin-open", state="attached")
    page.evaluate("() => document.getElementById('checkin-open').classList.remove('hidden')")   # see below
    page.screenshot(path=str(artifact("booking-home.png")))
    page.locator("#checkin-open").tap()
    page.wait_for_selector("#screen-checkin:not(.hidden) .key")
    ok = page.locator(".key-ok")
    assert ok.is_disabled() and page.locator(".key-del").is_disabled()
    for digit in "1234":
        page.locator(f".key[data-key='{digit}']").tap()
    assert page.text_content("#checkin-left") == vi("checkin.digits_left", n=4)
    page.locator(".key-del").tap()
    for digit in "05678":
        page.locator(f".key[data-key='{digit}']").tap()
    assert "".join(page.locator(".code-box").all_text_contents()) == "12305678"
    page.locator(".key[data-key='9']").tap()                           # a ninth digit is not taken
    assert "".join(page.locator(".code-box").all_text_contents()) == "12305678"
    assert page.text_content("#checkin-left") == vi("checkin.digits_done")
    assert ok.is_enabled()
    keys = page.locator("#keypad .key")
    assert keys.count() == 12
    for i in range(12):                                                # big keys for a shaking finger
        box = keys.nth(i).bounding_box()
        assert box["width"] >= 200 and box["height"] >= 120, box
        assert box["y"] + box["height"] <= KIOSK_VIEW["height"]
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    page.screenshot(path=str(artifact("booking-keypad.png")))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets") and r.request.method == "POST"):
        ok.tap()
    assert page.posts[-1] == {"booking": "12305678"}
    page.wait_for_selector("#screen-message:not(.hidden), #screen-ticket:not(.hidden)")


REFUSALS = [
    (409, "booking_used", "checkin.booking_used"),
    (409, "booking_not_here", "checkin.booking_not_here"),
    (409, "booking_wrong_day", "checkin.booking_wrong_day"),
    (409, "booking_outside_slot", "checkin.booking_outside_slot"),
    (409, "booking_cancelled", "checkin.booking_cancelled"),
    (404, "booking_unknown", "checkin.booking_unknown"),
    (400, "invalid_booking", "checkin.invalid_booking"),
]


def test_every_refusal_of_a_check_in_has_its_words(page, live):
    """The server's answers as the contract writes them (section 7), each shown in its words."""
    answer = {}
    page.route("**/api/v1/tickets", lambda route: route.fulfill(
        status=answer["status"], content_type="application/json",
        body=json.dumps({"error": {"code": answer["code"], "message": "the server's English sentence"}})))
    for status, code, words in REFUSALS:
        answer.update(status=status, code=code)
        scan(page, "87654321")
        message_shown(page, "checkin.error_title", words)
        if code == "booking_outside_slot":
            page.screenshot(path=str(artifact("booking-error-outside-slot.png")))
        page.wait_for_timeout(650)
        page.locator("#screen-message [data-action=home]").tap()
        page.wait_for_selector("#screen-agencies:not(.hidden)")
        page.wait_for_timeout(650)
    for status, code, words in [(400, "invalid_id_card", "checkin.invalid_id_card"),
                                (409, "quota_exceeded", "checkin.quota_exceeded")]:
        answer.update(status=status, code=code)
        scan(page, "001234567890|123456789|Nguyễn Văn A|01011950|Nam|Thái Nguyên|01012021")
        page.wait_for_selector("#screen-agencies [data-card-banner]:not(.hidden)")
        page.wait_for_timeout(650)
        if code == "invalid_id_card":
            page.screenshot(path=str(artifact("booking-card-agencies.png")))
        page.locator(".tile").first.tap()
        page.wait_for_selector("#screen-services:not(.hidden) .service")
        page.wait_for_timeout(650)
        if code == "invalid_id_card":
            page.screenshot(path=str(artifact("booking-card-services.png")))
        page.locator(".service").first.tap()
        message_shown(page, "checkin.card_error_title", words)
        page.wait_for_timeout(650)
        page.locator("#screen-message [data-action=home]").tap()
        page.wait_for_selector("#screen-agencies:not(.hidden)")
        assert page.locator("[data-card-banner]:not(.hidden)").count() == 0    # the card is not kept
        page.wait_for_timeout(650)
    assert [p for p in page.posts if "booking" in p] == [{"booking": "87654321"}] * len(REFUSALS)
    assert all(set(p) == {"service", "id_card"} for p in page.posts if "id_card" in p)


def test_the_details_of_a_refusal_say_when_check_in_opens(page, live):
    page.route("**/api/v1/tickets", lambda route: route.fulfill(
        status=409, content_type="application/json",
        body=json.dumps({"error": {"code": "booking_outside_slot", "message": "check-in opens at 07:30",
                                   "details": [{"field": "slot", "message": "08:00-08:30"},
                                               {"field": "opens_at", "message": "2026-12-04T07:30:00+07:00"}]}})))
    scan(page, "HDB1.eyJjIjoiMTIzNDU2NzgifQ.c2ln")
    message_shown(page, "checkin.error_title", "checkin.booking_early", slot="08:00–08:30", opens="07:30")


# ---- the ticket of a booking and of an ID card --------------------------------------------------
def signed_booking_qr(code: str = "40817263") -> str:
    from server.booking.qr import new_private_key, sign_booking

    return sign_booking(new_private_key(), {"c": code, "s": "site-1", "v": "STP-LLTP", "d": "2026-12-04",
                                            "a": "08:00", "b": "08:30", "k": "booked"})


def answer_as_the_contract(page, extra_for_booking: dict) -> None:
    """POST /tickets goes to the real server; a check-in or an ID card's request is sent as a
    walk-in's (the server's own check-in is issue 13's site part) and its answer gets the fields
    the contract adds to T (source, slot, booking)."""
    def handle(route):
        body = route.request.post_data_json or {}
        if "booking" in body:
            sent, extra = {"service": "STP-LLTP"}, dict(extra_for_booking)
        elif "id_card" in body:
            sent, extra = {"service": body["service"], "priority": "elderly"}, {"source": "walk_in", "slot": None}
        else:
            route.continue_()
            return
        response = route.fetch(post_data=json.dumps(sent))
        data = response.json()
        if response.status == 201:
            data["ticket"].update(extra)
        route.fulfill(response=response, json=data)
    page.route("**/api/v1/tickets", handle)


def test_a_scanned_booking_shows_its_ticket_with_the_slot(page, live):
    answer_as_the_contract(page, {"source": "booked", "slot": "08:00–08:30", "booking": "40817263"})
    qr = signed_booking_qr()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets") and r.request.method == "POST") as answer:
        scan(page, qr)
    assert answer.value.status == 201
    assert page.posts == [{"booking": qr}]                              # the whole QR, as scanned
    page.wait_for_selector("#screen-ticket:not(.hidden)")
    ticket = answer.value.json()["ticket"]
    assert page.text_content("#ticket-code") == ticket["code"]
    assert page.text_content("#ticket-source") == "Đặt lịch 08:00–08:30"
    assert page.locator("#ticket-source").is_visible()
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifact("booking-ticket.png")))
    card = page.locator(".ticket-card").bounding_box()
    assert card["y"] + card["height"] <= page.locator("#done").bounding_box()["y"]   # nothing pushed off
    page.click("#lang")                                                # and in English
    page.wait_for_function("() => document.getElementById('ticket-source').textContent === 'Booked 08:00–08:30'")
    assert page.errors == [], page.errors


def test_a_remote_number_says_tu_xa(page, live):
    answer_as_the_contract(page, {"source": "remote", "slot": None, "booking": "51829304"})
    scan(page, "51829304")
    page.wait_for_selector("#screen-ticket:not(.hidden)")
    assert page.text_content("#ticket-source") == "Từ xa"


def test_an_id_card_holds_while_the_service_is_chosen(page, live):
    answer_as_the_contract(page, {})
    card = "001234567890|123456789|Nguyễn Văn A|01011950|Nam|Thái Nguyên|01012021"
    page.locator(".tile", has_text="Sở Tư pháp").tap()               # the visitor was choosing already
    page.wait_for_selector("#screen-services:not(.hidden) .service")
    scan(page, card)
    page.wait_for_selector("#screen-services [data-card-banner]:not(.hidden)")
    assert page.locator("#screen-services").is_visible()               # the choice so far is kept
    page.screenshot(path=str(artifact("booking-card-service-choice.png")))
    page.wait_for_timeout(650)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets") and r.request.method == "POST") as answer:
        page.locator(".service", has_text="Hộ tịch").tap()             # no priority screen: the card tells
    assert answer.value.status == 201
    sent = page.posts[-1]
    assert sent["service"] == "STP-HT" and sent["id_card"].startswith("001234567890|") and "priority" not in sent
    page.wait_for_selector("#screen-ticket:not(.hidden)")
    assert page.text_content("#ticket-priority") == "Ưu tiên: Người cao tuổi"
    assert page.locator("#ticket-source").is_hidden()
    page.wait_for_timeout(650)
    page.locator("#done").tap()
    page.wait_for_selector("#screen-agencies:not(.hidden)")
    assert page.locator("[data-card-banner]:not(.hidden)").count() == 0          # the card is forgotten
    assert page.evaluate("() => document.body.classList.contains('card-held')") is False
