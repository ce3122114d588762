"""The kiosk's touchscreen page and the visitor's phone page (their static files and templates
live in ``kiosk/``, with the device's other parts).

Routes::

    /kiosk?token=KIOSK_TOKEN            the touchscreen (a wrong token: a polite 403 page)
    /t/ID?t=SECRET                      the visitor's phone page (the ticket's status_url)
"""
from __future__ import annotations

import hmac
from pathlib import Path

from flask import Blueprint, current_app, request

import kiosk

from .. import i18n
from ..rules import PRIORITIES
from ..rules.errors import NotFound
from .pages import render_page

KIOSK_DIR = Path(kiosk.__file__).resolve().parent      # the device's folder: static files, templates
pages = Blueprint("kiosk", __name__, static_folder=str(KIOSK_DIR / "static"), static_url_path="/kiosk-static",
                  template_folder=str(KIOSK_DIR / "templates"))

MAX_TOKEN_LENGTH = 512
KIOSK_IDLE_S = 40          # back to the start screen after this long without a touch
TICKET_SCREEN_S = 30       # how long the ticket stays on screen


def _hub():
    return current_app.extensions["hangdoi"]


def _kiosk_for(token: str | None):
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = _hub().devices.find(token)
    return device if device is not None and device.kind == "kiosk" else None


@pages.get("/kiosk")
def kiosk_page():
    hub = _hub()
    device = _kiosk_for(request.args.get("token"))
    if device is None:
        return render_page("kiosk/error.html", status=403, center_name=hub.config.center.name,
                           **_error_texts("kiosk.forbidden"))
    config = {
        "kiosk": {"id": device.id, "name": device.name},
        "center": {"name": hub.config.center.name, "timezone": hub.config.center.timezone},
        "idle_s": KIOSK_IDLE_S,
        "ticket_screen_s": TICKET_SCREEN_S,
        "priorities": list(PRIORITIES),
        "socket_path": "/socket.io",
        "bookings": _takes_bookings(hub.config),
    }
    return render_page("kiosk/kiosk.html", page_config=config, center_name=hub.config.center.name,
                       bookings=config["bookings"])


def _takes_bookings(config) -> bool:
    """Whether the kiosk shows "Tôi đã đặt lịch": a service of the site takes bookings
    (``booking_per_slot``). Its scanner reads bookings and ID cards either way."""
    return any((getattr(s, "booking_per_slot", 0) or 0) > 0 for a in config.agencies for s in a.services)


@pages.get("/t/<path:ref>")
def phone_page(ref: str):
    """A mangled link (not a ticket number, a wrong secret) gets the same polite page."""
    hub = _hub()
    ticket_id = int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 9 else 0
    secret = request.args.get("t") or ""
    ticket = None
    if ticket_id > 0 and 0 < len(secret) <= 64:
        try:
            ticket, real = hub.service.ticket(ticket_id)
        except NotFound:
            ticket, real = None, ""
        if ticket is not None and not hmac.compare_digest(secret.encode(), real.encode()):
            ticket = None
    if ticket is None:
        response = render_page("kiosk/error.html", status=404, center_name=hub.config.center.name,
                               **_error_texts("phone.not_found"))
    else:
        config = {"ticket": ticket, "secret": secret, "center": {"name": hub.config.center.name},
                  "socket_path": "/socket.io"}
        response = render_page("kiosk/phone.html", page_config=config, ticket=ticket, texts=phone_texts(ticket),
                               center_name=hub.config.center.name)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _error_texts(prefix: str) -> dict:
    """The polite error page's words: Vietnamese, then English in one line."""
    return {"title": i18n.t(prefix + "_title"), "reason": i18n.t(prefix + "_reason"), "hint": i18n.t(prefix + "_hint"),
            "english": " ".join(i18n.t(prefix + part, "en") for part in ("_title", "_reason", "_hint"))}


def phone_texts(ticket: dict, lang: str = i18n.DEFAULT) -> dict:
    """What the phone page says about a ticket (``phone.js`` says the same, from the same catalog,
    when it changes)."""
    desk = ticket.get("desk")
    status = ticket["status"]
    if f"phone.{status}.title" in i18n.catalog():
        title, text = (i18n.t(f"phone.{status}.{part}", lang, desk=desk) for part in ("title", "text"))
    else:
        title, text = status, ""
    return {"title": title, "text": text, "wait": i18n.wait(ticket.get("estimated_wait_s"), lang, ticket.get("estimate"))}


@pages.after_request
def _static_headers(response):
    if request.path.startswith("/kiosk-static/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response
