"""The kiosk page, the visitor's phone page, the ticket pictures and the one-ticket-per-choice guard."""
from __future__ import annotations

import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageChops
from pyzbar import pyzbar

from server.auth.users import create_user
from server.web.app import create_app
from tests.conftest import make_config

KIOSK = {"Authorization": "Bearer kiosk-token-1"}
EVIL = '<img src=x onerror=alert(1)></script>"'


@pytest.fixture
def app(tmp_path, storage, clock):
    config = make_config(tmp_path, kiosks=[{"id": "kiosk-1", "token": "kiosk-token-1"},
                                           {"id": "kiosk-2", "token": "kiosk-token-2"}])
    app = create_app(config, storage=storage, clock=clock, voice=False)
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(client):
    token = client.post("/api/v1/auth/login", json={"username": "gs", "password": "mat-khau-3"}).get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def issue(client, headers=KIOSK, **body):
    r = client.post("/api/v1/tickets", json={"service": "STP-LLTP", **body}, headers=headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["ticket"]


def page_config(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S)[1])


def assert_self_only(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"


# ---- the kiosk page -------------------------------------------------------------------------
def test_kiosk_page(client):
    r = client.get("/kiosk?token=kiosk-token-1")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert_self_only(r)
    html = r.get_data(as_text=True)
    config = page_config(html)
    assert config["kiosk"]["id"] == "kiosk-1"
    assert config["priorities"] == ["elderly", "disabled", "pregnant", "child", "veteran"]
    assert "Không — lấy số thường" in html and 'lang="vi"' in html
    assert "<a " not in html                                   # no way out of the kiosk
    assert "http://" not in html and "https://" not in html    # nothing from outside: no CDN
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("query", ["", "?token=", "?token=wrong-token", "?token=hall-token-1", "?token=" + "x" * 600])
def test_kiosk_page_refuses_other_tokens_politely(client, query):
    r = client.get("/kiosk" + query)
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert_self_only(r)
    html = r.get_data(as_text=True)
    assert "Xin lỗi" in html and "Traceback" not in html


def test_static_files_are_plain_and_local(client):
    for name in ("kiosk.js", "phone.js", "kiosk.css", "phone.css"):
        r = client.get(f"/kiosk-static/{name}")
        assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
        text = r.get_data(as_text=True)
        assert ".innerHTML" not in text and "eval(" not in text and "http" not in text.replace("https?", "")


def test_the_phone_page_is_small(client):
    t = issue(client)
    sizes = [len(client.get(t["status_url"].replace("http://hangdoi.test", "")).get_data())]
    sizes += [len(client.get(f"/kiosk-static/{n}").get_data()) for n in ("phone.js", "phone.css")]
    assert sum(sizes) < 25_000, sizes          # plus the shared 47 KB Socket.IO client, cached


# ---- the phone page -------------------------------------------------------------------------
def test_phone_page_shows_the_ticket(client):
    t = issue(client, priority="elderly")
    path = t["status_url"].replace("http://hangdoi.test", "")
    r = client.get(path)
    assert r.status_code == 200
    assert_self_only(r)
    html = r.get_data(as_text=True)
    assert t["code"] in html and "Lý lịch tư pháp" in html and "Đang chờ đến lượt" in html
    config = page_config(html)
    assert config["ticket"]["id"] == t["id"] and config["secret"] == path.split("t=")[1]
    assert r.headers["X-Robots-Tag"].startswith("noindex")


def test_phone_page_after_a_call(client, staff):
    t = issue(client)
    assert client.post("/api/v1/desks/1/next", headers=staff).get_json()["ticket"]["id"] == t["id"]
    html = client.get(t["status_url"].replace("http://hangdoi.test", "")).get_data(as_text=True)
    assert "Mời đến quầy số 1" in html and "status-called" in html


@pytest.mark.parametrize("mangle", [
    lambda p: p.split("?")[0],                          # no secret
    lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),   # wrong secret
    lambda p: p.replace("/t/1?", "/t/999?"),            # no such ticket
    lambda p: p.replace("/t/1?", "/t/99999999999999999999?"),
    lambda p: p + "x" * 100,
])
def test_phone_page_with_a_wrong_link_is_a_polite_page(client, mangle):
    t = issue(client)
    assert t["id"] == 1
    r = client.get(mangle(t["status_url"].replace("http://hangdoi.test", "")))
    assert r.status_code == 404 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "Không tìm thấy phiếu này" in html and "Traceback" not in html and t["code"] not in html


