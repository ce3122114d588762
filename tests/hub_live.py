"""Real hubs and sites for the province's tests (issue 12): ``hangdoi hub`` and ``hangdoi serve``
with ``[site]`` as subprocesses, with tests/relay.py between them where a test needs a link to cut."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.centers import CA, STP, TWO_STP_DESKS_AND_CA, center_toml, kiosk
from tests.live_server import ROOT, LiveServer, eventually, free_port, prepare_database

STAFF = {"giamsat": ("mat-khau-gs", "supervisor"), "stp1": ("mat-khau-1", "officer", "STP"),
         "ca1": ("mat-khau-2", "officer", "CA")}
HUB_ADMIN = ("tinh", "mat-khau-tinh")


def token_of(code: str) -> str:
    return f"hub-token-of-{code.lower()}-0123456789"


def hub_toml(codes: list[str], *, link_down_after_s: float = 60, closed_dates: list[str] = (), extra: str = "") -> str:
    lines = ["[hub]", 'name = "Tỉnh Thái Nguyên (thử)"', 'timezone = "Asia/Ho_Chi_Minh"', "port = {PORT}",
             'database = "hub.db"', f"link_down_after_s = {link_down_after_s}", "",
             "[calendar]", f"closed_dates = {json.dumps(list(closed_dates))}", extra]
    for i, code in enumerate(codes):
        lines += ["", "[[sites]]", f'code = "{code}"', f'name = "Điểm {code}"',
                  f'kind = "{"province" if i == 0 else "commune"}"', f'token = "{token_of(code)}"']
    return "\n".join(lines) + "\n"


class LiveHub(LiveServer):
    """``hangdoi hub`` in a subprocess (health at ``/hub/v1/health``)."""

    def start(self, timeout: float = 20) -> "LiveHub":
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.extra_env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "hub", "--config", str(self.config_path), "--port", str(self.port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(self.url + "/hub/v1/health", timeout=0.5).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"hub did not answer within {timeout}s: {self.log()}")

    def token(self) -> str:
        r = requests.post(self.url + "/hub/v1/auth/login", json={"username": HUB_ADMIN[0], "password": HUB_ADMIN[1]},
                          timeout=5)
        r.raise_for_status()
        return r.json()["access_token"]

    def get(self, path: str, **params):
        r = requests.get(self.url + "/hub/v1" + path, params=params, timeout=10,
                         headers={"Authorization": f"Bearer {self.token()}"})
        r.raise_for_status()
        return r.json()

    def db(self, sql: str, *args):
        import sqlite3
        con = sqlite3.connect(self.database, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def hw(self, code: str) -> int:
        rows = self.db("SELECT hw FROM sites WHERE code = ?", code)
        return rows[0][0] if rows else 0


def start_hub(folder: Path, codes: list[str], **kwargs) -> LiveHub:
    from server.auth.users import create_user
    from server.hub.config import load_hub_config
    from server.hub.db import open_hub_storage

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    path = folder / "hub.toml"
    path.write_text(hub_toml(codes, **kwargs).replace("{PORT}", str(port)), encoding="utf-8")
    config = load_hub_config(path)
    storage = open_hub_storage(config.database)
    create_user(storage, *HUB_ADMIN, "admin")
    storage.close()
    hub = LiveHub(path, port)
    hub.database = config.database
    return hub.start()


class LiveSite(LiveServer):
    def supervisor(self) -> str:
        r = requests.post(self.url + "/api/v1/auth/login", json={"username": "giamsat", "password": STAFF["giamsat"][0]},
                          timeout=5)
        r.raise_for_status()
        return r.json()["access_token"]

    def officer(self, name: str = "stp1") -> str:
        r = requests.post(self.url + "/api/v1/auth/login", json={"username": name, "password": STAFF[name][0]},
                          timeout=5)
        r.raise_for_status()
        return r.json()["access_token"]

    def issue(self, service: str = "STP-LLTP", timeout: float = 5) -> requests.Response:
        return requests.post(self.url + "/api/v1/tickets", json={"service": service, "priority": None},
                             headers={"Authorization": f"Bearer {self.kiosk_token}"}, timeout=timeout)

    def db(self, sql: str, *args):
        import sqlite3
        con = sqlite3.connect(self.database, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def last_seq(self) -> int:
        return self.db("SELECT coalesce(max(seq), 0) FROM outbox")[0][0]


def start_site(folder: Path, code: str, hub_port: int, *, heartbeat_s: float = 1.0, extra: str = "",
               start: bool = True, agencies=(STP, CA)) -> LiveSite:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    kiosk_token = f"kiosk-token-{code.lower()}"
    text = center_toml("site.db", agencies=agencies, desks=TWO_STP_DESKS_AND_CA,
                       kiosks=[kiosk("kiosk-1", kiosk_token)], limits={"kiosk_tickets_per_minute": 0},
                       extra=extra + f'\n[site]\ncode = "{code}"\nkind = "commune"\n'
                             f'hub_url = "http://127.0.0.1:{hub_port}"\nhub_token = "{token_of(code)}"\n')
    path = folder / "config.toml"
    path.write_text(text.replace("{PORT}", str(port)), encoding="utf-8")
    database = prepare_database(path, STAFF)
    site = LiveSite(path, port, env={"HANGDOI_SITE_HEARTBEAT_S": str(heartbeat_s)})
    site.database = database
    site.kiosk_token = kiosk_token
    site.code = code
    return site.start() if start else site


def work_a_little(site: LiveSite, n: int = 6) -> list[int]:
    """Issue ``n`` tickets, call, start, finish some, a no-show, a rating: every kind of event."""
    ids = []
    for i in range(n):
        r = site.issue("STP-LLTP" if i % 3 else "CA-CC")
        assert r.status_code == 201, r.text
        ids.append(r.json()["ticket"]["id"])
    stp = {"Authorization": f"Bearer {site.officer('stp1')}"}
    ca = {"Authorization": f"Bearer {site.officer('ca1')}"}
    post = lambda path, h, **body: requests.post(site.url + "/api/v1" + path, json=body or None, headers=h, timeout=5)
    assert post("/desks/1/next", stp).status_code == 200
    assert post("/desks/1/start", stp).status_code == 200
    r = post("/desks/1/next", stp)                       # finishes the first, calls the next
    assert r.status_code == 200
    assert post("/desks/1/no-show", stp).status_code == 200
    assert post("/desks/3/next", ca).status_code == 200
    assert post("/desks/3/finish", ca).status_code == 200
    finished = site.db("SELECT id FROM tickets WHERE status = 'done' ORDER BY id")
    sup = {"Authorization": f"Bearer {site.supervisor()}"}
    r = requests.post(site.url + f"/api/v1/tickets/{finished[0][0]}/rating", json={"score": 4, "comment": "=SUM(A1)"},
                      headers=sup, timeout=5)
    assert r.status_code == 201, r.text
    assert post("/desks/2/pause", stp, reason="họp").status_code == 200
    return ids


def wait_caught_up(hub: LiveHub, site: LiveSite, timeout: float = 10.0) -> int:
    want = site.last_seq()
    got = eventually(lambda: hub.hw(site.code), want, timeout)
    assert got == want, f"the hub has {got} of {site.code}'s {want} events after {timeout} s"
    return want
