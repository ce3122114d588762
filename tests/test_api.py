"""The HTTP API: every status code of the contract, the error shape, and the OpenAPI document."""
from __future__ import annotations

import re

import pytest

from server.web import schemas
from server.web.app import create_app
from tests.conftest import add_staff, bearer, staff_tokens


@pytest.fixture
def app(config, storage, clock):
    app = create_app(config, storage=storage, clock=clock)
    add_staff(storage)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(client):
    return {"kiosk": "kiosk-token-1", "display": "hall-token-1", **staff_tokens(client)}


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["error"]["code"].replace("_", "").isalpha() and body["error"]["code"].islower()
    if code:
        assert body["error"]["code"] == code


def issue(client, tokens, service="STP-LLTP", **extra):
    return client.post("/api/v1/tickets", json={"service": service, **extra}, headers=bearer(tokens["kiosk"]))


# ---- public -----------------------------------------------------------------------------------
def test_health(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_catalog_lists_agencies_services_and_waits(client, tokens):
    issue(client, tokens)
    body = client.get("/api/v1/catalog").get_json()
    schemas.Catalog.model_validate(body)
    assert body["center"]["name"].startswith("Trung tâm")
    assert [a["code"] for a in body["agencies"]] == ["STP", "CA"]
    lltp = body["agencies"][0]["services"][0]
    assert lltp["code"] == "STP-LLTP" and lltp["waiting"] == 1
    # no desk of the service is open: no number, and the reason (issue 10)
    assert lltp["estimated_wait_s"] is None and lltp["estimate"] == {"kind": "no_open_desk", "opens_at": None}
    assert body["center"]["is_open"] is True


def test_queues(client, tokens):
    issue(client, tokens)
    issue(client, tokens, "CA-CC")
    body = client.get("/api/v1/queues").get_json()
    schemas.Queues.model_validate(body)
    waiting = {s["code"]: s["waiting"] for s in body["services"]}
    assert waiting == {"STP-LLTP": 1, "STP-HT": 0, "CA-CC": 1}


# ---- login ------------------------------------------------------------------------------------
def test_login(client):
    r = client.post("/api/v1/auth/login", json={"username": "stp1", "password": "mat-khau-1"})
    body = r.get_json()
    schemas.LoginResponse.model_validate(body)
    assert body["user"] == {"id": body["user"]["id"], "username": "stp1", "role": "officer", "agency": "STP"}
    assert_error(client.post("/api/v1/auth/login", json={"username": "stp1", "password": "wrong"}), 401,
                 "invalid_credentials")
    assert_error(client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}), 401)
    assert_error(client.post("/api/v1/auth/login", json={"username": "stp1"}), 400)


def test_expired_forged_and_revoked_tokens_are_401(app, client, tokens, storage):
    assert_error(client.get("/api/v1/desks/1", headers=bearer("forged.token.value")), 401, "invalid_token")
    assert_error(client.get("/api/v1/desks/1", headers={"Authorization": "Basic abc"}), 401)
    hub = app.extensions["hangdoi"]
    hub.signer.ttl_s = -1                       # every token is now past its lifetime
    assert_error(client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])), 401, "invalid_token")
    hub.signer.ttl_s = 3600
    assert client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])).status_code == 200
    with storage.write() as db:
        db.execute("UPDATE users SET active = 0 WHERE username = 'stp1'")
    assert_error(client.get("/api/v1/desks/1", headers=bearer(tokens["stp1"])), 401)


# ---- tickets ----------------------------------------------------------------------------------
def test_issue_ticket_201_with_the_contract_shape(client, tokens):
    r = issue(client, tokens, priority="elderly")
    assert r.status_code == 201
    t = r.get_json()["ticket"]
    schemas.Ticket.model_validate(t)
    assert t["code"] == "A001" and t["priority"] == "elderly" and t["status"] == "waiting"


def test_staff_may_issue_too_but_displays_may_not(client, tokens):
    assert issue(client, {"kiosk": tokens["gs"]}).status_code == 201
    assert_error(issue(client, {"kiosk": tokens["display"]}), 403, "forbidden")
    assert_error(client.post("/api/v1/tickets", json={"service": "STP-LLTP"}), 401, "unauthorized")


@pytest.mark.parametrize("body,code", [
    ({"service": "STP-LLTP", "priority": "vip"}, "invalid_priority"),
    ({"service": "STP-LLTP", "priority": 1}, "invalid_priority"),
    ({"service": 12}, "invalid_request"),
    ({"service": ""}, "invalid_request"),
    ({}, "invalid_request"),
    ({"service": "STP-LLTP", "colour": "red"}, "invalid_request"),
    ([1, 2], "invalid_json"),
    ("text", "invalid_json"),
    (None, "invalid_request"),          # no body at all: the service is missing
])
def test_issue_ticket_bad_bodies_are_400(client, tokens, body, code):
    r = client.post("/api/v1/tickets", json=body, headers=bearer(tokens["kiosk"]))
    assert_error(r, 400, code)


