"""Satisfaction ratings: who may rate, one rating per finished ticket, 400/401/403/404/409."""
from __future__ import annotations

import json

import pytest

from server.auth.users import create_user
from server.rules import Conflict, Invalid
from server.web.app import create_app
from tests.conftest import KIOSK, OFFICER_STP, bearer, make_config


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, displays=[
        {"id": "hall-1", "token": "hall-token-1", "kind": "hall"},
        {"id": "desk-1", "token": "desk-token-1", "kind": "desk", "desk": 1},
        {"id": "desk-2", "token": "desk-token-2", "kind": "desk", "desk": 2},
    ])


@pytest.fixture
def client(config, storage, clock):
    app = create_app(config, storage=storage, clock=clock, voice=False)
    create_user(storage, "stp1", "mat-khau-1", "officer", "STP")
    create_user(storage, "gs", "mat-khau-3", "supervisor")
    return app.test_client()


@pytest.fixture
def staff(client):
    return {name: client.post("/api/v1/auth/login", json={"username": name, "password": pw}).get_json()["access_token"]
            for name, pw in (("stp1", "mat-khau-1"), ("gs", "mat-khau-3"))}


def served_ticket(client, staff, clock, *, finish=True):
    """Issue a ticket and serve it at desk 1 (stp1); returns the ticket."""
    ticket = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer("kiosk-token-1")).get_json()["ticket"]
    clock.advance(minutes=5)
    client.post("/api/v1/desks/1/next", headers=bearer(staff["stp1"]))
    clock.advance(minutes=1)
    client.post("/api/v1/desks/1/start", headers=bearer(staff["stp1"]))
    if finish:
        clock.advance(minutes=10)
        client.post("/api/v1/desks/1/finish", headers=bearer(staff["stp1"]))
    return ticket


def secret_of(ticket):
    return ticket["status_url"].split("?t=")[1]


def rate(client, ticket, score=5, headers=None, secret=None, **extra):
    path = f"/api/v1/tickets/{ticket['id']}/rating" + (f"?t={secret}" if secret is not None else "")
    return client.post(path, json={"score": score, **extra}, headers=headers or {})


def test_the_desk_display_rates_the_ticket_its_desk_served(client, staff, clock, storage):
    ticket = served_ticket(client, staff, clock)
    clock.advance(20)
    r = rate(client, ticket, 5, bearer("desk-token-1"), comment="  Cán bộ nhiệt tình  ")
    assert r.status_code == 201
    rating = r.get_json()["rating"]
    assert rating == {"ticket": ticket["id"], "code": "A001", "score": 5, "label": "Rất hài lòng",
                      "comment": "Cán bộ nhiệt tình", "desk": 1, "source": "desk_display",
                      "rated_at": "2026-11-23T08:16:20+07:00", "levels": 5, "reason": None}
    with storage.read() as db:
        row = db.execute("SELECT r.score, r.desk, u.username, r.source, r.day FROM ratings r "
                         "JOIN users u ON u.id = r.officer WHERE r.ticket = ?", [ticket["id"]]).fetchone()
        event = db.execute("SELECT type, desk, data FROM events WHERE ticket = ? ORDER BY id DESC LIMIT 1",
                           [ticket["id"]]).fetchone()
    assert row == (5, 1, "stp1", "desk_display", "2026-11-23")       # stored with desk and officer
    assert event[:2] == ("rated", 1) and json.loads(event[2]) == {"code": "A001", "score": 5, "source": "desk_display"}


def test_the_phone_rates_with_the_tickets_secret(client, staff, clock):
    ticket = served_ticket(client, staff, clock)
    assert rate(client, ticket, 1, secret="wrong").status_code == 403
    assert rate(client, ticket, 1, secret="wrong").get_json()["error"]["code"] == "invalid_secret"
    r = rate(client, ticket, 1, secret=secret_of(ticket))
    assert r.status_code == 201 and r.get_json()["rating"]["source"] == "phone"
    assert r.get_json()["rating"]["label"] == "Rất không hài lòng"


