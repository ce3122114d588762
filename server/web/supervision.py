"""Supervision: the supervisor's page, satisfaction ratings, reports and user administration.

Routes (``/api/v1``, every one declared with ``@endpoint`` so that it is in the OpenAPI document):

    POST /tickets/{id}/rating              staff, that desk's display, or ?t= the ticket's secret
    GET  /reports/summary?from&to[&agency] supervisor, admin
    GET  /reports/tickets?from&to&format   supervisor, admin (CSV with BOM, or XLSX)
    GET  /supervision/overview             supervisor, admin: queues, desks, devices, alerts
    GET  /supervision/tickets?status&agency supervisor, admin: today's tickets to act on
    POST /tickets/{id}/call {"desk"}        supervisor, admin: call this ticket to that desk
    POST /tickets/{id}/reactivate          supervisor, admin: a no-show waits again
    POST /tickets/{id}/cancel {"reason"?}  supervisor, admin
    POST /tickets/{id}/move {"service"}     supervisor, admin: wait for another service instead
    GET  /admin/users · POST /admin/users · POST /admin/users/disable|enable|password|agency {"username", ...}   admin

and the page ``/supervisor``. Besides routes, ``register`` adds the end-of-day close (once at
start, then a background task at every local midnight). The opening hours are a rule of issuing
(``server.rules.hours``); every push of a supervisor's action goes through the realtime worker.
"""
from __future__ import annotations

import hmac
import logging
from typing import Literal, Optional

from flask import Blueprint, Response, jsonify, request
from pydantic import Field

from ..auth import users as users_mod
from ..clock import FixedClock
from ..reports import PeriodError, export_csv, export_rows, export_xlsx, parse_period, summary
from ..reports.live import overview
from ..rules import NotFound, Outcome
from ..rules import events as ev
from ..rules import hours as hours_rule
from .auth import hub
from .endpoint import endpoint
from .errors import ApiError
from .pages import TEMPLATES, render_page
from .schemas import MultilineText, PlainText, Request, Response as ResponseModel, SecretText, UserInfo

log = logging.getLogger("hangdoi.supervision")

SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)

api = Blueprint("supervision_api", __name__, url_prefix="/api/v1")
pages = Blueprint("supervision_pages", __name__, template_folder=str(TEMPLATES))


# ---- bodies -----------------------------------------------------------------------------------
class RatingRequest(Request):
    score: int = Field(ge=1, le=5, description="1 = Rất không hài lòng … 5 = Rất hài lòng")
    comment: Optional[MultilineText] = Field(default=None, max_length=500)
    reason: Optional[PlainText] = Field(default=None, max_length=200,  # issue 14: [ratings] reasons
                                  description="why, asked at or below [ratings] reason_at_most")


RatingRequest.error_codes = {"score": "invalid_score", "comment": "invalid_comment", "reason": "invalid_reason"}


class CallTicketRequest(Request):
    desk: int = Field(ge=1, lt=2 ** 31, description="the desk the ticket is called to")


class CancelRequest(Request):
    reason: Optional[PlainText] = Field(default=None, max_length=200)


class MoveRequest(Request):
    service: PlainText = Field(min_length=1, max_length=64, description="the service the ticket will wait for instead")


class NewUserRequest(Request):
    username: PlainText = Field(min_length=1, max_length=64)
    password: SecretText = Field(min_length=1, max_length=256)
    role: Literal["officer", "supervisor", "admin"]
    agency: Optional[PlainText] = Field(default=None, max_length=32)


class UsernameRequest(Request):
    username: PlainText = Field(min_length=1, max_length=64, description="the user's name")


class PasswordRequest(UsernameRequest):
    password: SecretText = Field(min_length=1, max_length=256, description="the new password (at least 6 characters)")


class AgencyRequest(UsernameRequest):
    agency: Optional[PlainText] = Field(description="an agency code, or null (not for officers)")


class Rating(ResponseModel):
    ticket: int
    code: str
    score: int
    label: str
    comment: Optional[str]
    desk: Optional[int]
    source: Literal["desk_display", "phone", "staff"]
    rated_at: str


class RatingEnvelope(ResponseModel):
    rating: Rating


