"""Live supervision: the supervisor's page and what it reads and does.

Routes (``/api/v1``, every one declared with ``@endpoint`` so that it is in the OpenAPI document):

    GET  /supervision/overview             supervisor, admin: queues, desks, devices, alerts
    GET  /supervision/tickets?status&agency supervisor, admin: today's tickets to act on
    POST /tickets/{id}/call {"desk"}        supervisor, admin: call this ticket to that desk
    POST /tickets/{id}/reactivate          supervisor, admin: a no-show waits again
    POST /tickets/{id}/cancel {"reason"?}  supervisor, admin
    POST /tickets/{id}/move {"service"}     supervisor, admin: wait for another service instead

and the page ``/supervisor``. Reports are ``reports_api``, ratings ``ratings_api``, users
``admin_api``; every push of a supervisor's action goes through the realtime worker.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..reports.live import overview
from ..rules.supervision import todays_tickets
from .auth import hub
from .endpoint import endpoint
from .errors import ApiError
from .pages import TEMPLATES, render_page
from .roles import SUPERVISORS
from .schemas import CallTicketRequest, CancelRequest, MoveRequest, Overview, SupervisedTickets, TicketResult

api = Blueprint("supervision_api", __name__, url_prefix="/api/v1")
pages = Blueprint("supervision_pages", __name__, template_folder=str(TEMPLATES))


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
        rows = todays_tickets(db, h.clock.day_of(now), statuses, agency)
    tickets = [{"id": r["id"], "code": r["code"], "service": r["service"], "service_name": r["service_name"],
                "agency": r["agency"], "priority": r["priority"], "status": r["status"],
                "issued_at": h.clock.iso(r["issued_at"]), "called_at": h.clock.iso(r["called_at"]), "desk": r["desk"],
                "waited_s": int((r["called_at"] if r["called_at"] is not None else
                                 (r["finished_at"] if r["finished_at"] is not None else now)) - r["issued_at"])}
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


@pages.get("/supervisor")
def supervisor_page():
    """Sign in, then the live picture, the reports and (admins) the users; all of it in supervisor.js."""
    return render_page("supervisor.html")