def test_issue_ticket_garbage_bytes_and_huge_bodies(client, tokens):
    assert_error(client.post("/api/v1/tickets", data=b"\xff\xfe{not json", headers=bearer(tokens["kiosk"])),
                 400, "invalid_json")
    assert_error(client.post("/api/v1/tickets", data=b"{" * 70000, headers=bearer(tokens["kiosk"])), 413)
    deep = b"[" * 30000 + b"]" * 30000                     # under the size limit, deeper than the parser goes
    assert_error(client.post("/api/v1/tickets", data=deep, headers=bearer(tokens["kiosk"])), 400, "invalid_json")


def test_issue_ticket_unknown_service_404(client, tokens):
    assert_error(issue(client, tokens, "NOPE"), 404, "unknown_service")


def test_get_ticket_by_staff_or_with_its_secret(client, tokens):
    t = issue(client, tokens).get_json()["ticket"]
    secret = t["status_url"].split("?t=")[1]
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=bearer(tokens["stp1"]))
    assert r.status_code == 200 and r.get_json()["ticket"]["code"] == "A001"
    r = client.get(f"/api/v1/tickets/{t['id']}?t={secret}")
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == t["id"]
    assert_error(client.get(f"/api/v1/tickets/{t['id']}"), 401)
    assert_error(client.get(f"/api/v1/tickets/{t['id']}?t=wrong"), 403, "invalid_secret")
    assert_error(client.get(f"/api/v1/tickets/{t['id']}", headers=bearer(tokens["kiosk"])), 403)
    assert_error(client.get("/api/v1/tickets/999", headers=bearer(tokens["gs"])), 404, "unknown_ticket")
    assert_error(client.get("/api/v1/tickets/999?t=abc"), 403)       # does not reveal which ids exist
    assert_error(client.get("/api/v1/tickets/99999999999999999999999", headers=bearer(tokens["gs"])), 404)
    assert_error(client.get("/api/v1/tickets/abc", headers=bearer(tokens["gs"])), 404)


# ---- desks ------------------------------------------------------------------------------------
def test_desk_flow_next_recall_start_finish(client, tokens):
    issue(client, tokens)
    h = bearer(tokens["stp1"])
    r = client.post("/api/v1/desks/1/next", headers=h)
    assert r.status_code == 200
    schemas.MaybeTicketEnvelope.model_validate(r.get_json())
    assert r.get_json()["ticket"]["status"] == "called" and r.get_json()["ticket"]["desk"] == 1
    assert client.post("/api/v1/desks/1/recall", headers=h).get_json()["ticket"]["code"] == "A001"
    assert client.post("/api/v1/desks/1/start", headers=h).get_json()["ticket"]["status"] == "serving"
    assert client.post("/api/v1/desks/1/finish", headers=h).get_json()["ticket"]["status"] == "done"
    desk = client.get("/api/v1/desks/1", headers=h).get_json()
    schemas.DeskEnvelope.model_validate(desk)
    assert desk["desk"]["current_ticket"] is None and desk["desk"]["served_today"] == 1
    r = client.post("/api/v1/desks/1/next", headers=h)
    assert r.status_code == 200 and r.get_json() == {"ticket": None}


def test_desk_list_officers_see_their_agency(client, tokens):
    r = client.get("/api/v1/desks", headers=bearer(tokens["stp1"]))
    schemas.DeskList.model_validate(r.get_json())
    assert [d["number"] for d in r.get_json()["desks"]] == [1, 2]
    assert [d["number"] for d in client.get("/api/v1/desks", headers=bearer(tokens["gs"])).get_json()["desks"]] == [1, 2, 3]
    assert_error(client.get("/api/v1/desks", headers=bearer(tokens["kiosk"])), 403)


def test_desk_actions_without_a_current_ticket_are_409(client, tokens):
    h = bearer(tokens["stp1"])
    for action in ("recall", "start", "finish", "no-show"):
        assert_error(client.post(f"/api/v1/desks/1/{action}", headers=h), 409, "no_current_ticket")
    assert_error(client.post("/api/v1/desks/1/transfer", json={"service": "CA-CC"}, headers=h), 409)


def test_officer_of_another_agency_403_kiosk_403_anonymous_401(client, tokens):
    issue(client, tokens)
    assert_error(client.post("/api/v1/desks/1/next", headers=bearer(tokens["ca1"])), 403, "forbidden")
    assert_error(client.post("/api/v1/desks/1/next", headers=bearer(tokens["kiosk"])), 403, "forbidden")
    assert_error(client.post("/api/v1/desks/1/next", headers=bearer(tokens["display"])), 403)
    assert_error(client.get("/api/v1/desks/1", headers=bearer(tokens["kiosk"])), 403)
    assert_error(client.post("/api/v1/desks/1/next"), 401)
    assert client.post("/api/v1/desks/1/next", headers=bearer(tokens["gs"])).status_code == 200
    assert client.post("/api/v1/desks/3/next", headers=bearer(tokens["root"])).status_code == 200


