"""The hall board is read from 5–15 m: in Chromium at 1920×1080, with the demo config (23 agencies,
52 desks, calls at 16 of them) and with a center of two agencies (tests/centers.py):

* every text a visitor reads is 48 px or more, the codes and desks of the calls 120 px or more;
* the English subtitles are 24 px or more at a contrast of 4.5:1 or better, or not shown at all
  on a display with ``english = false``;
* nothing is cut: no element's content is wider or taller than its box, no ``text-overflow``,
  every shown text lies inside the screen and inside its panel (a page of "Đang phục vụ" shows
  whole cards only), and "Quầy 46 – Ban Quản lý các khu công nghiệp" is there whole;
* "Đang phục vụ" uses its panel: few agencies fill it (no paging), many agencies turn pages;
* with ``prefers-reduced-motion`` nothing scrolls or blinks.
Screenshots: artifacts/hall-legible-*.png."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.browser import artifact, browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, hall_display, kiosk
from tests.live_server import ROOT, LiveServer, free_port, prepare_database, start_center, write_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "mat-khau-giam-sat"
VIEW = {"width": 1920, "height": 1080}

#: every problem of legibility on the page, [] when there is none (run in the page)
PROBLEMS = """() => {
  const out = [];
  const lum = c => { const m = c.match(/[\\d.]+/g).map(Number).slice(0, 3).map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
  const background = e => { for (let n = e; n; n = n.parentElement) { const c = getComputedStyle(n).backgroundColor;
      const a = c.match(/[\\d.]+/g); if (a && (a.length < 4 || Number(a[3]) > 0.5)) return c; } return 'rgb(0, 0, 0)'; };
  const shown = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && Number(s.opacity) > 0 && !e.closest('[hidden]'); };
  const name = e => (e.id ? '#' + e.id : '.' + String(e.className).split(' ')[0]) + ' "' + e.textContent.trim().slice(0, 30) + '"';
  const viewport = document.getElementById('agencies-viewport').getBoundingClientRect();
  for (const e of document.querySelectorAll('body *')) {
    if (!shown(e) || e.closest('#sound-overlay, #offline, audio')) continue;
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    if (s.textOverflow === 'ellipsis') out.push('ellipsis: ' + name(e));
    if (e.closest('.ticker')) continue;                    // the notice scrolls by design (see below)
    const pages = e.matches('#agencies, #agencies-viewport');   // its columns run on to the next pages
    if (!pages && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) out.push('wider than its box: ' + name(e) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
    if (e.scrollHeight > e.clientHeight + 1 && e.clientHeight > 0 && s.overflowY !== 'visible') out.push('taller than its box: ' + name(e));
    const text = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!text) continue;
    const inAgencies = e.closest('#agencies');
    if (inAgencies) {                                        // another page of "Đang phục vụ": not shown now
      if (r.right <= viewport.left || r.left >= viewport.right) continue;
      if (r.left < viewport.left - 1 || r.right > viewport.right + 1 || r.bottom > viewport.bottom + 1)
        out.push('cut by the page: ' + name(e));
    }
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1) out.push('off the screen: ' + name(e));
    const px = parseFloat(s.fontSize);
    const english = e.closest('.en');
    if (english) {
      const fg = lum(s.color), bg = lum(background(e));
      const contrast = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (px < 24) out.push('English under 24 px: ' + name(e) + ' ' + px);
      if (contrast < 4.5 || Number(s.opacity) < 1) out.push('English contrast ' + contrast.toFixed(2) + ': ' + name(e));
    } else if (px < 48) {
      out.push('under 48 px: ' + name(e) + ' ' + px);
    }
    if (e.matches('.recent-code, .recent-desk, .latest-code, .latest-desk') && px < 120) out.push('call under 120 px: ' + name(e) + ' ' + px);
  }
  return out;
}"""

SERVING = """() => {
  const view = document.getElementById('agencies-viewport').getBoundingClientRect();
  const cards = [...document.querySelectorAll('#agencies .agency')].map(c => c.getBoundingClientRect())
    .filter(r => r.left < view.right && r.right > view.left);
  const area = cards.reduce((sum, r) => sum + r.width * r.height, 0);
  return { pages: document.getElementById('page-mark').textContent, cards: cards.length,
           used: area / (view.width * view.height),
           font: parseFloat(getComputedStyle(document.querySelector('#agencies .agency-name')).fontSize) };
}"""


def demo_config(tmp_path: Path, port: int) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", "port = {PORT}", text)
    text += '\n[[displays]]\nid = "hall-vi"\ntoken = "hall-vi-token"\nkind = "hall"\naudio = false\nenglish = false\n'
    return write_config(tmp_path, text, port)


def headers(url: str) -> dict:
    r = requests.post(url + "/api/v1/auth/login", json={"username": "giamsat", "password": PASSWORD}, timeout=10)
    return {"Authorization": "Bearer " + r.json()["access_token"]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo center in the middle of a morning: 48 tickets in 16 agencies, a call at the first
    desk of each, desk 3 paused, and the latest call at desk 46 (the longest desk name)."""
    tmp = tmp_path_factory.mktemp("hall-legible")
    port = free_port()
    path = demo_config(tmp, port)
    prepare_database(path, {"giamsat": (PASSWORD, "supervisor")})
    server = LiveServer(path, port).start()
    staff, kiosk_auth = headers(server.url), {"Authorization": "Bearer demo-kiosk-1-token"}
    agencies = [a for a in requests.get(server.url + "/api/v1/catalog", timeout=10).json()["agencies"] if a["services"]]
    for i in range(48):
        a = agencies[i % 16]
        r = requests.post(server.url + "/api/v1/tickets", json={"service": a["services"][i % len(a["services"])]["code"]},
                          headers=kiosk_auth, timeout=10)
        assert r.status_code == 201, r.text
    for _ in range(2):
        requests.post(server.url + "/api/v1/tickets", json={"service": "BQLKCN-DT"}, headers=kiosk_auth, timeout=10)
    first_desk = {}
    for d in requests.get(server.url + "/api/v1/desks", headers=staff, timeout=10).json()["desks"]:
        first_desk.setdefault(d["agency"], d["number"])
    for number in [n for n in first_desk.values() if n != 46][:15] + [2, 46]:
        requests.post(f"{server.url}/api/v1/desks/{number}/next", headers=staff, timeout=10)
    requests.post(f"{server.url}/api/v1/desks/3/pause", json={"reason": "Họp"}, headers=staff, timeout=10)
    yield server
    server.stop()


