"""Every state of the kiosk fits its screen: portrait 1080×1920 and 768×1366, landscape 1920×1080,
in Vietnamese and in English, with and without the printer banner (a real agent socket says the
paper is out), offline (the server killed) and closed (opening hours that exclude today).

In each state every visible button, message and text is inside the viewport (getBoundingClientRect),
nothing is cut inside its box (scrollWidth/scrollHeight ≤ clientWidth/clientHeight) and no text
spills out of the button that holds it. Screenshots: artifacts/kiosk-fit-*.png."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser import artifact, browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.live_server import ROOT, LiveServer, free_port
from tests.socket_recorder import Recorder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KIOSK_TOKEN = "demo-kiosk-1-token"
SIZES = {"portrait": (1080, 1920), "small": (768, 1366), "landscape": (1920, 1080)}

#: what is wrong on the page: [] when everything fits (run in the page)
PROBLEMS = """() => {
  const W = innerWidth, H = innerHeight, out = [];
  const visible = e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0 && !e.closest('.hidden'); };
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string'
    ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollHeight > H + 1 || document.documentElement.scrollWidth > W + 1)
    out.push('page scrolls: ' + document.documentElement.scrollWidth + 'x' + document.documentElement.scrollHeight);
  const texts = [...document.querySelectorAll('body *')].filter(e => visible(e) &&
    ([...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || e.matches('button, img')));
  for (const e of texts) {
    const r = e.getBoundingClientRect();
    if (r.top < -1 || r.left < -1 || r.bottom > H + 1 || r.right > W + 1)
      out.push('outside the screen: ' + name(e) + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round));
    if (e.scrollHeight > e.clientHeight + 1 && getComputedStyle(e).overflowY !== 'visible')
      out.push('cut: ' + name(e) + ' ' + e.scrollHeight + ' > ' + e.clientHeight);
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
      out.push('cut sideways: ' + name(e));
    const box = e.parentElement && e.parentElement.closest('button, .ticket-card, .message-box, .overlay-box, .banner');
    if (box) {
      const b = box.getBoundingClientRect();
      if (r.top < b.top - 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1 || r.right > b.right + 1)
        out.push('spills out of ' + name(box) + ': ' + name(e));
    }
  }
  for (const b of document.querySelectorAll('button, .ticket-card, .message-box, .overlay-box')) {
    if (visible(b) && (b.scrollHeight > b.clientHeight + 1 || b.scrollWidth > b.clientWidth + 1))
      out.push('content larger than its box: ' + name(b) + ' ' + b.scrollHeight + ' > ' + b.clientHeight);
  }
  return out;
}"""


def demo_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    text = re.sub(r'(?m)^public_url = "[^"]*"', f'public_url = "http://127.0.0.1:{port}"', text)
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kiosk-fit")
    port = free_port()
    server = LiveServer(demo_config(tmp, port), port).start()
    agent = Recorder(server.url, KIOSK_TOKEN, name="agent").connect()     # the print agent's socket
    agent.sio.call("agent_hello", {"version": "test", "printer": "network:127.0.0.1:9", "width": 576,
                                   "state": "online"})
    server.agent = agent
    try:
        yield server
    finally:
        agent.close()
        server.stop()


def check(page, what: str) -> None:
    page.wait_for_timeout(150)                      # a layout pass after the last change
    page.screenshot(path=artifact(f"kiosk-fit-{what}.png"))
    problems = page.evaluate(PROBLEMS)
    assert problems == [], f"{what}: {problems}"


def open_kiosk(browser, url: str, size: str, lang: str):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.errors = console_errors(page)
    page.goto(f"{url}/kiosk?token={KIOSK_TOKEN}")
    if lang == "en":
        page.locator("#lang").tap()
    return context, page


def tap(page, locator) -> None:
    page.wait_for_timeout(650)                      # a tap right after a screen change is ignored
    locator.tap()


def printer(live, page, state: str) -> None:
    live.agent.sio.emit("printer_state", {"state": state, "detail": "test"})
    banner = "#printer-banner:not(.hidden)" if state == "paper_out" else "#printer-banner.hidden"
    page.wait_for_selector(banner, state="attached")


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_choosing_screen_and_the_ticket_fit(browser, live, size, lang):
    context, page = open_kiosk(browser, live.url, size, lang)
    tag = f"{size}-{lang}"
    try:
        printer(live, page, "online")
        page.wait_for_selector("#agencies .tile")
        check(page, f"{tag}-agencies")
        tap(page, page.locator(".tile", has_text="Ban Quản lý").first)
        page.wait_for_selector("#screen-services:not(.hidden) .service")
        check(page, f"{tag}-services")
        tap(page, page.locator(".service").first)
        page.wait_for_selector("#screen-priority:not(.hidden)")
        check(page, f"{tag}-priority")
        tap(page, page.locator(".choice[data-priority=veteran]"))
        page.wait_for_selector("#screen-ticket:not(.hidden)")
        page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
        check(page, f"{tag}-ticket")
        code_px = page.evaluate("parseFloat(getComputedStyle(document.getElementById('ticket-code')).fontSize)")
        assert code_px >= 0.09 * SIZES[size][1], code_px                # the number stays the largest thing
        # the printer runs out of paper while the ticket is on screen: banner and printer message
        printer(live, page, "paper_out")
        page.wait_for_function("() => document.getElementById('print-status').classList.contains('warn')")
        check(page, f"{tag}-ticket-printer-banner")
        done = page.locator("#done").bounding_box()
        assert done["y"] + done["height"] <= SIZES[size][1]            # "Xong" on the screen (was y = 2028)
        tap(page, page.locator("#done"))
        page.wait_for_selector("#screen-agencies:not(.hidden) .tile")
        check(page, f"{tag}-agencies-printer-banner")
        tap(page, page.locator(".tile", has_text="Sở Nông nghiệp").first)
        page.wait_for_selector("#screen-services:not(.hidden) .service")
        check(page, f"{tag}-services-printer-banner")
        tap(page, page.locator(".service").last)
        page.wait_for_selector("#screen-priority:not(.hidden)")
        check(page, f"{tag}-priority-printer-banner")
        assert page.errors == []
    finally:
        printer(live, page, "online")
        context.close()


def test_offline_and_closed_fit(browser, tmp_path):
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    tomorrow = datetime.now(tz) + timedelta(days=1)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    closed_port, open_port = free_port(), free_port()
    (tmp_path / "closed").mkdir()
    (tmp_path / "open").mkdir()
    closed = LiveServer(demo_config(tmp_path / "closed", closed_port, extra=f'[opening_hours]\n{day} = ["07:30-11:30"]\n'),
                        closed_port).start()
    opened = LiveServer(demo_config(tmp_path / "open", open_port), open_port).start()
    pages = []
    try:
        for size in SIZES:
            for lang in ("vi", "en"):
                context, page = open_kiosk(browser, closed.url, size, lang)
                pages.append(context)
                page.wait_for_selector("#screen-closed:not(.hidden)")
                page.wait_for_function("() => document.getElementById('closed-text').textContent.includes('07:30')")
                check(page, f"{size}-{lang}-closed")
                context, page = open_kiosk(browser, opened.url, size, lang)
                pages.append(context)
                page.wait_for_selector("#agencies .tile")
                page.offline_tag = f"{size}-{lang}-offline"
        opened.kill9()
        for context in pages:
            page = context.pages[0]
            if not hasattr(page, "offline_tag"):
                continue
            page.wait_for_selector("#offline:not(.hidden)", timeout=15000)
            check(page, page.offline_tag)
    finally:
        for context in pages:
            context.close()
        closed.stop()
        opened.stop()
