"""The pages of the hall board, the desk displays and the desk console, through Flask's test client:
tokens, polite 403 pages, security headers, names as text, and the small audio routes."""
from __future__ import annotations

import io
import json
import re
import wave
from pathlib import Path

import pytest

from server.web.app import create_app
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = [ROOT / "counter_display" / "templates" / "display" / name for name in ("hall.html", "desk.html", "forbidden.html")]
PAGE_FILES.append(ROOT / "server" / "templates" / "staff" / "desk.html")
SCRIPTS = sorted((ROOT / "counter_display" / "static").glob("*.js")) + sorted((ROOT / "server" / "static" / "desk").glob("*.js"))


@pytest.fixture
def client(tmp_path):
    config = make_config(
        tmp_path,
        center={"name": 'Trung tâm <script>alert("x")</script>', "timezone": "Asia/Ho_Chi_Minh",
                "public_url": "http://hangdoi.test", "notice": "Giờ làm việc </script><b>7h30</b>"},
        displays=[{"id": "hall-1", "token": "hall-token-1", "kind": "hall"},
                  {"id": "hall-quiet", "token": "hall-token-quiet", "kind": "hall", "audio": False},
                  {"id": "desk-1", "token": "desk-token-1", "kind": "desk", "desk": 1}])
    return create_app(config, voice=False).test_client()


def assert_secure(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def page_config(html: str) -> dict:
    match = re.search(r'<script id="page-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_hall_page_with_its_token(client):
    r = client.get("/display/hall?token=hall-token-1")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert_secure(r)
    html = r.get_data(as_text=True)
    assert '<html lang="vi">' in html and "/static/vendor/socket.io.min.js" in html
    config = page_config(html)
    assert config["display"] == {"id": "hall-1", "name": "hall-1", "kind": "hall", "desk": None, "audio": True}
    assert [a["code"] for a in config["agencies"]] == ["STP", "CA"]
    quiet = page_config(client.get("/display/hall?token=hall-token-quiet").get_data(as_text=True))
    assert quiet["display"]["audio"] is False


def test_names_from_the_config_are_escaped_in_the_html_and_in_the_json(client):
    html = client.get("/display/hall?token=hall-token-1").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>7h30" not in html
    assert "&lt;script&gt;alert" in html                            # the title and the header
    assert html.count("</script>") == html.count("<script")          # no name closes a script block
    assert page_config(html)["center"]["name"] == 'Trung tâm <script>alert("x")</script>'
    assert page_config(html)["center"]["notice"] == "Giờ làm việc </script><b>7h30</b>"


@pytest.mark.parametrize("url,words", [
    ("/display/hall", "không đúng"),
    ("/display/hall?token=", "không đúng"),
    ("/display/hall?token=wrong-token", "không đúng"),
    ("/display/hall?token=kiosk-token-1", "không đúng"),             # a kiosk is not a display
    ("/display/hall?token=desk-token-1", "quầy số 1"),              # a desk display's token
    ("/display/desk/1?token=hall-token-1", "sảnh chờ"),
    ("/display/desk/2?token=desk-token-1", "quầy số 2"),
    ("/display/desk/1", "không đúng"),
    ("/display/desk/1?token=" + "x" * 5000, "không đúng"),
])
def test_wrong_or_missing_tokens_get_a_polite_vietnamese_403(client, url, words):
    r = client.get(url)
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert_secure(r)
    html = r.get_data(as_text=True)
    assert "Xin lỗi" in html and words in html and "Traceback" not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_desk_display_page(client):
    r = client.get("/display/desk/1?token=desk-token-1")
    assert r.status_code == 200
    assert_secure(r)
    html = r.get_data(as_text=True)
    assert 'id="desk-number">1<' in html and "Sở Tư pháp" in html
    assert page_config(html)["display"]["desk"] == 1
    assert client.get("/display/desk/99999999999999999999?token=desk-token-1").status_code == 404


def test_desk_console_page(client):
    r = client.get("/desk")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert_secure(r)
    html = r.get_data(as_text=True)
    for button in ("Gọi tiếp", "Gọi lại", "Bắt đầu", "Hoàn thành", "Vắng mặt", "Chuyển", "Tạm dừng"):
        assert button in html
    assert "Set-Cookie" not in r.headers


def test_static_files_are_served(client):
    for url in ("/display-static/hall.js", "/display-static/desk.js", "/display-static/common.js",
                "/display-static/announcer.js", "/display-static/display.css", "/static/desk/desk.js",
                "/static/desk/desk.css", "/static/staff.js", "/static/vendor/socket.io.min.js"):
        r = client.get(url)
        assert r.status_code == 200, url
        r.close()


def test_silence_wav(client):
    r = client.get("/display/silence.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    with wave.open(io.BytesIO(r.data)) as w:
        assert w.getnframes() > 0 and set(w.readframes(w.getnframes())) == {0}


@pytest.mark.parametrize("query", ["", "?c=A001-1", "?c=A001-1&c=bad", "?c=A001-99&c=A002-1",
                                   "?" + "&".join(["c=A001-1"] * 7), "?c=a001-1&c=A002-1"])
def test_batch_audio_refuses_what_it_should_not_say(client, query):
    token = ("&" if "?" in query else "?") + "token=hall-token-1"
    assert client.get("/display/audio/batch.wav" + query + token).status_code == 404


@pytest.mark.parametrize("token", ["", "&token=wrong", "&token=kiosk-token-1"])
def test_batch_audio_is_for_displays_only(client, token):
    assert client.get("/display/audio/batch.wav?c=A001-1&c=A002-2" + token).status_code == 403


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_have_no_inline_script_style_or_handlers(path):
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html, re.I), "inline style"
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<style" not in html
    assert "http://" not in html and "https://" not in html        # no CDN


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_insert_text_never_html(path):
    js = path.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, f"{path.name} uses {sink}"
    assert "setAttribute(\"style\"" not in js and "http://" not in js
