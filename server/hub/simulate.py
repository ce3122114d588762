"""``hangdoi simulate --province N``: a province's day on real processes (issue 12).

One ``hangdoi hub`` and N sites (``hangdoi serve`` with ``[site]``) in a temporary folder: the
first site is the given config (the provincial center), the others small commune centers (four
desks, as ``sites/*.toml``). Visitors arrive at every site over the opening window, compressed by
``--speed``; every desk calls the next one when its visitor is served. At the end, every site's
outbox must be at the hub, and the hub's summary of each site must equal the site's own, field by
field (totals, by agency, by desk, by officer, by hour): the exit status says whether it did.
"""
from __future__ import annotations

import random
import secrets
import shutil
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import requests

from ..simulate.harness import Process, cli_command, dump_toml, free_port

COMMUNE_AGENCIES = [
    {"code": "HT", "name": "Tư pháp – Hộ tịch", "services": [
        {"code": "HT-KS", "name": "Đăng ký khai sinh, kết hôn, khai tử", "prefix": "A", "target_wait_min": 15},
        {"code": "HT-CT", "name": "Chứng thực bản sao, chữ ký", "prefix": "B", "target_wait_min": 10}]},
    {"code": "DD", "name": "Đất đai – Xây dựng", "services": [
        {"code": "DD-GCN", "name": "Đất đai, giấy chứng nhận", "prefix": "D", "target_wait_min": 20}]},
    {"code": "XH", "name": "Lao động – Xã hội, Bảo hiểm", "services": [
        {"code": "XH-CS", "name": "Chính sách xã hội, bảo hiểm y tế", "prefix": "E", "target_wait_min": 15}]},
]
COMMUNE_DESKS = [{"number": 1, "agency": "HT", "services": ["HT-KS", "HT-CT"]},
                 {"number": 2, "agency": "HT", "services": ["HT-CT", "HT-KS"]},
                 {"number": 3, "agency": "DD", "services": ["DD-GCN"]},
                 {"number": 4, "agency": "XH", "services": ["XH-CS"]}]
COMPARED = ("totals", "by_agency", "by_desk", "by_officer", "by_hour")
PASSWORD = "sim-" + secrets.token_urlsafe(9)


class Site:
    def __init__(self, code: str, kind: str, raw: dict, folder: Path, hub_port: int):
        self.code, self.kind = code, kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = f"sim-hub-{code.lower()}-" + secrets.token_urlsafe(12)
        self.kiosk = "sim-kiosk-" + secrets.token_urlsafe(12)
        raw = dict(raw)
        raw["server"] = {"host": "127.0.0.1", "port": self.port, "database": str(folder / f"{code}.db")}
        raw.setdefault("center", {})["public_url"] = self.url
        raw.pop("opening_hours", None)                       # the sites run on the real clock
        raw.setdefault("limits", {})["kiosk_tickets_per_minute"] = 0
        raw["kiosks"] = [{"id": "sim-kiosk", "token": self.kiosk}]
        raw["displays"] = []
        raw["site"] = {"code": code, "kind": kind, "hub_url": f"http://127.0.0.1:{hub_port}", "hub_token": self.token}
        self.raw = raw
        self.config = folder / f"{code}.toml"
        self.config.write_text(dump_toml(raw), encoding="utf-8")
        self.desks = [(d["number"], d["agency"]) for d in raw["desks"]]
        self.services = [s["code"] for a in raw["agencies"] for s in a["services"]]
        self.process: Process | None = None


