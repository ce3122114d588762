"""Every ticket answered 201 survives a kill -9 of the server, and no code is given twice."""
from __future__ import annotations

import threading
import time

import requests

from tests.centers import STP, center_toml, desk, kiosk
from tests.live_server import LiveServer, free_port, write_config

CONFIG = center_toml(
    "data/durable.db", name="Trung tâm thử độ bền", limits={"kiosk_tickets_per_minute": 0},
    agencies=[STP], desks=[desk(1, "STP", "STP-LLTP", "STP-HT")], kiosks=[kiosk("kiosk-1", "durable-kiosk-token")])
HEADERS = {"Authorization": "Bearer durable-kiosk-token"}


def issue_until_stopped(url: str, service: str, acked: list, stop: threading.Event) -> None:
    session = requests.Session()
    while not stop.is_set():
        try:
            r = session.post(url + "/api/v1/tickets", json={"service": service}, headers=HEADERS, timeout=2)
        except requests.RequestException:
            continue
        if r.status_code == 201:
            acked.append(r.json()["ticket"])


def test_kill_9_mid_stream_loses_no_acknowledged_ticket_and_reuses_no_code(tmp_path):
    port = free_port()
    server = LiveServer(write_config(tmp_path, CONFIG, port), port).start()
    acked: list[dict] = []
    stop = threading.Event()
    threads = [threading.Thread(target=issue_until_stopped, args=(server.url, ("STP-LLTP", "STP-HT")[i % 2], acked, stop))
               for i in range(6)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acked) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill9()                      # in the middle of the stream: requests are in flight
        stop.set()
        for t in threads:
            t.join()
        assert len(acked) >= 300
        server.start()
        session = requests.Session()
        for ticket in acked:
            secret = ticket["status_url"].split("?t=")[1]
            r = session.get(f"{server.url}/api/v1/tickets/{ticket['id']}", params={"t": secret})
            assert r.status_code == 200, ticket
            assert r.json()["ticket"]["code"] == ticket["code"]
        codes_before = {t["code"] for t in acked}
        assert len(codes_before) == len(acked)
        after = [session.post(server.url + "/api/v1/tickets", json={"service": s}, headers=HEADERS).json()["ticket"]
                 for s in ("STP-LLTP", "STP-HT") * 5]
        assert not codes_before & {t["code"] for t in after}
    finally:
        stop.set()
        server.stop()
