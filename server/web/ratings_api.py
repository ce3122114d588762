"""``POST /api/v1/tickets/{id}/rating``: a visitor's satisfaction rating of a finished ticket,
from staff, the desk display of the desk that served it (for 10 minutes), or anyone with the
ticket's secret (the phone)."""
from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request

from ..rules import NotFound
from ..rules import events as ev
from ..rules.ratings import ticket_desk
from .auth import hub
from .endpoint import endpoint
from .errors import ApiError
from .schemas import RatingEnvelope, RatingRequest

api = Blueprint("ratings_api", __name__, url_prefix="/api/v1")


@api.post("/tickets/<id:ticket_id>/rating")
@endpoint("Rate a finished ticket (one rating per ticket)", auth=("anyone",), body=RatingRequest,
          responses={201: RatingEnvelope}, errors=(401, 403, 404, 409), tag="ratings",
          query={"t": "the ticket's secret, from its status_url (the visitor's phone)"},
          description="Staff; the desk display of the desk that served the ticket (for 10 minutes after it "
                      "was finished); or anyone with the ticket's secret. 409 `not_done` before the ticket is finished, `already_rated` after a "
                      "first rating; 400 `invalid_score` outside 1–5.")
def rate_ticket(actor, ticket_id: int, body: RatingRequest):
    h = hub()
    secret = request.args.get("t")
    source = None
    if actor is not None and actor.is_staff:
        source = "staff"
    elif actor is not None and actor.role == "display":
        device = h.devices.by_id(actor.device)
        desk, finished_at = _ticket_desk(ticket_id)
        if device is not None and device.display_kind == "desk" and desk is not None and desk == device.desk:
            if finished_at is not None and h.clock.now() - finished_at > DISPLAY_RATING_WINDOW_S:
                # a desk display's URL must not let anyone rate the desk's earlier visitors
                raise ApiError(403, "forbidden", f"this display may rate a ticket only in the "
                                                 f"{DISPLAY_RATING_WINDOW_S // 60} minutes after it was served")
            source = "desk_display"
    if source is None and secret is not None:
        try:
            _, real = h.service.ticket(ticket_id)
        except NotFound:
            real = None
        if real is None or not hmac.compare_digest(secret.encode(), real.encode()):
            raise ApiError(403, "invalid_secret", "this link is not valid for any ticket")
        source = "phone"
    if source is None:
        if actor is None:
            raise ApiError(401, "unauthorized", "this needs a staff token, the desk's display token or the "
                                                "ticket's secret (?t=)")
        raise ApiError(403, "forbidden", f"this {actor.role} may not rate ticket {ticket_id}")
    outcome = h.service.rate(actor or ev.Actor(kind="visitor", role="visitor", name="visitor"), ticket_id,
                             body.score, body.comment, source, body.reason, h.config.ratings.levels)
    h.publish(outcome)
    response = jsonify({"rating": outcome.result})
    response.status_code = 201
    return response


DISPLAY_RATING_WINDOW_S = 600     # a desk display rates a ticket this long after it was finished


def _ticket_desk(ticket_id: int) -> tuple[int | None, float | None]:
    with hub().storage.read() as db:
        return ticket_desk(db, ticket_id)
