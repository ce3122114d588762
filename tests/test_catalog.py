"""One voice, one catalog: every user-facing text lives in server/i18n/<lang>.json.

Unit checks (no server): every language has every key with the same placeholders, adding a
language is adding a file, durations are words, the pages and the Python that prints or
exports hard-code no Vietnamese. Then the catalog's route, and in Chromium each page switched to
English shows English words.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
import requests

from server import i18n
from tests.browser import browser, console_errors  # noqa: F401  (browser is a fixture)
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
# Vietnamese letters that English never has (with their capitals): a page or module that holds
# one outside a comment says something the catalog should say.
VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I)
PAGE_FILES = sorted(
    [p for folder in ("kiosk/static", "kiosk/templates", "counter_display/static", "counter_display/templates",
                      "server/static", "server/templates")
     for p in (ROOT / folder).rglob("*") if p.suffix in (".js", ".html") and "vendor" not in p.parts])
#: Python modules whose user-facing words come from the catalog (strings other than docstrings)
PYTHON_FILES = ["server/printing/jobs.py", "server/reports/export.py", "server/reports/ratings.py", "server/rules/ratings.py",
                "kiosk/ticket_layout.py", "server/web/kiosk_pages.py", "server/web/display_pages.py",
                "server/web/ticket_images.py", "server/printing/relay.py"]
#: what must stay: the letters the ticket layout measures its line height with
ALLOWED_PYTHON = {"kiosk/ticket_layout.py": {"ẤẦẨẪẬỚỜỞỠỢÁ|", "gjpqyỵỴ|"}}


# ---- the catalog files ---------------------------------------------------------------------------
def test_there_are_vietnamese_and_english_catalogs():
    assert i18n.languages()[:1] == ("vi",) and "en" in i18n.languages()


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != "vi"])
def test_every_language_has_every_key_with_the_same_placeholders(lang):
    vi, other = i18n.catalog("vi"), i18n.catalog(lang)
    assert sorted(set(vi) - set(other)) == [], f"{lang}.json lacks these keys"
    assert sorted(set(other) - set(vi)) == [], f"{lang}.json has keys vi.json does not"
    for key, text in vi.items():
        assert i18n.placeholders(other[key]) == i18n.placeholders(text), key
        assert bool(other[key].strip()) == bool(text.strip()), f"{key} is empty in one language only"


def test_catalog_files_are_flat_objects_of_texts_with_dotted_keys():
    groups = {"common", "priority", "rating", "kiosk", "phone", "hall", "desk_display", "console", "supervisor",
              "ticket", "report", "error", "announce", "lookup", "dossier", "checkin", "source"}
    for lang in i18n.languages():
        data = json.loads((i18n.DIR / f"{lang}.json").read_text(encoding="utf-8"))
        for key, text in data.items():
            assert isinstance(text, str), key
            assert key.split(".")[0] in groups, key


def test_visitors_are_quy_khach_everywhere():
    vi = i18n.catalog("vi")
    for key, text in vi.items():
        if key.split(".")[0] in ("kiosk", "phone", "ticket", "hall", "desk_display", "rating", "priority"):
            assert not re.search(r"\bbạn\b", text, re.I), f"{key}: {text}"


def test_adding_a_language_is_adding_a_file(tmp_path, monkeypatch):
    for lang in ("vi", "en"):
        shutil.copy(i18n.DIR / f"{lang}.json", tmp_path / f"{lang}.json")
    tay = {key: f"[tày] {text}" for key, text in i18n.catalog("vi").items()}
    (tmp_path / "tay.json").write_text(json.dumps(tay, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n, "DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        assert i18n.languages() == ("vi", "en", "tay")
        assert i18n.t("kiosk.done", "tay") == "[tày] Xong"
    finally:
        i18n.catalog.cache_clear()


def test_t_fills_placeholders_and_falls_back_to_vietnamese():
    assert i18n.t("kiosk.services_count", n=3) == "3 dịch vụ"
    assert i18n.t("kiosk.services_count", "en", n=3) == "3 services"
    assert i18n.t("priority.elderly", "xx") == "Người cao tuổi"          # an unknown language: Vietnamese
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


@pytest.mark.parametrize("seconds, vi, en", [
    (45, "45 giây", "45 s"), (525, "8 phút 45 giây", "8 min 45 s"), (480, "8 phút", "8 min"),
    (3900, "1 giờ 5 phút", "1 h 5 min"), (7200, "2 giờ", "2 h"), (None, "—", "—")])
def test_durations_are_words_never_a_clock(seconds, vi, en):
    assert i18n.duration(seconds) == vi and i18n.duration(seconds, "en") == en
    assert ":" not in i18n.duration(seconds)


def test_labels_the_server_prints_come_from_the_catalog():
    from server.printing.jobs import priority_label
    from server.rules.ratings import SCORE_LABELS

    assert priority_label("elderly") == "Ưu tiên: Người cao tuổi" and priority_label(None) is None
    assert SCORE_LABELS == {n: i18n.t(f"rating.{n}") for n in range(1, 6)}


# ---- nothing hard-coded --------------------------------------------------------------------------
def strip_comments(text: str, suffix: str) -> str:
    if suffix == ".html":
        return re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", text)


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_hard_code_no_vietnamese(path):
    code = strip_comments(path.read_text(encoding="utf-8"), path.suffix)
    found = [line.strip() for line in code.splitlines() if VIETNAMESE.search(line)]
    assert found == [], f"{path.relative_to(ROOT)} says these outside the catalog"


@pytest.mark.parametrize("name", PYTHON_FILES)
def test_python_that_prints_or_exports_hard_codes_no_vietnamese(name):
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
             and VIETNAMESE.search(node.value) and node.value not in ALLOWED_PYTHON.get(name, set())]
    assert found == []


SCRIPTS = [p for p in PAGE_FILES if p.suffix == ".js"]
SHARED = ROOT / "server" / "static" / "shared" / "page.js"


def test_one_socket_connection_and_one_set_of_dom_helpers_for_every_page():
    """The pages' Socket.IO connection (one set of options: back-off capped at 2 s) and DOM helpers
    are written once, in the shared module, and every page loads it."""
    for path in SCRIPTS:
        code = strip_comments(path.read_text(encoding="utf-8"), ".js")
        if path == SHARED:
            assert "reconnectionDelayMax: 2000" in code and code.count(".io(") == 1
            continue
        assert not re.search(r"\b(window|global)\.io\(", code), f"{path.name} opens its own socket"
        assert not re.search(r"function (el|clear|\$)\(", code), f"{path.name} has its own DOM helpers"
    for template in [p for p in PAGE_FILES if p.suffix == ".html" and "socket.io.min.js" in p.read_text(encoding="utf-8")]:
        html = template.read_text(encoding="utf-8")
        assert "shared/page.js" in html, template.name
        own = [m for m in re.findall(r"[\w/.-]+\.js", html) if "vendor" not in m and "shared" not in m]
        assert own and html.index("shared/page.js") < min(html.index(m) for m in own), template.name


def test_the_scan_finds_hard_coded_text():
    assert VIETNAMESE.search(strip_comments('el("div", null, "Đang chờ"); // Đang chờ', ".js"))
    assert not VIETNAMESE.search(strip_comments('/* Hàng Đợi */ var url = "http://x"; // Số vừa gọi', ".js"))


# ---- served to the pages -------------------------------------------------------------------------
@pytest.fixture
def client(tmp_path):
    from server.web.app import create_app

    return create_app(make_config(tmp_path), voice=False).test_client()


def test_catalogs_are_served_cacheable_and_the_same_as_the_files(client):
    index = client.get("/i18n/index.json")
    assert index.status_code == 200
    assert index.get_json() == [{"code": "vi", "name": "Tiếng Việt"}, {"code": "en", "name": "English"}]
    for lang in i18n.languages():
        r = client.get(f"/i18n/{lang}.json")
        assert r.status_code == 200 and r.mimetype == "application/json"
        assert r.get_json() == json.loads((i18n.DIR / f"{lang}.json").read_text(encoding="utf-8"))
        assert "public" in r.headers["Cache-Control"] and r.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(f"/i18n/{lang}.json", headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304


@pytest.mark.parametrize("lang", ["xx", "..", "vi.json", "a" * 300])
def test_an_unknown_language_is_a_clear_404(client, lang):
    r = client.get(f"/i18n/{lang}.json")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] in ("unknown_language", "not_found")


def test_the_printed_ticket_speaks_to_quy_khach():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.ticket_layout import TicketPrint, layout_ticket

    t = TicketPrint("Trung tâm", "Sở Tư pháp", "Lý lịch tư pháp", "A012",
                    datetime(2026, 11, 22, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), 3, 600, "http://x/t/1?t=s")
    texts = " ".join(text for _, text in layout_ticket(t).texts)
    assert "quý khách" in texts and not re.search(r"\bbạn\b", texts)
    assert "22/11/2026 08:30" in texts and "khoảng 10 phút" in texts


# ---- every page in English, in Chromium ----------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import subprocess
    import sys

    from tests.live_server import LiveServer, free_port

    tmp = tmp_path_factory.mktemp("catalog-browser")
    port = free_port()
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    text = re.sub(r'(?m)^public_url = "[^"]*"', f'public_url = "http://127.0.0.1:{port}"', text)
    (tmp / "config.toml").write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "server.cli", "user", "add", "giamsat", "--role", "supervisor",
                    "--config", str(tmp / "config.toml")], input="mat-khau-giam-sat\n", text=True, check=True,
                   cwd=ROOT, capture_output=True)
    server = LiveServer(tmp / "config.toml", port).start()
    try:
        yield server
    finally:
        server.stop()


def english(page, selector: str, words: str) -> None:
    page.wait_for_function("([s, w]) => { const n = document.querySelector(s); return n && n.textContent.includes(w); }",
                           arg=[selector, words])


@pytest.mark.browser
def test_kiosk_and_phone_switch_to_english(browser, demo):
    from tests.browser import console_errors

    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    errors = console_errors(page)
    page.goto(f"{demo.url}/kiosk?token=demo-kiosk-1-token")
    page.wait_for_selector("#agencies .tile")
    assert page.text_content("#lang") == "English"
    page.click("#lang")
    english(page, ".subtitle", "Take a number")
    assert page.text_content("#lang") == "Tiếng Việt"
    assert "dịch vụ" not in page.text_content("#agencies") and "services" in page.text_content("#agencies")
    page.click("#agencies .tile")
    english(page, "#services", "Waiting")
    page.wait_for_timeout(650)                                   # a tap right after a screen change is ignored
    page.click("#services .service")
    english(page, "#priorities", "Elderly")
    assert "Người cao tuổi" not in page.text_content("#screen-priority")
    page.click("#lang")
    english(page, "#priorities", "Người cao tuổi")
    ticket = requests.post(f"{demo.url}/api/v1/tickets", json={"service": "CA-CC"}, timeout=15,
                           headers={"Authorization": "Bearer demo-kiosk-1-token"}).json()["ticket"]
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(ticket["status_url"])
    english(phone, "#lang", "English")
    assert "quý khách" in phone.text_content("main")
    phone.click("#lang")
    english(phone, ".label", "Your number")
    english(phone, "#state-title", "Waiting for your turn")
    assert "people waiting ahead of you" in phone.text_content("#facts")
    assert [e for e in errors if "favicon" not in e] == []


@pytest.mark.browser
def test_the_screens_in_english(browser, demo):
    hall = browser.new_page(viewport={"width": 1920, "height": 1080})
    hall.goto(f"{demo.url}/display/hall?token=demo-hall-1-token&lang=en")
    english(hall, "#latest .panel-title", "Now calling")
    english(hall, "#latest-service", "No number called yet today")
    assert "MỜI CÔNG DÂN" not in hall.text_content("body")
    assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d\d/\d\d/\d{4}",
                     hall.text_content("#clock-date"))
    vi = browser.new_page(viewport={"width": 1920, "height": 1080})
    vi.goto(f"{demo.url}/display/hall?token=demo-hall-1-token")
    english(vi, "#latest .panel-title", "MỜI CÔNG DÂN CÓ SỐ")
    english(vi, "#latest .panel-title .en", "Now calling")                  # the English subtitle
    desk = browser.new_page(viewport={"width": 1280, "height": 720})
    desk.goto(f"{demo.url}/display/desk/1?token=demo-desk-1-token&lang=en")
    english(desk, "#desk-status", "Desk closed")


@pytest.mark.browser
def test_the_staff_pages_in_english(browser, demo):
    console = browser.new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{demo.url}/desk")
    english(console, "#lang", "English")
    console.click("#lang")
    english(console, "#view-login h1", "Sign in")
    assert console.text_content("label[for=login-password]") == "Password"
    console.reload()                                                      # the choice is kept
    english(console, "#view-login h1", "Sign in")
    supervisor = browser.new_page(viewport={"width": 1920, "height": 1080})
    supervisor.goto(f"{demo.url}/supervisor")
    english(supervisor, "#lang", "English")
    supervisor.click("#lang")
    english(supervisor, "#view-login h1", "Sign in")
    supervisor.fill("#login-username", "giamsat")
    supervisor.fill("#login-password", "mat-khau-giam-sat")
    supervisor.click("#login-submit")
    english(supervisor, "#tab-live", "Live")
    english(supervisor, "#status-summary", "waiting")
