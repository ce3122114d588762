"""Lookup (issue 14, contract section 8): procedures, dossier codes, the ratings report.

    GET  /api/v1/lookup                          anyone: what the screens need (fields, dossier lookup, ratings)
    GET  /api/v1/procedures?q=TEXT[&limit=N]     anyone: search, best first (400 for an empty q)
    GET  /api/v1/procedures?field=NAME           anyone: the procedures of one field
    GET  /api/v1/procedures/fields               anyone: every field with its count
    GET  /api/v1/procedures/{code}               anyone: one procedure
    POST /api/v1/tickets/{id}/dossiers {"code"}  the officer at that ticket's desk, supervisors, admins
    GET  /api/v1/dossiers/link?code=CODE         anyone: the province's status page of a dossier
    GET  /api/v1/dossiers/qr.png?code=CODE       anyone: the QR of that page
    GET  /api/v1/reports/ratings?from&to[&agency]&format=csv|xlsx|json   supervisor, admin

``register`` loads the config's catalog into the site's database at start (only when it changed).
The search itself is ``server.lookup.store``: the hub calls it on its own database.
"""
from __future__ import annotations

import io
import logging

from flask import Blueprint, Response, jsonify, request
from pydantic import Field

from ..lookup import store
from ..lookup.dossiers import EXAMPLE
from ..reports.ratings import rating_rows, ratings_csv, ratings_json, ratings_xlsx
from ..rules.ratings import labels
from .auth import STAFF, hub
from .endpoint import endpoint
from .errors import ApiError
from .schemas import PlainText, Request, Response as ResponseModel

log = logging.getLogger("hangdoi.lookup")

api = Blueprint("lookup_api", __name__, url_prefix="/api/v1")


class DossierRequest(Request):
    code: PlainText = Field(min_length=1, max_length=64, description=f"a dossier code, e.g. {EXAMPLE}")


DossierRequest.error_codes = {"code": "invalid_dossier_code"}


class ProcedureModel(ResponseModel):
    code: str
    name: str
    field: str
    agency: str
    agency_name: str
    service: str
    documents: list[str]
    fee: str
    processing_time: str


class ProcedureList(ResponseModel):
    procedures: list[ProcedureModel]


class ProcedureEnvelope(ResponseModel):
    procedure: ProcedureModel


class FieldList(ResponseModel):
    fields: list[dict]


class DossierAdded(ResponseModel):
    ticket: int
    code: str
    dossiers: list[str]


class DossierLink(ResponseModel):
    code: str
    url: str


class LookupInfo(ResponseModel):
    procedures: int
    fields: list[dict]
    dossier: dict
    ratings: dict


def _read(fn, *args):
    with hub().storage.read() as db:
        return fn(db, *args)


# ---- what the screens need ------------------------------------------------------------------
@api.get("/lookup")
@endpoint("What the kiosk, phone and desk screens need for lookup and ratings", responses={200: LookupInfo},
          tag="lookup")
def lookup_info(actor):
    h = hub()
    r = h.config.ratings
    return jsonify({
        "procedures": _read(store.count),
        "fields": _read(store.fields),
        "dossier": {"status_page": bool(h.config.lookup.dossier.status_url), "example": EXAMPLE},
        "ratings": {"levels": r.levels, "reason_at_most": r.reason_at_most, "reasons": list(r.reasons),
                    "reason_keys": _reason_keys(r.reasons),
                    "labels": [labels(r.levels)[i] for i in range(1, r.levels + 1)], "timeout_s": 30},
    })


def _reason_keys(reasons) -> list:
    """The catalog key of each reason that is one of the default ones (rating.reason.N), so that
    screens show it in their language; None for a center's own reason (shown as written)."""
    from .. import i18n

    defaults = {i18n.t(f"rating.reason.{i}", "vi"): f"rating.reason.{i}" for i in range(1, 6)}
    return [defaults.get(reason) for reason in reasons]


# ---- procedures -----------------------------------------------------------------------------
@api.get("/procedures")
@endpoint("Search the procedures (best first), or list one field's", responses={200: ProcedureList}, errors=(400,),
          query={"q": f"search text (1–{store.MAX_QUERY} characters; marks and one typo a word are forgiven)",
                 "field": "a field's name: its procedures in catalog order (instead of q)",
                 "limit": "at most this many (1–100, default 20)"}, tag="lookup")
def procedures(actor):
    args = request.args
    try:
        found = _read(store.answer, args.get("q"), args.get("field"), args.get("limit"))
    except store.QueryError as err:
        raise ApiError(400, err.code, err.message) from None
    return jsonify({"procedures": found})


@api.get("/procedures/fields")
@endpoint("Every field (lĩnh vực) with its number of procedures", responses={200: FieldList}, tag="lookup")
def procedure_fields(actor):
    return jsonify({"fields": _read(store.fields)})


@api.get("/procedures/<code>")
@endpoint("One procedure", responses={200: ProcedureEnvelope}, errors=(404,), tag="lookup")
def procedure(actor, code: str):
    found = _read(store.get, code) if len(code) <= 64 else None
    if found is None:
        raise ApiError(404, "unknown_procedure", "there is no procedure with this code")
    return jsonify({"procedure": found})