class Figures(ResponseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    called: int
    avg_wait_s: Optional[float]
    p90_wait_s: Optional[float]
    avg_service_s: Optional[float]
    p90_service_s: Optional[float]
    within_target_pct: Optional[float]
    rating_avg: Optional[float]
    ratings: int


class AgencyFigures(Figures):
    code: str
    name: str


class DeskFigures(Figures):
    number: int
    name: str
    agency: str


class OfficerFigures(Figures):
    user_id: int
    username: str


class HourFigures(Figures):
    hour: int = Field(ge=0, le=23, description="local hour of issue in the center's timezone")


class ReportPeriod(ResponseModel):
    from_: str = Field(alias="from")
    to: str
    agency: Optional[str]
    timezone: str


class ReportSummary(ResponseModel):
    period: ReportPeriod
    totals: Figures
    by_agency: list[AgencyFigures]
    by_desk: list[DeskFigures]
    by_officer: list[OfficerFigures]
    by_hour: list[HourFigures]


class Overview(ResponseModel):
    now: float
    server_time: str
    day: str
    thresholds: dict
    agencies: list[dict]
    desks: list[dict]
    devices: dict
    alerts: list[dict]


class SupervisedTicket(ResponseModel):
    id: int
    code: str
    service: str
    service_name: str
    agency: str
    priority: Optional[str]
    status: str
    issued_at: str
    called_at: Optional[str]
    desk: Optional[int]
    waited_s: int


class SupervisedTickets(ResponseModel):
    tickets: list[SupervisedTicket]


class TicketResult(ResponseModel):
    ticket: dict


class AdminUser(UserInfo):
    active: bool


class AdminUserEnvelope(ResponseModel):
    user: AdminUser


class AdminUserList(ResponseModel):
    users: list[AdminUser]


# ---- ratings ----------------------------------------------------------------------------------
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
    """The desk that served the ticket and when it finished (None, None for no such ticket)."""
    with hub().storage.read() as db:
        row = db.execute("SELECT desk, finished_at FROM tickets WHERE id = ?", [ticket_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)


# ---- reports ----------------------------------------------------------------------------------
PERIOD_QUERY = {"from": "first local day, YYYY-MM-DD", "to": "last local day, YYYY-MM-DD (at most 366 days)",
                "agency": "an agency code (optional)"}


XLSX_MAX_DAYS = 93


def off_the_loop(fn, *args):
    """Run a long read (a report, an export) in a real thread under gevent, so that screens and
    desks keep being served meanwhile (SQLite releases the GIL while it works); directly otherwise.
    ``fn`` gets the hub as its first argument (no Flask context in that thread)."""
    h = hub()
    if h.realtime is not None and h.realtime.socketio.async_mode == "gevent":
        import gevent

        return gevent.get_hub().threadpool.apply(fn, (h, *args))
    return fn(h, *args)


def _summary(h, period):
    with h.storage.read() as db:
        return summary(db, h.config.tz, period)


def _export(h, period, fmt):
    tz = h.config.tz
    with h.storage.read() as db:
        rows = export_rows(db, tz, period)
        totals = summary(db, tz, period)["totals"] if fmt == "xlsx" else None
    if fmt == "csv":
        return export_csv(rows, tz)
    return export_xlsx(rows, tz, title=h.config.center.name, period=period, totals=totals)


def _period(max_days: int | None = None):
    try:
        period = parse_period(request.args.get("from"), request.args.get("to"), request.args.get("agency"),
                              **({"max_days": max_days} if max_days else {}))
    except PeriodError as err:
        raise ApiError(400, err.code, err.message) from None
    if period.agency is not None:
        with hub().storage.read() as db:
            if db.execute("SELECT 1 FROM agencies WHERE code = ?", [period.agency]).fetchone() is None:
                raise ApiError(400, "unknown_agency", f"there is no agency {period.agency!r}")
    return period


@api.get("/reports/summary")
@endpoint("Summary report: totals, by agency, desk, officer and local hour", auth=SUPERVISORS,
          responses={200: ReportSummary}, errors=(400,), query=PERIOD_QUERY, tag="reports",
          description="Figures over the tickets issued on the local days from..to (see README, Reports): issued, "
                      "served, no-show, cancelled, average and 90th-percentile wait and service time, share "
                      "called within target, ratings.")
def report_summary(actor):
    return jsonify(off_the_loop(_summary, _period()))


@api.get("/reports/tickets")
@endpoint("Every ticket of the period, as CSV (UTF-8 with BOM) or Excel", auth=SUPERVISORS,
          responses={200: "text/csv"}, errors=(400,), tag="reports",
          query={**PERIOD_QUERY, "format": "csv (default) or xlsx"},
          description="Times, desk, officer, outcome and rating of each ticket. `format=xlsx` answers "
                      "`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, for at most "
                      f"{XLSX_MAX_DAYS} days (Excel files of a year take a minute to write; use CSV).")
def report_tickets(actor):
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "invalid_format", "format must be csv or xlsx")
    if fmt == "xlsx":
        try:
            period = _period(XLSX_MAX_DAYS)
        except ApiError as err:
            if err.code == "range_too_long":
                err.message += "; for a longer period download the CSV (up to 366 days)"
            raise
    else:
        period = _period()
    data = off_the_loop(_export, period, fmt)
    name = f"hangdoi-phieu-{period.start.isoformat()}_{period.end.isoformat()}" + (
        f"-{period.agency}" if period.agency else "")
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)   # a header, quoted
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})


