"""The staff's screens of bookings (issue 13) in Debian's chromium against the real server: the desk
console's current ticket and the supervisor page's tickets and desks carry a small badge
"Đặt lịch 08:00" for a booked ticket and "Từ xa" for a remote number; a walk-in has none.

The tickets are real (issued and called through the API); the server's answers get the fields the
contract adds to T (``source``, ``slot``), which the site part of issue 13 fills in."""
from __future__ import annotations

import pytest
import requests

from tests.browser import artifact, browser, console_errors, submit_sign_in  # noqa: F401  (browser is a fixture)
from tests.centers import CA, STP, center_toml, desk, kiosk
from tests.live_server import start_center

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "mat-khau-dat-lich"
KIOSK_TOKEN = "kiosk-dat-lich-token-2"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("booking-staff")
    toml = center_toml("hangdoi.db", agencies=(STP, CA),
                       desks=[desk(1, "STP", "STP-LLTP", "STP-HT"), desk(2, "STP", "STP-LLTP", "STP-HT"), desk(3, "CA", "CA-CC")],
                       kiosks=[kiosk("kiosk-1", KIOSK_TOKEN)])
    server = start_center(tmp, toml, {"canbo1": (PASSWORD, "officer", "STP"), "giamsat": (PASSWORD, "supervisor")})
    try:
        yield server
    finally:
        server.stop()


def login(live, username) -> dict:
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def issue(live, service="STP-LLTP") -> dict:
    r = requests.post(live.url + "/api/v1/tickets", json={"service": service},
                      headers={"Authorization": "Bearer " + KIOSK_TOKEN}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def with_sources(page, sources: dict) -> None:
    """Every staff answer that holds tickets gets ``source``/``slot`` for the codes in ``sources``."""
    def add(t):
        if isinstance(t, dict) and t.get("code") in sources:
            t.update(sources[t["code"]])

    def handle(route):
        response = route.fetch()
        data = response.json()
        desk_ = data.get("desk")
        if isinstance(desk_, dict):
            add(desk_.get("current_ticket"))
        for d in data.get("desks", []) if isinstance(data.get("desks"), list) else []:
            add(d.get("current_ticket"))
        for t in data.get("tickets", []) if isinstance(data.get("tickets"), list) else []:
            add(t)
        add(data.get("ticket"))
        route.fulfill(response=response, json=data)

    for path in ("**/api/v1/desks/*", "**/api/v1/supervision/overview", "**/api/v1/supervision/tickets*"):
        page.route(path, handle)


def test_badges_on_the_console_and_the_supervisor_page(browser, live):
    officer = login(live, "canbo1")
    booked, remote, walk_in, waiting_booked = issue(live), issue(live), issue(live), issue(live, "STP-HT")
    sources = {booked["code"]: {"source": "booked", "slot": "08:00–08:30"},
               remote["code"]: {"source": "remote", "slot": None},
               waiting_booked["code"]: {"source": "booked", "slot": "09:30–10:00"},
               walk_in["code"]: {"source": "walk_in", "slot": None}}
    called = requests.post(live.url + "/api/v1/desks/1/next", headers=officer, timeout=10).json()["ticket"]
    assert called["code"] == booked["code"]
    called = requests.post(live.url + "/api/v1/desks/2/next", headers=officer, timeout=10).json()["ticket"]
    assert called["code"] == remote["code"]

    console = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = console_errors(console)
    with_sources(console, sources)
    submit_sign_in(console, "canbo1", PASSWORD, live.url + "/desk")
    console.wait_for_selector("#view-picker:not([hidden]), #view-console:not([hidden])")
    if console.is_visible("#view-picker"):
        console.click(".desk-choice:has(.n:text-is('1'))")
    console.wait_for_selector("#view-console:not([hidden])")
    console.wait_for_function(f"() => document.getElementById('current-code').textContent === '{booked['code']}'")
    badge = console.locator("#current-source")
    badge.wait_for()
    assert badge.text_content() == "Đặt lịch 08:00"
    console.screenshot(path=str(artifact("booking-console.png")))
    console.click("#btn-next")                                         # the next one is a walk-in: no badge
    console.wait_for_function(f"() => document.getElementById('current-code').textContent === '{walk_in['code']}'")
    assert console.locator("#current-source").is_hidden()
    assert [e for e in errors if "favicon" not in e] == [], errors

    supervisor = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = console_errors(supervisor)
    with_sources(supervisor, sources)
    submit_sign_in(supervisor, "giamsat", PASSWORD, live.url + "/supervisor")
    supervisor.wait_for_selector("#view-live:not([hidden])")
    desk2 = supervisor.locator("#desks .desk[data-desk='2'] .source-badge")
    desk2.wait_for()
    assert desk2.text_content() == "Từ xa"
    assert supervisor.locator("#desks .desk[data-desk='1'] .source-badge").count() == 0     # a walk-in now
    row = supervisor.locator(f"#tickets tr.ticket-row:has(td.code:text-is('{waiting_booked['code']}'))")
    if row.count() == 0:                                               # the list holds its code with the badge
        row = supervisor.locator("#tickets tr.ticket-row", has_text=waiting_booked["code"])
    row.wait_for()
    assert row.locator(".source-badge").text_content() == "Đặt lịch 09:30"
    supervisor.screenshot(path=str(artifact("booking-supervisor.png")))
    assert [e for e in errors if "favicon" not in e] == [], errors
