"""The hub's public page looks procedures up (issue 14), in real Chromium at phone size, and the
province page downloads every site's ratings: a hub with the province's catalog and a real site."""
from __future__ import annotations

import json

import pytest

from tests.browser import artifact, browser, console_errors  # noqa: F401 - browser is a fixture
from tests.hub_live import HUB_ADMIN, start_hub, start_site, wait_caught_up, work_a_little
from tests.test_hub_lookup import province_catalog

pytestmark = pytest.mark.browser
HOSTILE = {"code": "TN-X-1", "name": "<img src=x onerror=alert(1)> Thủ tục lạ", "field": "Khác", "agency": "STP",
           "agency_name": "Sở Tư pháp", "service": "STP-HT"}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub")
    (folder / "procedures.json").write_text(json.dumps(province_catalog([HOSTILE]), ensure_ascii=False),
                                            encoding="utf-8")
    hub = start_hub(folder, ["TN-TT"], extra='[lookup]\nprocedures = "procedures.json"\n')
    site = start_site(tmp_path_factory.mktemp("site"), "TN-TT", hub.port)
    work_a_little(site, n=6)
    wait_caught_up(hub, site)
    yield hub, site
    site.stop()
    hub.stop()


def test_the_public_page_finds_a_procedure_typed_without_accents_and_shows_where_to_take_its_number(browser, province):  # noqa: F811,E501
    hub, _ = province
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors = console_errors(page)
    page.goto(hub.url + "/")
    page.wait_for_selector("#lookup:not([hidden])")
    page.wait_for_function("() => document.querySelectorAll('.public-site').length === 1")
    page.fill("#lookup-q", "ly lich tu phep")                 # no accents, one typo
    page.wait_for_function("() => document.querySelectorAll('.lookup-item').length >= 1")
    assert page.locator(".lookup-item .li-name").first.inner_text() == "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"
    box = page.locator("#lookup-q").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44   # a thumb's target
    page.screenshot(path=str(artifact("hub-public-lookup-results-390.png")), full_page=True)
    page.locator(".lookup-item").first.click()
    details = page.locator("#lookup-details")
    details.wait_for()
    text = details.inner_text()
    assert "200.000 đồng" in text and "Tờ khai" in text and "Sở Tư pháp tỉnh (tên của tỉnh)" in text
    assert "Điểm TN-TT" in page.inner_text(".lk-places")           # the site that has the service
    page.screenshot(path=str(artifact("hub-public-lookup-details-390.png")), full_page=True)
    page.click(".lk-show")
    assert page.eval_on_selector("#service", "s => s.value") == "Lý lịch tư pháp"
    page.wait_for_function("() => document.querySelectorAll('.public-site').length === 1")
    # nothing found: said plainly; a hostile name is text, never markup
    page.fill("#lookup-q", "qqqq zzzz")
    page.wait_for_function("() => document.getElementById('lookup-status').textContent.includes('Không thấy')")
    page.fill("#lookup-q", "thu tuc la")
    page.wait_for_function("() => document.querySelectorAll('.lookup-item').length >= 1")
    assert "<img" in page.locator(".lookup-item .li-name").first.inner_text()
    assert page.locator(".lookup-item img").count() == 0
    assert errors == []


def test_the_public_page_has_no_lookup_when_the_hub_publishes_no_catalog(browser, tmp_path):  # noqa: F811
    hub = start_hub(tmp_path / "bare", ["TN-TT"])
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(hub.url + "/")
        page.wait_for_function("() => document.getElementById('updated').textContent !== ''")
        page.wait_for_timeout(300)
        assert page.locator("#lookup").is_hidden()
    finally:
        hub.stop()


def test_the_province_page_downloads_every_sites_ratings(browser, province):  # noqa: F811
    hub, _ = province
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    errors = console_errors(page)
    page.goto(hub.url + "/province")
    page.fill("input[name=username]", HUB_ADMIN[0])
    page.fill("input[name=password]", HUB_ADMIN[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".site-card")
    page.click(".tab[data-view=reports]")
    page.wait_for_selector("#by-site .bar-row")
    with page.expect_download() as download:
        page.click("#ratings-csv")
    path = download.value.path()
    text = open(path, encoding="utf-8-sig").read()
    assert download.value.suggested_filename.startswith("hangdoi-tinh-danh-gia-")
    assert len(text.strip().splitlines()) == 2 and "TN-TT" in text      # the header and the one rating
    page.screenshot(path=str(artifact("hub-province-reports-ratings-1920.png")))
    assert errors == []