# ---- live supervision -------------------------------------------------------------------------
def _connected() -> dict[str, str]:
    realtime = hub().realtime
    if realtime is None:
        return {}
    return realtime.connected_devices()     # scale-out: the devices of every process


@api.get("/supervision/overview")
@endpoint("The live picture: every queue, desk, kiosk, printer and display, and the alerts", auth=SUPERVISORS,
          responses={200: Overview}, tag="supervision")
def supervision_overview(actor):
    h = hub()
    with h.storage.read() as db:
        return jsonify(overview(db, h, _connected()))


TICKET_STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled")


@api.get("/supervision/tickets")
@endpoint("Today's tickets, to act on", auth=SUPERVISORS, responses={200: SupervisedTickets}, errors=(400,),
          query={"status": "comma-separated statuses (default waiting,called,serving,no_show)",
                 "agency": "an agency code (optional)"}, tag="supervision")
def supervision_tickets(actor):
    statuses = [s.strip() for s in (request.args.get("status") or "waiting,called,serving,no_show").split(",")
                if s.strip()]
    if not statuses or any(s not in TICKET_STATUSES for s in statuses):
        raise ApiError(400, "invalid_status", f"status must be a comma-separated list of {', '.join(TICKET_STATUSES)}")
    agency = (request.args.get("agency") or "").strip().upper() or None
    h = hub()
    now = h.clock.now()
    with h.storage.read() as db:
        rows = db.execute(
            "SELECT t.id, t.code, t.service, s.name, t.agency, t.priority, t.status, t.issued_at, t.called_at, t.desk, "
            "t.queued_at, t.finished_at FROM tickets t JOIN services s ON s.code = t.service "
            f"WHERE t.day = ? AND t.status IN ({', '.join('?' * len(statuses))}) AND (? IS NULL OR t.agency = ?) "
            "ORDER BY t.status = 'waiting' DESC, t.prio DESC, t.queued_at, t.id LIMIT 500",
            [h.clock.day_of(now), *statuses, agency, agency]).fetchall()
    tickets = [{"id": r[0], "code": r[1], "service": r[2], "service_name": r[3], "agency": r[4], "priority": r[5],
                "status": r[6], "issued_at": h.clock.iso(r[7]), "called_at": h.clock.iso(r[8]), "desk": r[9],
                "waited_s": int((r[8] if r[8] is not None else (r[11] if r[11] is not None else now)) - r[7])}
               for r in rows]
    return jsonify({"tickets": tickets})


def _ticket_action(summary_text: str, path: str, body=None, errors=(404, 409)):
    def decorate(fn):
        @endpoint(summary_text, auth=SUPERVISORS, body=body, responses={200: TicketResult}, errors=errors,
                  tag="supervision")
        def view(actor, ticket_id: int, **kwargs):
            h = hub()
            outcome = fn(h.service, actor, ticket_id, **kwargs)
            h.publish(outcome)
            return jsonify({"ticket": outcome.result})

        view.__name__ = fn.__name__
        api.add_url_rule(f"/tickets/<id:ticket_id>/{path}", endpoint=fn.__name__, view_func=view, methods=["POST"])
        return fn

    return decorate


@_ticket_action("Call this waiting ticket to a desk (open, idle, offering its service)", "call", body=CallTicketRequest)
def call_ticket(service, actor, ticket_id, body):
    return service.call_ticket(actor, ticket_id, body.desk)


@_ticket_action("A no-show of today waits again, at its original place", "reactivate")
def reactivate_ticket(service, actor, ticket_id):
    return service.reactivate(actor, ticket_id)


@_ticket_action("Cancel a waiting or called ticket", "cancel", body=CancelRequest)
def cancel_ticket(service, actor, ticket_id, body):
    return service.cancel(actor, ticket_id, body.reason)


@_ticket_action("A waiting ticket waits for another service instead, keeping its code and place", "move",
                body=MoveRequest)
def move_ticket(service, actor, ticket_id, body):
    return service.move(actor, ticket_id, body.service)


# ---- user administration ----------------------------------------------------------------------
def _user_json(user) -> dict:
    return {"id": user.id, "username": user.username, "role": user.role, "agency": user.agency, "active": user.active}


def _user_change(actor, fn, username: str, *args):
    """One change of a user by an admin; its event is written in the change's transaction."""
    h = hub()
    with h.storage.read() as db:
        row = db.execute("SELECT id FROM users WHERE username = ?", [username.strip().lower()]).fetchone()
    if row is None:
        raise ApiError(404, "unknown_user", f"there is no user {username.strip().lower()!r}")
    try:
        user = fn(h.storage, row[0], *args, journal=ev.Journal(h.clock, actor))
    except users_mod.UserError as err:
        raise ApiError(400, "invalid_user", str(err)) from None
    return jsonify({"user": _user_json(user)})