def test_another_agencys_desk_is_refused_before_its_body_is_read(client, tokens):
    """Who may not act at a desk gets 403 whatever he sends, not a 400 that tells him the body's rules;
    an unknown desk is 404 before the body too."""
    other = bearer(tokens["ca1"])
    for path, body in (("pause", {"reason": 7}), ("pause", None), ("transfer", {"service": "NO-SUCH", "x": 1})):
        assert_error(client.post(f"/api/v1/desks/1/{path}", json=body, headers=other), 403, "forbidden")
    assert_error(client.post("/api/v1/desks/77/pause", data="not json", headers=bearer(tokens["gs"])), 404, "unknown_desk")
    assert_error(client.post("/api/v1/desks/1/pause", json={"reason": 7}, headers=bearer(tokens["stp1"])), 400)


def test_unknown_desk_404(client, tokens):
    assert_error(client.post("/api/v1/desks/77/next", headers=bearer(tokens["gs"])), 404, "unknown_desk")
    assert_error(client.get("/api/v1/desks/77", headers=bearer(tokens["gs"])), 404)
    assert_error(client.post("/api/v1/desks/-1/next", headers=bearer(tokens["gs"])), 404)


def test_no_show_transfer_pause_resume(client, tokens):
    h = bearer(tokens["stp1"])
    issue(client, tokens)
    issue(client, tokens)
    client.post("/api/v1/desks/1/next", headers=h)
    assert client.post("/api/v1/desks/1/no-show", headers=h).get_json()["ticket"]["status"] == "no_show"
    client.post("/api/v1/desks/1/next", headers=h)
    r = client.post("/api/v1/desks/1/transfer", json={"service": "CA-CC"}, headers=h)
    assert r.status_code == 200 and r.get_json()["ticket"]["service"] == "CA-CC"
    assert_error(client.post("/api/v1/desks/1/transfer", json={}, headers=h), 400)
    client.post("/api/v1/desks/3/next", headers=bearer(tokens["ca1"]))
    assert_error(client.post("/api/v1/desks/3/transfer", json={"service": "NOPE"}, headers=bearer(tokens["ca1"])),
                 404, "unknown_service")
    r = client.post("/api/v1/desks/1/pause", json={"reason": "Họp"}, headers=h)
    assert r.status_code == 200 and r.get_json()["desk"]["state"] == "paused"
    assert_error(client.post("/api/v1/desks/1/pause", json={"reason": "again"}, headers=h), 409, "already_paused")
    assert_error(client.post("/api/v1/desks/1/pause", json={"reason": ""}, headers=h), 400, "invalid_reason")
    assert_error(client.post("/api/v1/desks/1/pause", json={"reason": "   "}, headers=h), 400, "invalid_reason")
    assert client.post("/api/v1/desks/1/resume", headers=h).get_json()["desk"]["state"] == "open"
    assert_error(client.post("/api/v1/desks/1/resume", headers=h), 409, "not_paused")


def test_unknown_routes_and_methods_are_json(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/v1/tickets"), 405, "method_not_allowed")


# ---- OpenAPI ----------------------------------------------------------------------------------
def test_openapi_describes_every_api_route_with_its_schemas(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule.removeprefix("/api/v1")), m.lower())
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1") and r.endpoint != "api.openapi"
              for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routes == documented
    issue_op = doc["paths"]["/tickets"]["post"]
    body_ref = issue_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    body_schema = doc["components"]["schemas"][body_ref]
    assert body_schema["required"] == ["service"] and body_schema["additionalProperties"] is False
    assert set(issue_op["responses"]) >= {"201", "400", "401", "403", "404"}
    enum = [v for alt in body_schema["properties"]["priority"]["anyOf"] for v in alt.get("enum", [])]
    assert enum == ["elderly", "disabled", "pregnant", "child", "veteran"]
    for ref in _refs(doc):
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_announcement_audio_only_for_calls_that_happened(client, tokens):
    assert client.get("/audio/call/A001/1.wav").status_code == 404        # nobody was called
    issue(client, tokens)
    call = client.post("/api/v1/desks/1/next", headers=bearer(tokens["stp1"])).get_json()["ticket"]
    assert client.get("/audio/call/A001/2.wav").status_code == 404        # not to that desk
    assert client.get("/audio/call/Z999/1.wav").status_code == 404
    r = client.get(f"/audio/call/{call['code']}/1.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and r.get_data()[:4] == b"RIFF"
