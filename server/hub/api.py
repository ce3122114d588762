"""The hub's HTTP API, ``/hub/v1`` (contract section 6): errors and auth as a site's API."""
from __future__ import annotations

import json
import math
import threading
import zlib

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..auth.users import authenticate
from ..lookup import store
from ..reports.base import PeriodError, parse_period
from ..reports.export import export_csv, export_rows, export_xlsx
from ..reports.ratings import rating_rows, ratings_csv, ratings_json, ratings_xlsx
from ..reports.summary import summary
from ..web.auth import client_address
from ..web.errors import ApiError
from .ingest import IngestError, authenticate_site, ingest as ingest_batch, parse_batch
from .views import public_sites, site_detail, sites_overview

api = Blueprint("hub_api", __name__, url_prefix="/hub/v1")

STAFF = ("supervisor", "admin")
MAX_INGEST_BYTES = 8 * 1024 * 1024          # compressed or not
MAX_INFLATED_BYTES = 32 * 1024 * 1024


def hub():
    return current_app.extensions["hangdoi_hub"]


def staff():
    """The signed-in hub user (supervisor or admin), or 401/403."""
    if "hub_user" in g:
        return g.hub_user
    h = hub()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "sign in at POST /hub/v1/auth/login and send 'Authorization: Bearer TOKEN'")
    verified = h.signer.verify(token.strip())
    user = h.user(verified[0]) if verified else None
    if user is None or not user.active or user.token_version != verified[1]:
        raise ApiError(401, "invalid_token", "the token is unknown, expired or revoked; sign in again")
    if user.role not in STAFF:
        raise ApiError(403, "forbidden", f"a {user.role} may not use the hub")
    g.hub_user = user
    return user


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return body


@api.get("/health")
def health():
    return jsonify({"status": "ok"})


@api.post("/auth/login")
def login():
    h = hub()
    body = _json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or len(username) > 64 \
            or len(password) > 1024:
        raise ApiError(400, "invalid_body", "give 'username' and 'password' as strings")
    address = client_address()
    wait, stamp = h.login_limiter.attempt(username, address)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, "too_many_attempts", f"Đăng nhập sai quá nhiều lần; xin thử lại sau {seconds} giây "
                       f"(too many failed sign-ins; try again in {seconds} s).", headers={"Retry-After": str(seconds)})
    user = authenticate(h.storage, username, password)
    if user is None or user.role not in STAFF:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    h.login_limiter.succeeded(username, address, stamp)
    return jsonify({"access_token": h.signer.issue(user.id, user.token_version), "token_type": "Bearer",
                    "expires_in": int(h.signer.ttl_s),
                    "user": {"id": user.id, "username": user.username, "role": user.role}})


def _read_ingest_body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_INGEST_BYTES:
        raise ApiError(413, "payload_too_large", f"a batch may be at most {MAX_INGEST_BYTES} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_INGEST_BYTES:
        raise ApiError(413, "payload_too_large", f"a batch may be at most {MAX_INGEST_BYTES} bytes")
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_INFLATED_BYTES)
            if inflater.unconsumed_tail:
                raise ApiError(413, "payload_too_large", "the batch inflates past the limit")
        except zlib.error:
            raise ApiError(400, "invalid_gzip", "the body is not valid gzip") from None
    return raw


#: batches read, parsed and applied at once; the others wait with their bodies unread (in the
#: socket), so a hundred sites pushing together hold a few batches in memory, not a hundred
INGEST_AT_ONCE = threading.BoundedSemaphore(4)


@api.post("/ingest")
def ingest():
    """A site's events (the sender of ``hangdoi serve`` with ``[site]``)."""
    h = hub()
    site = authenticate_site(h.config, request.headers.get("Authorization", ""))
    if site is None:
        raise ApiError(401, "invalid_token", "unknown site token")
    try:
        with INGEST_AT_ONCE:
            answer = ingest_batch(h.storage, h.config, site, parse_batch(_read_ingest_body()), h.clock.now())
    except IngestError as err:
        body = {"error": {"code": err.code, "message": err.message}}
        if err.ack is not None:
            body["ack"] = err.ack
        response = jsonify(body)
        response.status_code = err.status
        return response
    return jsonify(answer)


@api.get("/sites")
def sites():
    staff()
    return jsonify({"sites": sites_overview(hub())})


@api.get("/sites/<code>")
def site(code: str):
    staff()
    detail = site_detail(hub(), code.upper()[:16])
    if detail is None:
        raise ApiError(404, "unknown_site", f"there is no site {code[:16]!r}")
    return jsonify(detail)


