"""Issue 9, item 2: no screen ever receives a ticket's secret.

Real server, real Socket.IO clients for a hall display, a desk display and a second kiosk (not the
one that issues), recording every event of any name. A whole morning is driven through the API
(issue, call, recall, start, finish and the desk display's rating, no-show, transfer, pause and
resume, a supervisor's call, cancel, reactivation and move, closing desks). Then every event each
screen got, and the answer of every GET route (and the pages) to each screen's token, is searched
for ``?t=`` and for every ticket's secret as read from the database."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest
import requests

from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, desk_display, hall_display, kiosk
from tests.live_server import start_center
from tests.socket_recorder import Recorder

PASSWORD = "mat-khau-screens"
ISSUER = "kiosk-token-issuer"
OTHER_KIOSK = "kiosk-token-other"
HALL = "hall-token-screens"
DESK1 = "desk-1-token-screens"
CONFIG = center_toml(
    "data/screens.db", limits={"kiosk_tickets_per_minute": 0}, announce={"repeat": 1},
    agencies=[STP, CA], desks=TWO_STP_DESKS_AND_CA,
    kiosks=[kiosk("kiosk-1", ISSUER), kiosk("kiosk-2", OTHER_KIOSK)],
    displays=[hall_display("hall-1", HALL), desk_display("desk-1", DESK1, 1)])


class EveryEvent(Recorder):
    """A Recorder that also writes down events of any other name (``rating_request``, ...)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sio.on("*", self._any)

    def _any(self, event, data=None, *_):
        with self.cond:
            self.events.append((event, data, time.monotonic()))
            self.cond.notify_all()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_center(tmp_path_factory.mktemp("screens"), CONFIG,
                          {"stp": (PASSWORD, "officer", "STP"), "ca": (PASSWORD, "officer", "CA"),
                           "gs": (PASSWORD, "supervisor")})
    yield server
    server.stop()


def login(live, name) -> dict:
    r = requests.post(live.url + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=15)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def call(live, method, path, headers, body=None, want=(200, 201)):
    r = requests.request(method, live.url + "/api/v1" + path, json=body, headers=headers, timeout=15)
    assert r.status_code in want, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r


def secrets_in(database) -> list[str]:
    db = sqlite3.connect(database)
    try:
        return [row[0] for row in db.execute("SELECT secret FROM tickets")]
    finally:
        db.close()


def leaks(text: str, secrets: list[str]) -> list[str]:
    found = ["?t="] if "?t=" in text or "%3Ft%3D" in text else []
    return found + [s for s in secrets if s in text]


