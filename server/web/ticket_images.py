"""The printed ticket as a picture, and its QR code, for the kiosk's screen::

    GET /api/v1/tickets/ID/ticket.png   the printed ticket as a PNG (kiosk token or staff)
    GET /api/v1/tickets/ID/qr.png       just its QR code, for the kiosk's screen (same callers)

A kiosk token reads only the tickets that kiosk issued, for ``KIOSK_READ_WINDOW_S`` (10 min) after
issuing: the QR code carries the ticket's secret. The drawing is the print agent's own
(``kiosk.ticket_layout``), so the picture is what the printer prints.
"""
from __future__ import annotations

import io

from flask import Blueprint, Response, current_app, request

from ..printing import jobs as pj
from ..rules.shapes import ticket_origin
from .offload import draw_off_the_loop
from .auth import STAFF
from .endpoint import endpoint
from .errors import ApiError

api = Blueprint("kiosk_api", __name__, url_prefix="/api/v1")

KIOSK_READ_WINDOW_S = 600  # a kiosk reads the picture of a ticket it issued for this long


def _hub():
    return current_app.extensions["hangdoi"]


def ticket_print_for(hub, ticket_id: int):
    """The TicketPrint of a ticket, as its print agent would print it now."""
    from kiosk.agent import ticket_print

    with hub.storage.read() as db:
        job = {"id": 0, "ticket": ticket_id, "attempts": 0, "created_at": hub.clock.now()}
        payload = pj.job_payload(db, hub.service.ctx, hub.config.center.name, job, hub.clock.now(), 0)
    if payload is None:
        raise ApiError(404, "unknown_ticket", f"there is no ticket {ticket_id}")
    return ticket_print(payload), payload["ticket"]


def _readable_ticket(actor, ticket_id: int):
    """Staff read any ticket's picture; a kiosk only those it issued in the last
    ``KIOSK_READ_WINDOW_S`` (its screen shows the QR code right after issuing): a stolen kiosk
    tablet's token cannot collect the secrets of the day's earlier visitors."""
    hub = _hub()
    with hub.storage.read() as db:
        row = ticket_origin(db, ticket_id)
    if row is None:
        raise ApiError(404, "unknown_ticket", f"there is no ticket {ticket_id}")
    if actor.role == "kiosk" and row[0] != actor.device:
        raise ApiError(403, "forbidden", f"ticket {ticket_id} was not issued by this kiosk")
    if actor.role == "kiosk" and not -60 <= hub.clock.now() - row[1] <= KIOSK_READ_WINDOW_S:
        raise ApiError(403, "forbidden", f"ticket {ticket_id} is no longer shown on this kiosk")
    return ticket_print_for(hub, ticket_id)


def _png(data: bytes) -> Response:
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"   # the QR code carries the ticket's secret
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/tickets/<id:ticket_id>/ticket.png")
@endpoint("The printed ticket as a picture (1-bit PNG, the same drawing the printer prints)",
          auth=("kiosk",) + STAFF, responses={200: "image/png"}, errors=(400, 404), produces="image/png",
          query={"width": "paper width in dots: 576 (80 mm, the default) or 384 (58 mm)"}, tag="tickets",
          description="A kiosk token reads only the tickets issued by that kiosk, for 10 minutes.")
def ticket_png_view(actor, ticket_id: int):
    from kiosk.ticket_layout import ticket_png

    width = request.args.get("width", "576")
    if width not in ("576", "384"):
        raise ApiError(400, "invalid_width", "width must be 576 (80 mm paper) or 384 (58 mm paper)")
    t, _ = _readable_ticket(actor, ticket_id)
    return _png(draw_off_the_loop(ticket_png, t, int(width)))




@api.get("/tickets/<id:ticket_id>/qr.png")
@endpoint("The QR code of a ticket's status_url (PNG), for the kiosk's screen",
          auth=("kiosk",) + STAFF, responses={200: "image/png"}, errors=(404,), produces="image/png", tag="tickets",
          description="A kiosk token reads only the tickets issued by that kiosk, for 10 minutes.")
def ticket_qr_view(actor, ticket_id: int):
    from PIL import Image

    from kiosk.ticket_layout import WHITE, qr_image, qr_modules

    _, ticket = _readable_ticket(actor, ticket_id)
    url = ticket["status_url"]
    module = max(4, 280 // qr_modules(url))
    symbol = qr_image(url, module)
    quiet = 4 * module
    img = Image.new("1", (symbol.width + 2 * quiet, symbol.height + 2 * quiet), WHITE)
    img.paste(symbol, (quiet, quiet))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return _png(buf.getvalue())
