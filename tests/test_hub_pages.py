"""The hub's pages in real Chromium (issue 12): / for the public at phone size and /province for
hub staff at 1920×1080 — live figures, drill-down, reports, downloads, hostile names shown as text."""
from __future__ import annotations

import pytest
import requests

from tests.browser import artifact, browser, console_errors  # noqa: F401 - browser is a fixture
from tests.centers import CA, agency, service
from tests.hub_live import HUB_ADMIN, start_hub, start_site, wait_caught_up, work_a_little
from tests.live_server import eventually

pytestmark = pytest.mark.browser
ODD = "Lý lịch <b>tư pháp</b>"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("province")
    hub = start_hub(folder / "hub", ["TN-TT", "TN-TS"])
    odd = agency("STP", "Sở Tư pháp", service("STP-LLTP", ODD, "A"), service("STP-HT", "Hộ tịch", "B"))
    site = start_site(folder / "site", "TN-TT", hub.port, agencies=(odd, CA))
    work_a_little(site, n=8)
    wait_caught_up(hub, site)
    # the queues the hub shows come with the batches, read at most every 2 s during a burst: the
    # sender follows a burst with a fresh heartbeat, so within a few seconds the hub's estimate
    # for the odd service is the site's (desk 1 open, tickets waiting) - not a stale 'no desk'
    assert eventually(lambda: _estimate(hub, "TN-TT", "STP-LLTP") is not None, True, 8.0)
    yield hub, site
    site.stop()
    hub.stop()


def _estimate(hub, site: str, service: str):
    sites = requests.get(hub.url + "/hub/v1/public/sites", timeout=5).json()["sites"]
    for s in sites:
        for q in s["services"] if s["code"] == site else ():
            if q["code"] == service:
                return q["estimated_wait_s"]
    return None


def test_the_public_page_shows_every_sites_queues_and_the_shortest_first(browser, province):  # noqa: F811
    hub, _ = province
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors = console_errors(page)
    page.goto(hub.url + "/")
    page.wait_for_function("() => document.querySelectorAll('.public-site').length === 2")
    assert "Hàng chờ ngay lúc này" in page.inner_text("h1")
    assert page.locator(".public-site b").first.inner_text().isdigit()
    page.select_option("#service", label=ODD)                       # the name is text, never markup
    page.wait_for_function("() => document.querySelectorAll('.public-site').length === 1")
    assert ODD in page.inner_text(".public-site") and page.locator(".ps-services b").count() == 0
    assert page.locator(".shortest").count() == 1
    page.screenshot(path=str(artifact("hub-public-390.png")), full_page=True)
    assert errors == []


def test_the_province_page_signs_in_shows_sites_live_drills_down_and_reports(browser, province):  # noqa: F811
    hub, _ = province
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    errors = console_errors(page)
    page.goto(hub.url + "/province")
    page.fill("input[name=username]", HUB_ADMIN[0])
    page.fill("input[name=password]", HUB_ADMIN[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('.site-card').length === 2")
    cards = page.inner_text("#sites")
    assert "Đang kết nối" in cards and "Chưa kết nối" in cards       # TN-TT up, TN-TS never heard from
    page.click(".site-card.link-up")
    page.wait_for_function("() => document.querySelectorAll('#detail-desks tbody tr').length === 3")
    assert ODD in page.inner_text("#detail-services")
    page.screenshot(path=str(artifact("hub-province-1920.png")))
    page.click(".tab[data-view=reports]")
    page.wait_for_function("() => document.querySelectorAll('#by-site .bar-row').length === 3")
    assert "TN-TT" in page.inner_text("#by-site")
    with page.expect_download() as download:
        page.click("#csv")
    assert download.value.suggested_filename.endswith(".csv")
    page.screenshot(path=str(artifact("hub-province-reports-1920.png")))
    assert errors == []
