"""Hardening (issue 9, item 7): two admins disabling each other at the same moment leave one
active admin — the check runs inside the write. Real server, concurrent requests, repeated."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.centers import TWO_STP_DESKS_AND_CA, center_toml
from tests.conftest import bearer
from tests.live_server import db_value, start_center

pytestmark = pytest.mark.slow

PASSWORD = "mat-khau-quan-tri"
ROUNDS = 12


def login(url: str, username: str) -> str:
    r = requests.post(url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_two_admins_disabling_each_other_at_once_leave_one_active_admin(tmp_path):
    toml = center_toml("data/admins.db", desks=TWO_STP_DESKS_AND_CA,
                       limits={"login_attempts_per_minute": 0, "kiosk_tickets_per_minute": 0})
    users = {"admin1": (PASSWORD, "admin"), "admin2": (PASSWORD, "admin")}
    with start_center(tmp_path, toml, users) as live:
        for round_ in range(ROUNDS):
            tokens = {name: login(live.url, name) for name in ("admin1", "admin2")}
            barrier = threading.Barrier(2)
            answers: dict[str, requests.Response] = {}

            def disable(actor: str, target: str) -> None:
                session = requests.Session()
                session.get(live.url + "/api/v1/health", timeout=10)      # connected before the start
                barrier.wait()
                answers[actor] = session.post(live.url + "/api/v1/admin/users/disable", json={"username": target},
                                              headers=bearer(tokens[actor]), timeout=20)

            threads = [threading.Thread(target=disable, args=pair) for pair in (("admin1", "admin2"),
                                                                                ("admin2", "admin1"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            active = db_value(live.database, "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1")
            codes = sorted(r.status_code for r in answers.values())
            assert active == 1, f"round {round_}: {active} active admins left, answers {codes}"
            assert codes in ([200, 400], [200, 401]), f"round {round_}: {codes}"
            survivor = "admin1" if db_value(live.database, "SELECT active FROM users WHERE username = 'admin1'") \
                else "admin2"
            other = "admin2" if survivor == "admin1" else "admin1"
            r = requests.post(live.url + "/api/v1/admin/users/enable", json={"username": other},
                              headers=bearer(login(live.url, survivor)), timeout=10)
            assert r.status_code == 200, r.text