@api.get("/public/sites")
def public():
    h = hub()
    return jsonify({"hub": {"name": h.config.hub.name, "timezone": h.config.hub.timezone}, "sites": public_sites(h)})


def _period():
    h = hub()
    args = request.args
    try:
        period = parse_period(args.get("from"), args.get("to"), args.get("agency"))
    except PeriodError as err:
        raise ApiError(400, err.code, err.message) from None
    code = (args.get("site") or "").strip().upper() or None
    if code is not None and h.config.site(code) is None:
        with h.storage.read() as db:
            if db.execute("SELECT 1 FROM sites WHERE code = ?", [code[:16]]).fetchone() is None:
                raise ApiError(404, "unknown_site", f"there is no site {code[:16]!r}")
    from dataclasses import replace
    return replace(period, site=code)


@api.get("/reports/summary")
def report_summary():
    staff()
    h = hub()
    period = _period()
    with h.storage.read() as db:
        return jsonify(summary(db, h.config.tz, period, sites=True))


@api.get("/reports/tickets")
def report_tickets():
    staff()
    h = hub()
    period = _period()
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "invalid_format", "format must be csv or xlsx")
    with h.storage.read() as db:
        rows = export_rows(db, h.config.tz, period, sites=True)
        totals = summary(db, h.config.tz, period, sites=True)["totals"] if fmt == "xlsx" else None
    name = f"hangdoi-tinh-{period.site or 'tat-ca'}-{period.start}_{period.end}"
    if fmt == "csv":
        return Response(export_csv(rows, h.config.tz, sites=True), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    data = export_xlsx(rows, h.config.tz, title=h.config.hub.name, period=period, totals=totals, sites=True)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})




# ---- the province's procedures (issue 14, contract section 8) --------------------------------
def _read(fn, *args):
    with hub().storage.read() as db:
        return fn(db, *args)


@api.get("/public/procedures")
def public_procedures():
    """The same search as a site's ``/api/v1/procedures`` (``q``, or ``field``; ``limit``), over
    the catalog the hub publishes."""
    args = request.args
    try:
        found = _read(store.answer, args.get("q"), args.get("field"), args.get("limit"))
    except store.QueryError as err:
        raise ApiError(400, err.code, err.message) from None
    return jsonify({"procedures": found})


@api.get("/public/procedures/fields")
def public_procedure_fields():
    return jsonify({"fields": _read(store.fields)})


@api.get("/public/procedures/<code>")
def public_procedure(code: str):
    found = _read(store.get, code) if len(code) <= 64 else None
    if found is None:
        raise ApiError(404, "unknown_procedure", "there is no procedure with this code")
    return jsonify({"procedure": found})


@api.get("/site/procedures")
def site_procedures():
    """The catalog the hub publishes, whole, for a site's sender (site token): fetched when the
    fingerprint in an ingest answer differs from the site's copy."""
    h = hub()
    if authenticate_site(h.config, request.headers.get("Authorization", "")) is None:
        raise ApiError(401, "invalid_token", "unknown site token")
    if h.config.procedures_file is None:
        raise ApiError(404, "no_catalog", "this hub publishes no procedure catalog ([lookup] procedures)")
    with h.storage.read() as db:
        row = db.execute("SELECT fingerprint FROM procedure_catalog WHERE id = 1").fetchone()
        items = db.execute("SELECT code, name, field, agency, agency_name, service, documents, fee, processing_time "
                           "FROM procedures ORDER BY position").fetchall()
    procedures = [{"code": r[0], "name": r[1], "field": r[2], "agency": r[3], "agency_name": r[4], "service": r[5],
                   "documents": json.loads(r[6]), "fee": r[7], "processing_time": r[8]} for r in items]
    return jsonify({"fingerprint": row[0] if row else None, "procedures": procedures})


# ---- the ratings of every site (issue 14) ----------------------------------------------------
@api.get("/reports/ratings")
def report_ratings():
    """One row per rating of every site (or ``site``'s): date, site, agency, desk, officer,
    dossiers, score, reason - CSV, Excel or JSON, as a site's ``/api/v1/reports/ratings``."""
    staff()
    h = hub()
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx", "json"):
        raise ApiError(400, "invalid_format", "format must be csv, xlsx or json")
    period = _period()
    with h.storage.read() as db:
        rows = rating_rows(db, h.config.tz, period, sites=True)
    if fmt == "json":
        return jsonify({"period": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                                   "agency": period.agency, "site": period.site},
                        "ratings": ratings_json(rows, h.config.tz)})
    data = ratings_csv(rows) if fmt == "csv" else ratings_xlsx(rows, h.config.hub.name)
    name = f"hangdoi-tinh-danh-gia-{period.site or 'tat-ca'}-{period.start}_{period.end}"
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})