def _prepare(site: Site) -> None:
    from ..auth.users import create_user
    from ..config import load_config
    from ..storage import Storage
    from ..storage.sync import sync_config

    config = load_config(site.config)
    storage = Storage(config.server.database)
    sync_config(storage, config)
    create_user(storage, "sim-giamsat", PASSWORD, "supervisor")
    storage.close()


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=0.5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _login(url: str, path: str) -> str:
    r = requests.post(url + path, json={"username": "sim-giamsat", "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return r.json()["access_token"]


def _drive(site: Site, visitors: int, day_s: float, speed: float, seed: int, stats: dict) -> None:
    """Visitors arrive uniformly over the day; each desk takes the next as soon as it is free
    (service times exponential, mean 6 simulated minutes)."""
    rng = random.Random(seed)
    session = requests.Session()
    staff = {"Authorization": f"Bearer {_login(site.url, '/api/v1/auth/login')}"}
    kiosk = {"Authorization": f"Bearer {site.kiosk}"}
    arrivals = sorted(rng.uniform(0, day_s) for _ in range(visitors))
    free_at = {number: 0.0 for number, _ in site.desks}
    start = time.monotonic()
    issued = calls = 0
    overtime = day_s + 3600
    while True:
        now = (time.monotonic() - start) * speed
        while arrivals and arrivals[0] <= now:
            arrivals.pop(0)
            r = session.post(site.url + "/api/v1/tickets", headers=kiosk, timeout=10,
                             json={"service": rng.choice(site.services), "priority": None})
            issued += r.status_code == 201
        idle = 0
        for number in free_at:
            if free_at[number] > now:
                continue
            r = session.post(site.url + f"/api/v1/desks/{number}/next", headers=staff, timeout=10)
            ticket = r.json().get("ticket") if r.status_code == 200 else None
            if ticket is None:
                idle += 1
                free_at[number] = now + max(60.0, speed)      # look again in a minute (at most once a real second)
            else:
                calls += 1
                free_at[number] = now + min(rng.expovariate(1 / 360), 3600)
        if (not arrivals and idle == len(free_at)) or now > overtime:
            break
        time.sleep(0.05)
    for number in free_at:                                     # the last visitors are served
        session.post(site.url + f"/api/v1/desks/{number}/finish", headers=staff, timeout=10)
    stats[site.code] = {"issued": issued, "calls": calls}


def _outbox_end(site: Site) -> int:
    import sqlite3

    db = sqlite3.connect(site.raw["server"]["database"], timeout=5)
    try:
        return db.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]
    finally:
        db.close()


def province_day(config_path: Path, n_sites: int, visitors: int, window: tuple[float, float], speed: float,
                 seed: int, keep: bool, echo) -> int:
    folder = Path(tempfile.mkdtemp(prefix="hangdoi-province-"))
    processes: list[Process] = []
    try:
        raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        hub_port = free_port()
        codes = ["TN-TT"] + [f"TN-X{i:02d}" for i in range(1, n_sites)]
        sites = [Site(codes[0], "province", raw, folder, hub_port)]
        for code in codes[1:]:
            sites.append(Site(code, "commune", {"center": {"name": f"Trung tâm PVHCC {code} (mô phỏng)",
                                                           "timezone": raw["center"]["timezone"]},
                                                "agencies": COMMUNE_AGENCIES, "desks": COMMUNE_DESKS},
                              folder, hub_port))
        hub_toml = {"hub": {"name": "Tỉnh (mô phỏng)", "timezone": raw["center"]["timezone"], "host": "127.0.0.1",
                            "port": hub_port, "database": str(folder / "hub.db")},
                    "sites": [{"code": s.code, "name": s.raw["center"]["name"], "kind": s.kind, "token": s.token}
                              for s in sites]}
        (folder / "hub.toml").write_text(dump_toml(hub_toml), encoding="utf-8")
        from ..auth.users import create_user
        from .config import load_hub_config
        from .db import open_hub_storage

        hub_config = load_hub_config(folder / "hub.toml")
        storage = open_hub_storage(hub_config.database)
        create_user(storage, "sim-giamsat", PASSWORD, "supervisor")
        storage.close()
        hub_url = f"http://127.0.0.1:{hub_port}"
        hub = Process("hub", cli_command("hub", "--config", str(folder / "hub.toml")), folder / "hub.log")
        processes.append(hub)
        _wait(hub_url + "/hub/v1/health")
        for site in sites:
            _prepare(site)
            site.process = Process(site.code, cli_command("serve", "--config", str(site.config)),
                                   folder / f"{site.code}.log")
            processes.append(site.process)
        for site in sites:
            _wait(site.url + "/api/v1/health")
        day_s = window[1] - window[0]
        share = [0.4] + [0.6 / max(1, n_sites - 1)] * (n_sites - 1) if n_sites > 1 else [1.0]
        echo(f"province of {n_sites} sites, {visitors} visitors, {day_s / 3600:.1f} h at {speed:g}× "
             f"(about {day_s / speed / 60:.1f} min); folder {folder}")
        stats: dict = {}
        threads = [threading.Thread(target=_drive, args=(s, max(1, round(visitors * share[i])), day_s, speed,
                                                         seed + i, stats), daemon=True)
                   for i, s in enumerate(sites)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # every site's outbox at the hub, then the hub's view against every site's own
        token = _login(hub_url, "/hub/v1/auth/login")
        deadline = time.monotonic() + 60
        sent = {}
        for site in sites:
            want = _outbox_end(site)
            while time.monotonic() < deadline:
                sent[site.code] = requests.get(hub_url + f"/hub/v1/sites/{site.code}", timeout=10,
                                               headers={"Authorization": f"Bearer {token}"}).json()["site"][
                    "acknowledged_seq"]
                if sent[site.code] >= want:
                    break
                time.sleep(0.2)
            sent[site.code] = (sent[site.code], want)
        from datetime import datetime
        from zoneinfo import ZoneInfo
        today = datetime.now(ZoneInfo(raw["center"]["timezone"])).date().isoformat()
        ok = True
        echo(f"\n{'site':8} {'issued':>7} {'served':>7} {'avg wait':>9} {'events':>8}  hub = site")
        for site in sites:
            params = {"from": today, "to": today}
            own = requests.get(site.url + "/api/v1/reports/summary", params=params, timeout=30,
                               headers={"Authorization": f"Bearer {_login(site.url, '/api/v1/auth/login')}"}).json()
            at_hub = requests.get(hub_url + "/hub/v1/reports/summary", params={**params, "site": site.code}, timeout=30,
                                  headers={"Authorization": f"Bearer {token}"}).json()
            differ = [k for k in COMPARED if _strip(at_hub.get(k)) != own.get(k)]
            got, want = sent[site.code]
            same = not differ and got == want
            ok &= same
            t = own["totals"]
            echo(f"{site.code:8} {t['issued']:7} {t['served']:7} {(t['avg_wait_s'] or 0) / 60 * speed:7.1f}m "
                 f"{got:>4}/{want:<4}  {'yes' if same else 'NO: ' + ', '.join(differ or ['events missing'])}")
        echo("\n(avg wait in simulated minutes)")
        echo("the hub's view equals every site's own" if ok else "the hub's view DIFFERS from a site's: see above")
        return 0 if ok else 1
    finally:
        for p in reversed(processes):
            p.stop()
        if keep:
            echo(f"(kept: {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _strip(value):
    if isinstance(value, list):
        return [{k: v for k, v in row.items() if k != "site"} for row in value]
    return value
