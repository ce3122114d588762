"""The HTTP API, ``/api/v1`` (contract section 3)."""
from __future__ import annotations

import hmac
import math

from flask import Blueprint, jsonify, request

from ..auth.limits import LoginLimiter
from ..auth.users import authenticate
from ..rules import NotFound
from ..rules.hours import is_open, next_opening
from . import schemas as s
from .auth import STAFF, client_address, hub, require_desk_access
from .endpoint import endpoint
from .errors import ApiError

api = Blueprint("api", __name__, url_prefix="/api/v1")
DESK_ROLES = STAFF


@api.record_once
def _limits(state) -> None:
    """Failed sign-ins are counted in this process's memory (``[limits] login_attempts_per_minute``)."""
    h = state.app.extensions["hangdoi"]
    h.login_limiter = LoginLimiter(h.config.limits.login_attempts_per_minute)


@api.after_app_request
def _api_headers(response):
    """Every answer: no content sniffing. API answers besides: never stored by a browser or a proxy
    (a ticket's answer carries its secret) and no referrer."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _created(payload: dict):
    response = jsonify(payload)
    response.status_code = 201
    return response


# ---- public ---------------------------------------------------------------------------------
@api.get("/health")
@endpoint("Liveness check", responses={200: s.Health}, tag="public")
def health(actor):
    return jsonify({"status": "ok"})


@api.get("/openapi.json")
def openapi():
    return jsonify(hub().openapi())


@api.post("/auth/login")
@endpoint("Sign in and get an access token", body=s.LoginRequest, responses={200: s.LoginResponse},
          errors=(401, 429), tag="auth",
          description="After `[limits] login_attempts_per_minute` failed sign-ins in a minute for one user name, "
                      "or from one client address, every attempt (a right password too) answers 429 "
                      "`too_many_attempts` with a `Retry-After` header, until the oldest failure is a minute old.")
def login(actor, body: s.LoginRequest):
    h = hub()
    address = client_address()
    wait, stamp = h.login_limiter.attempt(body.username, address)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, "too_many_attempts",
                       f"Đăng nhập sai quá nhiều lần; xin thử lại sau {seconds} giây "
                       f"(too many failed sign-ins; try again in {seconds} s).",
                       headers={"Retry-After": str(seconds)})
    user = authenticate(h.storage, body.username, body.password)
    if user is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    h.login_limiter.succeeded(body.username, address, stamp)
    return jsonify({
        "access_token": h.signer.issue(user.id, user.token_version),
        "token_type": "Bearer",
        "expires_in": int(h.signer.ttl_s),
        "user": {"id": user.id, "username": user.username, "role": user.role, "agency": user.agency},
    })


@api.get("/catalog")
@endpoint("Agencies and their services, with how many wait", responses={200: s.Catalog}, tag="public")
def catalog(actor):
    h = hub()
    queues = {q["code"]: q for q in h.service.queues()}
    center = h.config.center
    now = h.clock.local()
    opening = next_opening(h.config.opening_hours, now)
    agencies = []
    for agency in h.config.agencies:
        services = [{"code": sv.code, "name": sv.name, "prefix": sv.prefix, "target_wait_min": sv.target_wait_min,
                     "waiting": queues[sv.code]["waiting"], "estimated_wait_s": queues[sv.code]["estimated_wait_s"],
                     "estimate": queues[sv.code]["estimate"]}
                    for sv in agency.services if sv.code in queues]
        agencies.append({"code": agency.code, "name": agency.name, "services": services})
    return jsonify({
        "center": {"name": center.name, "timezone": center.timezone, "public_url": center.public_url,
                   "notice": center.notice, "is_open": is_open(h.config.opening_hours, now),
                   "next_opening": opening.isoformat(timespec="minutes") if opening else None},
        "agencies": agencies,
    })


@api.get("/queues")
@endpoint("Waiting counts and estimated waits of every service", responses={200: s.Queues}, tag="public")
def queues(actor):
    return jsonify({"services": hub().service.queues()})


# ---- tickets --------------------------------------------------------------------------------
@api.post("/tickets")
@endpoint("Issue a ticket", auth=("kiosk",) + STAFF, body=s.IssueTicketRequest,
          responses={201: s.TicketEnvelope}, errors=(404, 409, 429), tag="tickets",
          description="A kiosk token that issued `[limits] kiosk_tickets_per_minute` tickets in the last 60 s "
                      "gets 429 `rate_limited` with a `Retry-After` header; staff are not limited.")
def issue_ticket(actor, body: s.IssueTicketRequest):
    h = hub()
    outcome = h.service.issue(actor, body.service, body.priority)
    h.publish(outcome)
    return _created({"ticket": outcome.result})


@api.get("/tickets/<id:ticket_id>")
@endpoint("A ticket's state", auth=("anyone",), responses={200: s.TicketEnvelope}, errors=(401, 403, 404),
          query={"t": "the ticket's secret, from its status_url (for visitors without a token)"}, tag="tickets")
def get_ticket(actor, ticket_id: int):
    secret = request.args.get("t")
    if actor is None and secret is None:
        raise ApiError(401, "unauthorized", "this needs a staff token or the ticket's secret (?t=)")
    if actor is not None and not actor.is_staff and secret is None:
        raise ApiError(403, "forbidden", f"a {actor.role} may not read tickets")
    try:
        ticket, real_secret = hub().service.ticket(ticket_id)
    except NotFound:
        if actor is not None and actor.is_staff:
            raise
        raise ApiError(403, "invalid_secret", "this link is not valid for any ticket") from None
    if not (actor is not None and actor.is_staff) and not hmac.compare_digest(secret.encode(), real_secret.encode()):
        raise ApiError(403, "invalid_secret", "this link is not valid for any ticket")
    return jsonify({"ticket": ticket})


# ---- desks ----------------------------------------------------------------------------------
def _desk_access(actor, number: int) -> None:
    agency = hub().service.desk_agency(number)
    if agency is None:
        raise ApiError(404, "unknown_desk", f"there is no desk {number}")
    require_desk_access(actor, agency, number)


def _desk_action(summary: str, path: str, body=None, response=s.TicketEnvelope, errors=(404, 409)):
    def decorate(fn):
        @endpoint(summary, auth=DESK_ROLES, body=body, responses={200: response}, errors=errors, tag="desks",
                  description="Officers only at the desks of their own agency; supervisors and admins at any desk.",
                  access=_desk_access)
        def view(actor, number: int, **kwargs):
            outcome = fn(hub().service, actor, number, **kwargs)
            hub().publish(outcome)
            if response is s.DeskEnvelope:
                return jsonify({"desk": hub().service.desk(number)})
            return jsonify({"ticket": outcome.result})

        view.__name__ = fn.__name__
        api.add_url_rule(f"/desks/<int:number>/{path}", endpoint=fn.__name__, view_func=view, methods=["POST"])
        return fn

    return decorate


@api.get("/desks")
@endpoint("Every active desk, with its state (an officer sees his agency's desks)", auth=STAFF,
          responses={200: s.DeskList}, tag="desks")
def list_desks(actor):
    desks = hub().service.desks(agency=actor.agency if actor.role == "officer" else None)
    return jsonify({"desks": desks})


@api.get("/desks/<int:number>")
@endpoint("A desk: state, officer, current ticket, waiting counts", auth=STAFF, responses={200: s.DeskEnvelope},
          errors=(404,), tag="desks")
def get_desk(actor, number: int):
    return jsonify({"desk": hub().service.desk(number)})


@_desk_action("Finish the current ticket, if any, and call the next one", "next", response=s.MaybeTicketEnvelope,
              errors=(404,))
def call_next(service, actor, number):
    return service.call_next(actor, number)


@_desk_action("Announce the current ticket again", "recall")
def recall(service, actor, number):
    return service.recall(actor, number)


@_desk_action("The visitor has come: serving starts", "start")
def start(service, actor, number):
    return service.start(actor, number)


@_desk_action("The current ticket is done", "finish")
def finish(service, actor, number):
    return service.finish(actor, number)


@_desk_action("The called visitor did not come", "no-show")
def no_show(service, actor, number):
    return service.no_show(actor, number)


@_desk_action("Send the current ticket to wait for another service, keeping its code and place", "transfer",
              body=s.TransferRequest)
def transfer(service, actor, number, body):
    return service.transfer(actor, number, body.service)


@_desk_action("Pause the desk, with a reason", "pause", body=s.PauseRequest, response=s.DeskEnvelope)
def pause(service, actor, number, body):
    return service.pause(actor, number, body.reason)


@_desk_action("Resume a paused desk", "resume", response=s.DeskEnvelope)
def resume(service, actor, number):
    return service.resume(actor, number)


@_desk_action("Sign out of the desk (it no longer counts as open)", "close", response=s.DeskEnvelope)
def close(service, actor, number):
    return service.close_desk(actor, number)