def test_staff_may_rate_for_the_visitor(client, staff, clock):
    ticket = served_ticket(client, staff, clock)
    r = rate(client, ticket, 3, bearer(staff["gs"]))
    assert r.status_code == 201 and r.get_json()["rating"]["source"] == "staff"


def test_who_may_not_rate(client, staff, clock):
    ticket = served_ticket(client, staff, clock)
    assert rate(client, ticket).status_code == 401
    assert rate(client, ticket, headers=bearer("nonsense-token")).status_code == 401
    for token in ("kiosk-token-1", "hall-token-1", "desk-token-2"):   # another desk's display too
        r = rate(client, ticket, headers=bearer(token))
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden", token
    # a ticket that does not exist: staff learn it, visitors cannot probe ids
    assert client.post("/api/v1/tickets/999/rating", json={"score": 5},
                       headers=bearer(staff["gs"])).status_code == 404
    r = client.post("/api/v1/tickets/999/rating?t=abc", json={"score": 5})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "invalid_secret"
    assert rate(client, ticket, headers=bearer("desk-token-1")).status_code == 201


def test_only_a_finished_ticket_is_rated_and_only_once(client, staff, clock):
    waiting = client.post("/api/v1/tickets", json={"service": "CA-CC"}, headers=bearer("kiosk-token-1")).get_json()["ticket"]
    r = rate(client, waiting, headers=bearer(staff["gs"]))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_done"
    serving = served_ticket(client, staff, clock, finish=False)
    assert rate(client, serving, headers=bearer("desk-token-1")).get_json()["error"]["code"] == "not_done"
    client.post("/api/v1/desks/1/finish", headers=bearer(staff["stp1"]))
    assert rate(client, serving, 4, headers=bearer("desk-token-1")).status_code == 201
    r = rate(client, serving, 5, secret=secret_of(serving))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_rated"


def test_a_no_show_is_not_rated(client, staff, clock):
    ticket = client.post("/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer("kiosk-token-1")).get_json()["ticket"]
    client.post("/api/v1/desks/1/next", headers=bearer(staff["stp1"]))
    client.post("/api/v1/desks/1/no-show", headers=bearer(staff["stp1"]))
    assert rate(client, ticket, secret=secret_of(ticket)).status_code == 409


@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": -1}, {"score": "5"}, {"score": 4.5},
                                  {"score": True}, {"score": None}, {}, {"score": 5, "comment": "x" * 501},
                                  {"score": 5, "extra": 1}])
def test_a_score_out_of_range_is_400(client, staff, clock, body):
    ticket = served_ticket(client, staff, clock)
    r = client.post(f"/api/v1/tickets/{ticket['id']}/rating", json=body, headers=bearer(staff["gs"]))
    assert r.status_code == 400, body
    if "score" in body and "comment" not in body and "extra" not in body:
        assert r.get_json()["error"]["code"] == "invalid_score"


def test_rating_rule_directly(service, clock):
    ticket = service.issue(KIOSK, "STP-LLTP").result
    with pytest.raises(Conflict):
        service.rate(OFFICER_STP, ticket["id"], 5, None, "staff")
    service.call_next(OFFICER_STP, 1)
    service.finish(OFFICER_STP, 1)
    with pytest.raises(Invalid):
        service.rate(OFFICER_STP, ticket["id"], 7, None, "staff")
    with pytest.raises(Invalid):
        service.rate(OFFICER_STP, ticket["id"], 5, None, "carrier-pigeon")
    # a phone rating after midnight is filed under the ticket's own day
    clock.advance(hours=17)
    outcome = service.rate(OFFICER_STP, ticket["id"], 4, "", "phone")
    assert outcome.result["comment"] is None and outcome.events[0].type == "rated"
    with service.storage.read() as db:
        assert db.execute("SELECT day FROM ratings").fetchone()[0] == "2026-11-23"