@api.get("/admin/users")
@endpoint("Every user", auth=ADMINS, responses={200: AdminUserList}, tag="admin")
def admin_users(actor):
    return jsonify({"users": [_user_json(u) for u in users_mod.list_users(hub().storage)]})


@api.post("/admin/users")
@endpoint("Add a user (same rules as `hangdoi user add`)", auth=ADMINS, body=NewUserRequest,
          responses={201: AdminUserEnvelope}, errors=(409,), tag="admin")
def admin_add_user(actor, body: NewUserRequest):
    h = hub()
    with h.storage.read() as db:
        if db.execute("SELECT 1 FROM users WHERE username = ?", [body.username.strip().lower()]).fetchone():
            raise ApiError(409, "user_exists", f"a user named {body.username.strip().lower()!r} already exists")
    try:
        user = users_mod.create_user(h.storage, body.username, body.password, body.role, body.agency,
                                     journal=ev.Journal(h.clock, actor))
    except users_mod.UserError as err:
        raise ApiError(400, "invalid_user", str(err)) from None
    log.info("user %s (%s) added by %s", user.username, user.role, actor.name)
    response = jsonify({"user": _user_json(user)})
    response.status_code = 201
    return response


@api.post("/admin/users/disable")
@endpoint("Disable a user: his access tokens stop working at once", auth=ADMINS, body=UsernameRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_disable_user(actor, body: UsernameRequest):
    if body.username.strip().lower() == (actor.name or "").lower():
        raise ApiError(400, "invalid_user", "you cannot disable your own account")
    return _user_change(actor, users_mod.set_active, body.username, False)


@api.post("/admin/users/enable")
@endpoint("Enable a disabled user", auth=ADMINS, body=UsernameRequest, responses={200: AdminUserEnvelope},
          errors=(404,), tag="admin")
def admin_enable_user(actor, body: UsernameRequest):
    return _user_change(actor, users_mod.set_active, body.username, True)


@api.post("/admin/users/password")
@endpoint("Set a new password: the user's access tokens stop working", auth=ADMINS, body=PasswordRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_reset_password(actor, body: PasswordRequest):
    return _user_change(actor, users_mod.reset_password, body.username, body.password)


@api.post("/admin/users/agency")
@endpoint("Bind a user to an agency (officers need one)", auth=ADMINS, body=AgencyRequest,
          responses={200: AdminUserEnvelope}, errors=(404,), tag="admin")
def admin_set_agency(actor, body: AgencyRequest):
    return _user_change(actor, users_mod.set_agency, body.username, body.agency)


# ---- the page ---------------------------------------------------------------------------------
@pages.get("/supervisor")
def supervisor_page():
    """Sign in, then the live picture, the reports and (admins) the users; all of it in supervisor.js."""
    return render_page("supervisor.html")


# ---- opening hours: a rule of issuing (server.rules.hours.check_issuing) ------------------------
opening_text = hours_rule.opening_text


# ---- end of day -------------------------------------------------------------------------------
def run_end_of_day(h) -> Outcome | None:
    """Close what is left of earlier days and push the changes; never raises (logged instead)."""
    try:
        outcome = h.service.close_earlier_days()
    except Exception:
        log.exception("end-of-day close failed; it will be tried again")
        return None
    result = outcome.result
    if result["tickets"] or result["desks"]:
        log.info("end of day: %s tickets of earlier days closed as cancelled, %s desks closed (day %s)",
                 result["tickets"], result["desks"], result["day"])
    h.publish(outcome)
    return outcome


def end_of_day_loop(h, sleep, *, max_sleep_s: float = 60.0, rounds: int | None = None) -> None:
    """Sleep until the next local midnight (waking at least every ``max_sleep_s`` to notice clock
    jumps), then close the day. ``rounds`` bounds the loop for tests."""
    last = h.clock.day_of(h.clock.now())
    while rounds is None or rounds > 0:
        now = h.clock.now()
        until_midnight = h.clock.end_of_day(h.clock.local(now).date()) - now
        sleep(max(0.2, min(until_midnight + 0.2, max_sleep_s)))
        day = h.clock.day_of(h.clock.now())
        if day != last and run_end_of_day(h) is not None:
            last = day
        if rounds is not None:
            rounds -= 1


def register(app, hub) -> None:
    """Called by the application factory: add the supervision routes."""
    app.register_blueprint(api)
    app.register_blueprint(pages)
    run_end_of_day(hub)                       # on start after a night off
    if not isinstance(hub.clock, FixedClock) and hub.realtime is not None:
        # a FixedClock never moves by itself: tests call run_end_of_day / end_of_day_loop directly
        sio = hub.realtime.socketio
        sio.start_background_task(end_of_day_loop, hub, sio.sleep)
