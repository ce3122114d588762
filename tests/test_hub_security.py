"""The hub's door (issue 12): one token per site, compared in constant time; a site sends only its
own events; replayed, reordered or gapped batches change nothing; malformed batches get a 4xx,
never a 5xx; staff routes need a hub user; no ticket secret ever leaves the site."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from server.auth.users import create_user
from server.hub.app import create_hub_app
from server.hub.config import parse_hub_config
from server.site import set_outbox
from tests.conftest import KIOSK, OFFICER_STP

SITES = {"TN-TT": "token-of-tn-tt-0123456789", "TN-PDP": "token-of-tn-pdp-012345678"}


@pytest.fixture
def hub(tmp_path):
    config = parse_hub_config({
        "hub": {"name": "Tỉnh thử", "database": str(tmp_path / "hub.db")},
        "calendar": {"closed_dates": ["2027-01-01"]},
        "sites": [{"code": c, "name": f"Điểm {c}", "kind": "commune", "token": t} for c, t in SITES.items()],
    }, Path(tmp_path / "hub.toml"))
    app = create_hub_app(config)
    state = app.extensions["hangdoi_hub"]
    create_user(state.storage, "tinh", "mat-khau-tinh", "supervisor")
    return app.test_client(), state


@pytest.fixture
def outbox(storage, service):
    """A real site's outbox: tickets issued, called and finished by the rules, messages as the trigger wrote them."""
    set_outbox(storage, True)
    officer = OFFICER_STP
    for code in ("STP-LLTP", "STP-LLTP", "CA-CC", "STP-HT"):
        service.issue(KIOSK, code)
    service.call_next(officer, 1)
    service.finish(officer, 1)
    with storage.read() as db:
        rows = db.execute("SELECT seq, message FROM outbox ORDER BY seq").fetchall()
        secrets = [s for (s,) in db.execute("SELECT secret FROM tickets")]
    return [{"seq": seq, "m": json.loads(m)} for seq, m in rows], secrets


def post(client, token, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/hub/v1/ingest", data=data, content_type="application/json",
                       headers={**({"Authorization": f"Bearer {token}"} if token else {}), **headers})


def dump(state):
    with state.storage.read() as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("site_events", "tickets", "ratings", "desks")}


def test_the_outbox_carries_the_ticket_after_the_change_but_never_its_secret(outbox):
    items, secrets = outbox
    assert [i["m"]["type"] for i in items] == ["issued"] * 4 + ["desk_opened", "called", "finished"]
    text = json.dumps(items)
    assert secrets and not [s for s in secrets if s in text] and '"secret"' not in text
    called = items[5]["m"]
    assert called["ticket"]["status"] == "called" and called["ticket"]["first_called_at"] == called["at"]
    assert items[6]["m"]["ticket"]["status"] == "done"


