"""Names from the config are text on every page, never markup: a center, agency, service, desk,
kiosk, display and notice named with ``<script>`` and ``<img onerror>`` are shown literally on the
hall board, the desk display, the kiosk, the officer's console, the supervisor's page and the
visitor's phone, in Debian's chromium against the real server.

The pages' Content-Security-Policy would stop an injected script from running anyway, so
``window.pwned`` staying undefined alone proves little: the test also requires that no element
was made from a name (no ``<img src=x>``, no inline ``<script>``) and that the text is there as typed.
"""
from __future__ import annotations

import pytest
import requests

from tests.browser import artifact, browser, console_errors, submit_sign_in  # noqa: F401
from tests.centers import HT, LLTP, agency, center_toml, desk, desk_display, hall_display, kiosk, with_
from tests.live_server import LiveServer, free_port, prepare_database, write_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = "<script>window.pwned=1</script>"
IMG = "<img src=x onerror=\"window.pwned=2\">"
NAMES = {
    "center": f"Trung tâm {SCRIPT}",
    "notice": f"Thông báo {IMG} {SCRIPT}",
    "agency": f"Sở Tư pháp {SCRIPT}",
    "service": f"Lý lịch tư pháp {IMG}",
    "desk": f"Quầy 1 {IMG}{SCRIPT}",
    "kiosk": f"Ki-ốt {IMG}",
    "display": f"Màn hình {SCRIPT}",
}
PASSWORD = "mat-khau-thu-xss"
KIOSK_TOKEN, HALL_TOKEN, DESK_TOKEN = "kiosk-token-xss-1", "hall-token-xss-1", "desk-token-xss-1"


CONFIG = center_toml(
    "data/xss.db", name=NAMES["center"], notice=NAMES["notice"], announce={"repeat": 0},
    agencies=[agency("STP", NAMES["agency"], with_(LLTP, name=NAMES["service"]), HT)],
    desks=[desk(1, "STP", "STP-LLTP", "STP-HT", name=NAMES["desk"])],
    kiosks=[kiosk("kiosk-1", KIOSK_TOKEN, name=NAMES["kiosk"])],
    displays=[hall_display("hall-1", HALL_TOKEN, name=NAMES["display"], audio=False),
              desk_display("desk-1", DESK_TOKEN, 1)])


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from server.config import load_config

    tmp = tmp_path_factory.mktemp("xss")
    port = free_port()
    path = write_config(tmp, CONFIG, port)
    assert load_config(path).agencies[0].name == NAMES["agency"]      # the config keeps the names as typed
    prepare_database(path, {"canbo": (PASSWORD, "officer", "STP"), "giamsat": (PASSWORD, "supervisor")})
    server = LiveServer(path, port).start()
    officer = requests.post(server.url + "/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD},
                            timeout=15).json()["access_token"]
    tickets = []
    for service in ("STP-LLTP", "STP-LLTP", "STP-HT"):
        r = requests.post(server.url + "/api/v1/tickets", json={"service": service},
                          headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=15)
        assert r.status_code == 201, r.text
        tickets.append(r.json()["ticket"])
    r = requests.post(server.url + "/api/v1/desks/1/next", headers={"Authorization": f"Bearer {officer}"}, timeout=15)
    assert r.status_code == 200 and r.json()["ticket"]["id"] == tickets[0]["id"]
    server.tickets = tickets
    yield server
    server.stop()


def assert_inert(page, name: str, shown: tuple[str, ...]) -> None:
    """Nothing made from a name ran or became an element; the names in ``shown`` are on the page as text."""
    page.screenshot(path=str(artifact(f"escaping-{name}.png")))
    state = page.evaluate("""() => ({
        pwned: typeof window.pwned,
        injectedImages: document.querySelectorAll('img[src="x"], img[onerror], [onerror]').length,
        inlineScripts: [...document.querySelectorAll('script')].filter(s => !s.src && s.type !== 'application/json')
                                                              .map(s => s.textContent.slice(0, 80)),
        text: document.body.textContent,
        title: document.title,
    })""")
    assert state["pwned"] == "undefined", (name, state["pwned"])
    assert state["injectedImages"] == 0, name
    assert state["inlineScripts"] == [], (name, state["inlineScripts"])
    for key in shown:
        assert NAMES[key] in state["text"] + state["title"], (name, key, state["text"][:2000])


def wait_for_text(page, text: str, timeout: float = 10_000) -> None:
    page.wait_for_function("(t) => document.body.textContent.includes(t)", arg=text, timeout=timeout)


def test_hall_board(browser, live):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = console_errors(page)
    page.goto(f"{live.url}/display/hall?token={HALL_TOKEN}")
    page.wait_for_function("() => window.hallSocket && window.hallSocket.connected")
    page.wait_for_function("(c) => document.getElementById('latest-code').textContent === c",
                           arg=live.tickets[0]["code"])
    wait_for_text(page, NAMES["desk"])
    assert_inert(page, "hall", ("center", "notice", "agency", "desk"))
    assert not [e for e in errors if "favicon" not in e], errors
    page.close()


def test_desk_display(browser, live):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{live.url}/display/desk/1?token={DESK_TOKEN}")
    page.wait_for_function("() => window.deskSocket && window.deskSocket.connected")
    page.wait_for_function("(c) => document.getElementById('desk-code').textContent === c",
                           arg=live.tickets[0]["code"])
    assert_inert(page, "desk-display", ("desk", "agency"))
    page.close()


def test_kiosk(browser, live):
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live.url}/kiosk?token={KIOSK_TOKEN}")
    page.wait_for_selector("#agencies .tile")
    assert_inert(page, "kiosk-start", ("agency",))
    page.locator("#agencies .tile").first.tap()
    page.wait_for_selector("#screen-services:not(.hidden) .service")
    wait_for_text(page, NAMES["service"])
    assert_inert(page, "kiosk-services", ("agency", "service"))
    context.close()


def test_officer_console(browser, live):
    page = browser.new_page(viewport={"width": 1366, "height": 820})
    submit_sign_in(page, "canbo", PASSWORD, live.url + "/desk")
    page.wait_for_selector("#view-picker:not([hidden]), #view-console:not([hidden])")
    if page.is_visible("#view-picker"):
        wait_for_text(page, NAMES["desk"])
        assert_inert(page, "desk-picker", ("desk",))
        page.click(".desk-choice:has(.n:text-is('1'))")
    page.wait_for_selector("#view-console:not([hidden])")
    page.wait_for_function("(c) => document.getElementById('current-code').textContent === c",
                           arg=live.tickets[0]["code"])
    wait_for_text(page, NAMES["service"])
    assert_inert(page, "desk-console", ("service",))
    page.close()


def test_supervisor_page(browser, live):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    submit_sign_in(page, "giamsat", PASSWORD, live.url + "/supervisor")
    page.wait_for_selector("#view-live:not([hidden])")
    page.wait_for_selector("#queues tr.service-row")
    wait_for_text(page, NAMES["service"])
    wait_for_text(page, NAMES["kiosk"])
    assert_inert(page, "supervisor", ("agency", "service", "kiosk", "display"))
    title = page.get_attribute(".desk[data-desk='1']", "title")      # the desk's name is its card's tooltip
    assert title.startswith(NAMES["desk"]), title
    page.close()


def test_visitors_phone(browser, live):
    ticket = live.tickets[1]
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(ticket["status_url"].replace(ticket["status_url"].split("/t/")[0], live.url))
    page.wait_for_selector("body")
    wait_for_text(page, NAMES["service"])
    assert_inert(page, "phone", ("service",))
    page.close()