def test_names_are_text_never_markup(tmp_path, storage, clock):
    config = make_config(tmp_path, center={"name": EVIL, "timezone": "Asia/Ho_Chi_Minh",
                                           "public_url": "http://hangdoi.test"},
                         agencies=[{"code": "STP", "name": EVIL, "services": [
                             {"code": "STP-LLTP", "name": EVIL, "prefix": "A"}]}],
                         desks=[{"number": 1, "agency": "STP", "services": ["STP-LLTP"]}], displays=[])
    client = create_app(config, storage=storage, clock=clock, voice=False).test_client()
    t = issue(client)
    for path in ("/kiosk?token=kiosk-token-1", t["status_url"].replace("http://hangdoi.test", ""), "/kiosk?token=no"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "</script>\"" not in html


# ---- ticket.png and qr.png --------------------------------------------------------------------
def decode_qr(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [s.data.decode() for s in pyzbar.decode(image.convert("L"))]


@pytest.mark.parametrize("width", [576, 384])
def test_ticket_png_is_the_printed_ticket_and_its_qr_is_the_status_url(client, width):
    from kiosk.agent import ticket_print
    from kiosk.ticket_layout import render_ticket

    t = issue(client, priority="pregnant")
    r = client.get(f"/api/v1/tickets/{t['id']}/ticket.png?width={width}", headers=KIOSK)
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert "no-store" in r.headers["Cache-Control"]
    image = Image.open(io.BytesIO(r.data))
    assert image.width == width and image.mode == "1"
    assert decode_qr(r.data) == [t["status_url"]]
    expected = render_ticket(ticket_print({"ticket": t, "center_name": "Trung tâm Phục vụ hành chính công thử nghiệm",
                                           "priority_label": "Ưu tiên: Phụ nữ mang thai"}), width)
    assert ImageChops.difference(image.convert("L"), expected.convert("L")).getbbox() is None


def test_qr_png_decodes_to_the_status_url(client, staff):
    t = issue(client)
    for headers in (KIOSK, staff):
        r = client.get(f"/api/v1/tickets/{t['id']}/qr.png", headers=headers)
        assert r.status_code == 200 and decode_qr(r.data) == [t["status_url"]]
        assert len(r.data) < 2_000


def test_ticket_png_who_may_read_it(client, staff):
    mine = issue(client)
    other = issue(client, headers={"Authorization": "Bearer kiosk-token-2"})
    by_staff = issue(client, headers=staff)
    url = "/api/v1/tickets/{}/ticket.png"
    assert client.get(url.format(mine["id"]), headers=KIOSK).status_code == 200
    assert client.get(url.format(other["id"]), headers=KIOSK).status_code == 403      # another kiosk's secret
    assert client.get(url.format(by_staff["id"]), headers=KIOSK).status_code == 403
    assert client.get(url.format(other["id"]), headers=staff).status_code == 200
    assert client.get(url.format(mine["id"])).status_code == 401
    assert client.get(url.format(mine["id"]), headers={"Authorization": "Bearer hall-token-1"}).status_code == 403
    r = client.get(url.format(424242), headers=staff)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_ticket"
    r = client.get(url.format(mine["id"]) + "?width=500", headers=KIOSK)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_width"
    assert client.get("/api/v1/tickets/99999999999999999999/ticket.png", headers=KIOSK).status_code == 404


def test_openapi_describes_the_pictures(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/tickets/{ticket_id}/ticket.png", "/tickets/{ticket_id}/qr.png"):
        op = doc["paths"][path]["get"]
        assert "image/png" in op["responses"]["200"]["content"]
        assert op["security"] == [{"bearerAuth": []}]


# ---- one ticket per choice --------------------------------------------------------------------
def test_same_idempotency_key_gives_the_same_ticket(client, app):
    headers = {**KIOSK, "Idempotency-Key": "tap-0001"}
    first = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers)
    again = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers={**KIOSK, "Idempotency-Key": "tap-0002"})
    assert other.get_json()["ticket"]["id"] != first.get_json()["ticket"]["id"]
    # the key is per caller: another kiosk's same key is its own ticket
    two = client.post("/api/v1/tickets", json={"service": "STP-LLTP"},
                      headers={"Authorization": "Bearer kiosk-token-2", "Idempotency-Key": "tap-0001"})
    assert two.get_json()["ticket"]["id"] != first.get_json()["ticket"]["id"]


def test_double_tap_at_the_same_moment_issues_one_ticket(app):
    barrier = threading.Barrier(8)

    def tap(_):
        client = app.test_client()
        barrier.wait()
        return client.post("/api/v1/tickets", json={"service": "STP-LLTP"},
                           headers={**KIOSK, "Idempotency-Key": "same-tap"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(tap, range(8)))
    assert {r.status_code for r in answers} == {201}
    assert len({r.get_json()["ticket"]["id"] for r in answers}) == 1
    with app.extensions["hangdoi"].storage.read() as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1


def test_a_failed_request_does_not_pin_its_key(client):
    headers = {**KIOSK, "Idempotency-Key": "retry-me"}
    assert client.post("/api/v1/tickets", json={"service": "NOPE"}, headers=headers).status_code == 404
    assert client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=headers).status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "x" * 65, "ümlaut"])
def test_bad_idempotency_keys(client, key):
    r = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers={**KIOSK, "Idempotency-Key": key})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_idempotency_key"