def test_no_screen_receives_a_ticket_secret_in_any_event_or_answer(live):
    stp, ca, gs = login(live, "stp"), login(live, "ca"), login(live, "gs")
    issuer = {"Authorization": f"Bearer {ISSUER}"}
    screens = {"hall": EveryEvent(live.url, HALL, name="hall").connect(),
               "desk display": EveryEvent(live.url, DESK1, name="desk display").connect(),
               "other kiosk": EveryEvent(live.url, OTHER_KIOSK, name="other kiosk").connect()}
    try:
        for r in screens.values():
            r.wait_count("snapshot", 1)
        issued = [call(live, "POST", "/tickets", issuer, {"service": s})["ticket"]
                  for s in ("STP-LLTP", "STP-LLTP", "STP-LLTP", "STP-HT", "STP-LLTP", "STP-LLTP", "CA-CC")]
        assert all("?t=" in t["status_url"] for t in issued)      # the issuer gets its tickets' links
        # a morning at desk 1
        first = call(live, "POST", "/desks/1/next", stp)["ticket"]
        call(live, "POST", "/desks/1/recall", stp)
        call(live, "POST", "/desks/1/start", stp)
        call(live, "POST", "/desks/1/finish", stp)
        screens["desk display"].wait_for(lambda r: r.of("rating_request"), what="the rating request")
        rating = call(live, "POST", f"/tickets/{first['id']}/rating", {"Authorization": f"Bearer {DESK1}"},
                      {"score": 5, "comment": "Cán bộ nhiệt tình"})
        no_show = call(live, "POST", "/desks/1/next", stp)["ticket"]
        call(live, "POST", "/desks/1/no-show", stp)
        call(live, "POST", "/desks/1/next", stp)
        call(live, "POST", "/desks/1/start", stp)
        call(live, "POST", "/desks/1/transfer", stp, {"service": "STP-HT"})
        call(live, "POST", "/desks/1/pause", stp, {"reason": "nghỉ giải lao"})
        call(live, "POST", "/desks/1/resume", stp)
        # the supervisor's actions
        waiting = call(live, "GET", "/supervision/tickets?status=waiting", gs)["tickets"]
        chosen = waiting[0]["id"]
        call(live, "POST", f"/tickets/{chosen}/call", gs, {"desk": 1})
        call(live, "POST", f"/tickets/{chosen}/cancel", gs, {"reason": "quý khách đã về"})
        call(live, "POST", f"/tickets/{no_show['id']}/reactivate", gs)
        waiting = call(live, "GET", "/supervision/tickets?status=waiting", gs)["tickets"]
        lltp = next(t for t in waiting if t["service"] == "STP-LLTP")
        call(live, "POST", f"/tickets/{lltp['id']}/move", gs, {"service": "STP-HT"})
        # desk 3 and the end of the morning
        call(live, "POST", "/desks/3/next", ca)
        call(live, "POST", "/desks/3/finish", ca)
        call(live, "POST", "/desks/3/close", ca)
        call(live, "POST", "/desks/1/next", stp)
        call(live, "POST", "/desks/1/finish", stp)
        call(live, "POST", "/desks/1/close", stp)
        # marker: every screen has seen the end of the morning
        final = {q["code"]: q["waiting"] for q in call(live, "GET", "/queues", {})["services"]}

        def settled(r):
            return any({q["code"]: q["waiting"] for q in p["services"]} == final for p in r.of("queues"))

        for r in screens.values():
            r.wait_for(settled, what="the last waiting counts")
        screens["hall"].wait_for(lambda r: any(row["number"] == 1 and row["state"] == "closed"
                                               for p in r.of("desks") for row in p["desks"]), what="desk 1 closed")
        screens["desk display"].wait_for(lambda r: any(p["desk"]["number"] == 1 and p["desk"]["state"] == "closed"
                                                       for p in r.of("desk")), what="desk 1 closed")
        secrets = secrets_in(live.database)
        assert len(secrets) == len(issued)

        # every event of every screen: which ones it got, and none with a secret
        got = {name: sorted({n for n, _, _ in r.events}) for name, r in screens.items()}
        assert {"snapshot", "call", "desks", "queues"} <= set(got["hall"]), got
        assert {"snapshot", "call", "desk", "queues", "rating_request"} <= set(got["desk display"]), got
        assert {"snapshot", "queues"} <= set(got["other kiosk"]), got
        for name, r in screens.items():
            for event, data, _ in r.events:
                text = json.dumps(data, ensure_ascii=False)
                assert not leaks(text, secrets), f"{name} got a ticket secret in {event!r}: {text[:300]}"
        assert not leaks(json.dumps(rating, ensure_ascii=False), secrets)

        # every GET route and page, with each screen's token (and the issuer's to another kiosk's ticket)
        other = call(live, "POST", "/tickets", {"Authorization": f"Bearer {OTHER_KIOSK}"}, {"service": "CA-CC"})
        secrets = [s for s in secrets_in(live.database) if s not in other["ticket"]["status_url"]]
        paths = ["/api/v1/catalog", "/api/v1/queues", "/api/v1/desks", "/api/v1/desks/1", "/api/v1/supervision/overview",
                 "/api/v1/supervision/tickets", "/api/v1/reports/tickets?from=2020-01-01&to=2020-12-31",
                 "/api/v1/reports/summary?from=2020-01-01&to=2020-12-31", "/api/v1/admin/users"]
        paths += [f"/api/v1/tickets/{t['id']}{tail}" for t in issued for tail in ("", "/ticket.png", "/qr.png")]
        pages = [f"/display/hall?token={HALL}", f"/display/desk/1?token={DESK1}", f"/kiosk?token={OTHER_KIOSK}",
                 "/desk", "/supervisor"]
        for token in (HALL, DESK1, OTHER_KIOSK):
            for path in paths:
                r = requests.get(live.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=15)
                assert r.status_code in (200, 400, 401, 403, 404), (token, path, r.status_code)
                if path.endswith(".png"):
                    assert r.status_code == 403, (token, path, r.status_code)   # the QR code holds the secret
                assert not leaks(r.text, secrets), (token, path, r.text[:300])
        for page in pages:
            r = requests.get(live.url + page, timeout=15)
            assert r.status_code == 200, (page, r.status_code)
            assert not leaks(r.text, secrets), (page, r.text[:300])
    finally:
        for r in screens.values():
            r.close()