def test_a_lone_center_fills_no_outbox(storage, service):
    service.issue(KIOSK, "STP-LLTP")
    with storage.read() as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_tokens_sites_and_batches(hub, outbox):
    client, state = hub
    items, _ = outbox
    assert post(client, None, {"events": items}).status_code == 401
    assert post(client, "token-of-tn-tt-012345678X", {"events": items}).status_code == 401
    assert post(client, "Bearer", {"events": items}).status_code == 401
    r = post(client, SITES["TN-TT"], {"site": "TN-PDP", "events": items})        # another site's events
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "wrong_site"
    assert dump(state)["site_events"] == []

    r = post(client, SITES["TN-PDP"], {"events": items[:3]})        # the site is the token's, not the body's
    assert r.status_code == 200 and r.get_json()["ack"] == 3
    assert r.get_json()["calendar"] == {"version": 1, "closed_dates": ["2027-01-01"]}
    with state.storage.read() as db:
        assert {s for (s,) in db.execute("SELECT DISTINCT site FROM site_events")} == {"TN-PDP"}

    r = post(client, SITES["TN-PDP"], {"events": items[4:]})        # a gap: seq 4 is missing
    assert r.status_code == 409 and r.get_json()["ack"] == 3 and r.get_json()["error"]["code"] == "gap"
    r = post(client, SITES["TN-PDP"], {"events": [items[4], items[3]]})          # reordered
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "not_contiguous"
    before = dump(state)
    assert post(client, SITES["TN-PDP"], {"events": items[:3]}).get_json()["ack"] == 3    # a replay
    assert dump(state) == before
    r = post(client, SITES["TN-PDP"], {"events": items[1:]})        # overlapping: only the new ones count
    assert r.status_code == 200 and r.get_json()["ack"] == len(items)
    after = dump(state)
    assert len(after["site_events"]) == len(items) and len(after["tickets"]) == 4
    assert post(client, SITES["TN-PDP"], {"events": items}).get_json()["ack"] == len(items)
    assert dump(state) == after
    # a replayed older snapshot of a ticket never overwrites a newer one
    with state.storage.read() as db:
        assert db.execute("SELECT status FROM tickets WHERE id = 1").fetchone()[0] == "done"


def test_the_hub_keeps_dossier_codes_and_the_ratings_scale_and_reason(hub, config, storage, service):
    """Issue 14 through the outbox: ``dossier_added`` (a type the hub folds into ``dossiers``, kept
    as an event like any other) and a rating on 3 levels with its reason; the hub's export has them."""
    from server.lookup.dossiers import DossierPattern
    from tests.conftest import OFFICER_STP

    client, state = hub
    set_outbox(storage, True)
    ticket = service.issue(KIOSK, "STP-LLTP").result
    service.call_next(OFFICER_STP, 1)
    from server.rules import Actor
    supervisor = Actor(kind="user", role="supervisor", user_id=None, name="gs")
    service.add_dossier(supervisor, ticket["id"], "000.00.27.H42-261204-0012", DossierPattern())
    service.finish(OFFICER_STP, 1)
    service.rate(OFFICER_STP, ticket["id"], 1, None, "staff", reason="Thời gian chờ lâu", levels=3)
    with storage.read() as db:
        items = [{"seq": seq, "m": json.loads(m)} for seq, m in db.execute("SELECT seq, message FROM outbox ORDER BY seq")]
    weird = {"seq": len(items) + 1, "m": {**items[-1]["m"], "id": 10 ** 6, "type": "dossier_added",
                                           "data": {"dossier": ["not", "a", "code"]}}}
    from types import SimpleNamespace

    from server.site.catalog import build_catalog, catalog_hash
    catalog = build_catalog(SimpleNamespace(config=config, storage=storage))
    r = post(client, SITES["TN-TT"], {"events": items + [weird], "catalog": catalog, "catalog_hash": catalog_hash(catalog)})
    assert r.status_code == 200 and r.get_json()["ack"] == len(items) + 1
    with state.storage.read() as db:
        assert db.execute("SELECT site, ticket, code FROM dossiers").fetchall() == [
            ("TN-TT", ticket["id"], "000.00.27.H42-261204-0012")]
        assert db.execute("SELECT score, levels, reason FROM ratings").fetchall() == [(1, 3, "Thời gian chờ lâu")]
        assert db.execute("SELECT count(*) FROM site_events WHERE type = 'dossier_added'").fetchone()[0] == 2
        import datetime as dt
        from zoneinfo import ZoneInfo

        from server.reports.base import Period
        from server.reports.export import export_rows
        rows = export_rows(db, ZoneInfo("Asia/Ho_Chi_Minh"), Period(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), sites=True)
    assert [(r["site"], r["dossiers"], r["rating_levels"], r["rating_reason"], r["score"]) for r in rows] == [
        ("TN-TT", "000.00.27.H42-261204-0012", 3, "Thời gian chờ lâu", 1)]


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'"x"', b'{"events": 5}', b'{"events": [{"seq": "1"}]}', b'{"events": [{"seq": 1}]}',
    b'{"events": [{"seq": 1, "m": {"id": 1, "type": "issued", "at": "x", "day": "2026-01-01"}}]}',
    b'{"events": [{"seq": 99999999999999999999999, "m": {}}]}',
    b'{"events": [{"seq": 1, "m": {"id": 1, "type": "issued", "at": 1, "day": "x"}}]}',
    b'{"events": [{"seq": 1, "m": {"id": 1, "type": "issued", "at": 1, "day": "2026-01-01", "ticket": {"id": 1}}}]}',
    b'{"catalog": {"services": [{"code": "A"}]}}', b'{"status": []}', b'\xff\xfe',
])
def test_malformed_batches_get_a_4xx(hub, body):
    client, _ = hub
    r = post(client, SITES["TN-TT"], body)
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["code"]


