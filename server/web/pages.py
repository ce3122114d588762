"""Staff pages: the officer's desk console (and later the supervisor's page), and the security
headers every HTML page of the project sends.

The desk console is a static page: it signs in through ``POST /api/v1/auth/login`` and keeps
the access token in ``sessionStorage``, sending it as ``Authorization: Bearer``. The browser never
attaches that header by itself (there is no session cookie), so another site cannot make the
officer's browser call a desk: the console is CSRF-safe by construction.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import hashlib

from flask import Blueprint, Response, render_template, request

from server import i18n

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

staff_pages = Blueprint("staff_pages", __name__, template_folder=str(TEMPLATES))


def content_security_policy(host: str | None = None) -> str:
    """Same-origin only: no inline script or style, no plugins, no framing, no CDN.

    ``connect-src`` names the page's own ws:/wss: origin as well as 'self', for older browsers
    (some TV browsers) that do not count a websocket to the same host as 'self'.
    """
    sockets = f" ws://{host} wss://{host}" if host and _plain_host(host) else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"media-src 'self'; font-src 'self'; connect-src 'self'{sockets}; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _plain_host(host: str) -> bool:
    """A Host header fit to be written into the policy (letters, digits, dots, colons, brackets)."""
    return len(host) < 256 and all(c.isalnum() or c in ".-:[]" for c in host)


def secure_page(response: Response, *, cache: bool = False) -> Response:
    """The headers of every HTML page: CSP, no sniffing, no referrer (display URLs carry tokens)."""
    response.headers["Content-Security-Policy"] = content_security_policy(request.host)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if not cache:
        response.headers["Cache-Control"] = "no-store"
    return response


def render_page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    return secure_page(response)


@staff_pages.get("/desk")
def desk_console():
    """The officer's console: sign in, pick a desk, call and serve (all of it in desk.js)."""
    return render_page("staff/desk.html")


@staff_pages.get("/i18n/index.json")
def i18n_index():
    """The languages of the catalog, for the pages' language switch."""
    body = [{"code": code, "name": i18n.t("common.lang_name", code)} for code in i18n.languages()]
    return _catalog_response(json_bytes(body))


@staff_pages.get("/i18n/<lang>.json")
def i18n_catalog(lang: str):
    """One language's catalog, the same file the server prints from: the same for everyone, no
    secrets, cacheable (a changed catalog gets a new ETag)."""
    if lang not in i18n.languages():
        from .errors import ApiError

        raise ApiError(404, "unknown_language", f"there is no catalog for the language {lang[:20]!r}; "
                                                f"there are {', '.join(i18n.languages())}")
    return _catalog_response(i18n.catalog_bytes(lang))


def json_bytes(value) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _catalog_response(body: bytes) -> Response:
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@lru_cache(maxsize=1)
def favicon_bytes() -> bytes:
    """The project's icon, drawn here (no file to download or ship): a red tile with a yellow
    band and a white ticket, the colours of every screen; 16, 32 and 48 px in one .ico."""
    from PIL import Image, ImageDraw

    size = 48
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=9, fill=(165, 18, 27, 255))
    draw.rectangle((0, 34, size - 1, 39), fill=(255, 205, 31, 255))
    draw.rounded_rectangle((13, 8, 35, 30), radius=3, fill=(255, 255, 255, 255))
    for y in (14, 19, 24):
        draw.rectangle((17, y, 31, y + 2), fill=(165, 18, 27, 255))
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


@staff_pages.get("/favicon.ico")
def favicon():
    """Every page's browser asks for it; without it each page load logged a 404."""
    response = Response(favicon_bytes(), mimetype="image/x-icon")
    response.headers["Cache-Control"] = "public, max-age=604800"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(app, hub) -> None:
    """Called by the application factory: add the staff pages, the catalogs' routes and ``t`` for
    every template (``{{ t("kiosk.done") }}``: the page's words come from the catalog)."""
    app.jinja_env.globals["t"] = i18n.t
    app.register_blueprint(staff_pages)