# ---- dossiers -------------------------------------------------------------------------------
@api.post("/tickets/<id:ticket_id>/dossiers")
@endpoint("Join a dossier code (mã hồ sơ) to a ticket", auth=STAFF, body=DossierRequest,
          responses={201: DossierAdded}, errors=(400, 401, 403, 404, 409), tag="lookup",
          description="The officer at the ticket's desk (who served it, or who sits there now), supervisors, "
                      "admins. 400 `invalid_dossier_code` when the code does not match `[lookup] dossier_pattern` "
                      f"(default the national format, e.g. {EXAMPLE}); 409 `duplicate_dossier` for a code "
                      "already on the ticket. Writes a `dossier_added` event.")
def add_dossier(actor, ticket_id: int, body: DossierRequest):
    h = hub()
    outcome = h.service.add_dossier(actor, ticket_id, body.code, h.config.lookup.dossier)
    h.publish(outcome)
    response = jsonify(outcome.result)
    response.status_code = 201
    return response


def _dossier_link() -> tuple[str, str]:
    pattern = hub().config.lookup.dossier
    if not pattern.status_url:
        raise ApiError(404, "no_status_page", "this center has no dossier status page ([lookup] dossier_status_url)")
    code = pattern.normalize(request.args.get("code", ""))
    if code is None:
        raise ApiError(400, "invalid_dossier_code", "Mã hồ sơ không đúng định dạng / the dossier code does not match "
                                                    f"the expected format (e.g. {EXAMPLE})")
    return code, pattern.link(code)


@api.get("/dossiers/link")
@endpoint("The province's status page of a dossier", responses={200: DossierLink}, errors=(400, 404),
          query={"code": "a dossier code"}, tag="lookup",
          description="Hàng Đợi does not copy the dossier system: it points to `[lookup] dossier_status_url`.")
def dossier_link(actor):
    code, url = _dossier_link()
    return jsonify({"code": code, "url": url})


@api.get("/dossiers/qr.png")
@endpoint("The QR code of a dossier's status page (PNG)", responses={200: "image/png"}, errors=(400, 404),
          query={"code": "a dossier code"}, produces="image/png", tag="lookup")
def dossier_qr(actor):
    from PIL import Image

    from kiosk.ticket_layout import WHITE, qr_image, qr_modules

    _, url = _dossier_link()
    module = max(4, 280 // qr_modules(url))
    symbol = qr_image(url, module)
    quiet = 4 * module
    img = Image.new("1", (symbol.width + 2 * quiet, symbol.height + 2 * quiet), WHITE)
    img.paste(symbol, (quiet, quiet))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return Response(buf.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


# ---- the ratings report ---------------------------------------------------------------------
@api.get("/reports/ratings")
@endpoint("Every rating of the period: one row each, for the province's evaluation", auth=("supervisor", "admin"),
          responses={200: "text/csv"}, errors=(400,), tag="reports",
          query={"from": "first local day, YYYY-MM-DD", "to": "last local day, YYYY-MM-DD",
                 "agency": "an agency code (optional)", "format": "csv (default), xlsx or json"},
          description="Date, site, agency, desk, officer, dossier codes, score with its scale (levels 5 or 3) "
                      "and on 1–5, reason, comment.")
def report_ratings(actor):
    from .offload import off_the_loop
    from .reports_api import _period

    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx", "json"):
        raise ApiError(400, "invalid_format", "format must be csv, xlsx or json")
    period = _period()
    site = _site_code(hub().config)
    rows = off_the_loop(lambda h, p: _rows(h, p, site), period)
    tz = hub().config.tz
    if fmt == "json":
        return jsonify({"period": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                                   "agency": period.agency, "site": site}, "ratings": ratings_json(rows, tz)})
    data = ratings_csv(rows) if fmt == "csv" else ratings_xlsx(rows, hub().config.center.name)
    name = f"hangdoi-danh-gia-{period.start.isoformat()}_{period.end.isoformat()}"
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})


def _rows(h, period, site):
    with h.storage.read() as db:
        return rating_rows(db, h.config.tz, period, site)


def _site_code(config) -> str:
    """The site's code when the config has a ``[site]`` (one site of a province, issue 12); else ""."""
    return config.site.code if config.site is not None else ""


# ---- start ----------------------------------------------------------------------------------
def register(app, h) -> None:
    """Load the config's catalog into the database (once per change of the file's content)."""
    app.register_blueprint(api)
    procedures = list(h.config.lookup.procedures)
    if h.config.lookup.procedures_file is None:
        return
    if h.config.site is not None:
        from ..site.procedures import stored_fingerprint
        if stored_fingerprint(h.storage):           # the hub's catalog (issue 14) wins over the file
            log.info("procedure catalog: the hub's copy (%s is not loaded)", h.config.lookup.procedures_file.name)
            return
    changed = h.storage.run_write(lambda db: store.replace_catalog(db, procedures, h.clock.now()))
    if changed:
        log.info("procedure catalog loaded: %d procedures from %s", len(procedures), h.config.lookup.procedures_file)