def test_gzip_bodies_and_bombs(hub, outbox):
    client, _ = hub
    items, _ = outbox
    r = post(client, SITES["TN-TT"], gzip.compress(json.dumps({"events": items}).encode()), **{"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.get_json()["ack"] == len(items)
    assert post(client, SITES["TN-TT"], b"not gzip", **{"Content-Encoding": "gzip"}).status_code == 400
    bomb = gzip.compress(b"[" + b" " * (40 * 1024 * 1024) + b"]")
    assert post(client, SITES["TN-TT"], bomb, **{"Content-Encoding": "gzip"}).status_code == 413


def test_staff_routes_need_a_hub_user_and_the_public_ones_do_not(hub):
    client, _ = hub
    for path in ("/hub/v1/sites", "/hub/v1/sites/TN-TT", "/hub/v1/reports/summary?from=2026-01-01&to=2026-01-01",
                 "/hub/v1/reports/tickets?from=2026-01-01&to=2026-01-01"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {SITES['TN-TT']}"}).status_code == 401
    assert client.post("/hub/v1/auth/login", json={"username": "tinh", "password": "sai"}).status_code == 401
    r = client.post("/hub/v1/auth/login", json={"username": "tinh", "password": "mat-khau-tinh"})
    token = r.get_json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/hub/v1/sites", headers=auth).get_json()["sites"][0]["link"] == "never"
    assert client.get("/hub/v1/reports/summary?from=2026-01-01&to=2025-01-01", headers=auth).status_code == 400
    assert client.get("/hub/v1/reports/summary?from=2026-01-01&to=2026-01-01&site=XX", headers=auth).status_code == 404
    assert client.get("/hub/v1/sites/NOPE", headers=auth).status_code == 404
    assert client.get("/hub/v1/public/sites").status_code == 200
    assert client.get("/hub/v1/health").get_json() == {"status": "ok"}
    assert client.get("/hub/v1/nothing").get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", [
    "/hub/v1/reports/summary?from=x&to=y", "/hub/v1/reports/summary?from=2026-01-01&to=2026-01-01&site=" + "A" * 500,
    "/hub/v1/reports/tickets?from=2026-01-01&to=2026-01-01&format=pdf", "/hub/v1/reports/summary",
    "/hub/v1/reports/summary?from=2000-01-01&to=2026-01-01", "/hub/v1/sites/%00", "/hub/v1/sites/" + "x" * 300,
])
def test_odd_queries_get_a_4xx(hub, path):
    client, state = hub
    token = client.post("/hub/v1/auth/login", json={"username": "tinh", "password": "mat-khau-tinh"}).get_json()
    r = client.get(path, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["code"]


@pytest.mark.parametrize("body", [b"", b"[]", b'{"username": 1, "password": []}', b'{"username": "' + b"a" * 100 + b'"}'])
def test_odd_sign_ins_get_a_4xx(hub, body):
    client, _ = hub
    r = client.post("/hub/v1/auth/login", data=body, content_type="application/json")
    assert 400 <= r.status_code < 500