def open_hall(browser, url: str, token: str, reduced_motion: str = "no-preference"):
    page = browser.new_page(viewport=VIEW, reduced_motion=reduced_motion)
    page.errors = console_errors(page)
    page.goto(f"{url}/display/hall?token={token}")
    page.wait_for_function("() => window.hallSocket && window.hallSocket.connected && "
                           "document.querySelectorAll('#agencies .agency:not(.empty)').length > 0")
    page.wait_for_timeout(400)                       # the queues' debounced render
    return page


def test_demo_center_is_legible_and_pages_only_what_does_not_fit(browser, demo):
    page = open_hall(browser, demo.url, "demo-hall-1-token")
    try:
        assert page.text_content("#latest-desk-name") == "Quầy 46 – Ban Quản lý các khu công nghiệp"
        seen_pages = set()
        for _ in range(4):                            # each page of "Đang phục vụ" in turn
            page.screenshot(path=artifact(f"hall-legible-demo-{len(seen_pages) + 1}.png"))
            assert page.evaluate(PROBLEMS) == []
            serving = page.evaluate(SERVING)
            seen_pages.add(serving["pages"])
            assert serving["font"] >= 48 and serving["cards"] >= 3, serving
            if not serving["pages"]:
                break
            page.evaluate("() => new Promise(done => setTimeout(done, 9300))")   # the next page turns
        assert len(seen_pages) >= 2, "16 agencies at 48 px need more than one page"
        shown = page.evaluate("() => [...document.querySelectorAll('.recent-row:not([hidden])')].length")
        assert shown >= 2                             # whole rows of the recent calls, as many as fit
        assert page.errors == []
    finally:
        page.close()


def test_english_can_be_turned_off_per_display(browser, demo):
    page = open_hall(browser, demo.url, "hall-vi-token")
    try:
        page.screenshot(path=artifact("hall-legible-no-english.png"))
        assert page.evaluate("() => [...document.querySelectorAll('.en')].filter(e => e.getClientRects().length).length") == 0
        assert page.evaluate(PROBLEMS) == []
    finally:
        page.close()


def test_few_agencies_fill_the_panel_without_paging(browser, tmp_path):
    toml = center_toml("data/few.db", agencies=[STP, CA], desks=TWO_STP_DESKS_AND_CA,
                       kiosks=[kiosk("k1", "few-kiosk-token")], displays=[hall_display("h1", "few-hall-token")],
                       notice="Xin vui lòng giữ trật tự và chờ đến lượt.")
    server = start_center(tmp_path, toml, {"giamsat": (PASSWORD, "supervisor")})
    try:
        staff = headers(server.url)
        for service in ("STP-LLTP", "STP-HT", "CA-CC", "STP-LLTP", "CA-CC"):
            requests.post(server.url + "/api/v1/tickets", json={"service": service},
                          headers={"Authorization": "Bearer few-kiosk-token"}, timeout=10)
        for number in (1, 2, 3):
            requests.post(f"{server.url}/api/v1/desks/{number}/next", headers=staff, timeout=10)
        page = open_hall(browser, server.url, "few-hall-token")
        page.screenshot(path=artifact("hall-legible-few.png"))
        assert page.evaluate(PROBLEMS) == []
        serving = page.evaluate(SERVING)
        assert serving["pages"] == "" and serving["cards"] == 2
        assert serving["used"] >= 0.4, serving        # was 2 small cards in a mostly empty panel
        assert serving["font"] > 48, serving          # room to spare goes to bigger type
        page.close()
    finally:
        server.stop()


def test_reduced_motion_stops_the_ticker_and_the_flash(browser, demo):
    page = open_hall(browser, demo.url, "demo-hall-1-token", reduced_motion="reduce")
    try:
        staff = headers(demo.url)
        requests.post(f"{demo.url}/api/v1/desks/46/recall", headers=staff, timeout=10)
        page.wait_for_function("() => document.getElementById('latest').classList.contains('flash')")
        animations = page.evaluate("""() => [getComputedStyle(document.getElementById('ticker-track')).animationName,
                                             getComputedStyle(document.getElementById('latest')).animationName]""")
        assert animations == ["none", "none"]
        track = page.locator("#ticker-track").bounding_box()
        assert 0 <= track["x"] and track["x"] + track["width"] <= VIEW["width"]   # the notice stands, whole
        assert track["y"] + track["height"] <= VIEW["height"]
        page.screenshot(path=artifact("hall-legible-reduced-motion.png"))
        assert page.evaluate(PROBLEMS) == []
    finally:
        page.close()
