"""The province's promises under faults, with real processes (issue 12): the hub killed with
kill -9 during a burst, a link cut (blackholed, slowed) for a long stretch, a site killed with
kill -9 mid-burst, and ``link`` turning ``down`` after the silence and ``up`` again."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.hub_live import start_hub, start_site, wait_caught_up
from tests.live_server import eventually, free_port
from tests.relay import Relay


def burst(site, n: int, answered: list, stop_after=None, on=None) -> None:
    """Issue ``n`` tickets one after the other; keep the ids answered 201; ``on()`` once after ``stop_after``."""
    for i in range(n):
        try:
            r = site.issue("STP-LLTP" if i % 2 else "CA-CC", timeout=5)
        except requests.RequestException:
            answered.append(("error", None))
            continue
        answered.append(("ok", r.json()["ticket"]["id"]) if r.status_code == 201 else ("refused", r.status_code))
        if on is not None and stop_after is not None and i + 1 == stop_after:
            on()


def once_each(hub, site) -> None:
    """Every event of the site is at the hub exactly once, in the site's order, with every ticket."""
    seqs = [s for (s,) in hub.db("SELECT seq FROM site_events WHERE site = ? ORDER BY seq", site.code)]
    assert seqs == list(range(1, site.last_seq() + 1))
    at_hub = [i for (i,) in hub.db("SELECT id FROM site_events WHERE site = ? ORDER BY seq", site.code)]
    assert at_hub == [i for (i,) in site.db("SELECT event FROM outbox ORDER BY seq")]
    assert sorted(hub.db("SELECT id, code, status FROM tickets WHERE site = ?", site.code)) == \
        sorted(site.db("SELECT id, code, status FROM tickets"))


@pytest.fixture
def cleanup():
    processes = []
    yield processes
    for p in reversed(processes):
        p.stop()


def test_the_hub_killed_during_a_burst_loses_nothing_and_counts_nothing_twice(tmp_path, cleanup):
    hub = start_hub(tmp_path / "hub", ["TN-PDP"])
    cleanup.append(hub)
    site = start_site(tmp_path / "site", "TN-PDP", hub.port, heartbeat_s=0.5)
    cleanup.append(site)
    answered: list = []
    burst(site, 120, answered, stop_after=30, on=hub.kill9)
    assert [a for a, _ in answered] == ["ok"] * 120         # every one answered 201 with the hub gone
    hub.start()
    wait_caught_up(hub, site, timeout=20)
    once_each(hub, site)
    assert hub.db("SELECT count(*) FROM tickets")[0][0] == 120


def test_a_link_cut_for_a_long_stretch_then_restored_brings_everything_once_in_order(tmp_path, cleanup):
    hub = start_hub(tmp_path / "hub", ["TN-TS"])
    cleanup.append(hub)
    relay = Relay(hub.port, free_port(), free_port()).start()
    cleanup.append(relay)
    site = start_site(tmp_path / "site", "TN-TS", relay.port, heartbeat_s=0.5)
    cleanup.append(site)
    officer = {"Authorization": f"Bearer {site.officer('stp1')}"}
    answered: list = []
    burst(site, 20, answered)
    for mode in (relay.blackhole, relay.cut, lambda: relay.delay(0.3)):   # a day of a bad link, three ways
        mode()
        burst(site, 120, answered)
        for _ in range(10):
            assert requests.post(site.url + "/api/v1/desks/1/next", headers=officer, timeout=5).status_code == 200
        if mode is relay.cut:
            assert hub.hw("TN-TS") < site.last_seq()     # the hub really was out of reach
    assert [a for a, _ in answered] == ["ok"] * len(answered)
    relay.restore()
    wait_caught_up(hub, site, timeout=30)
    once_each(hub, site)
    called = hub.db("SELECT count(*) FROM tickets WHERE site = 'TN-TS' AND status IN ('called', 'done')")[0][0]
    assert called == 30 and hub.db("SELECT count(*) FROM tickets")[0][0] == 380


def test_a_site_killed_mid_burst_sends_every_acknowledged_ticket_once_after_its_restart(tmp_path, cleanup):
    hub = start_hub(tmp_path / "hub", ["TN-TT"])
    cleanup.append(hub)
    site = start_site(tmp_path / "site", "TN-TT", hub.port, heartbeat_s=0.5)
    cleanup.append(site)
    answered: list = []
    workers = [threading.Thread(target=burst, args=(site, 200, answered)) for _ in range(3)]
    for w in workers:
        w.start()
    eventually(lambda: len(answered) >= 150, True, 30)
    site.kill9()
    for w in workers:
        w.join(30)
    ok = {i for a, i in answered if a == "ok"}
    assert len(ok) >= 150
    site.start()
    wait_caught_up(hub, site, timeout=20)
    once_each(hub, site)
    at_hub = {i for (i,) in hub.db("SELECT id FROM tickets WHERE site = 'TN-TT'")}
    assert ok <= at_hub                                  # every ticket answered 201, once (the key is (site, id))


def test_link_turns_down_after_the_silence_and_up_on_the_next_batch(tmp_path, cleanup):
    hub = start_hub(tmp_path / "hub", ["TN-PDP", "TN-TS"], link_down_after_s=2)
    cleanup.append(hub)
    relay = Relay(hub.port, free_port(), free_port()).start()
    cleanup.append(relay)
    site = start_site(tmp_path / "site", "TN-PDP", relay.port, heartbeat_s=0.5)
    cleanup.append(site)

    def links():
        return {s["code"]: s["link"] for s in hub.get("/sites")["sites"]}

    assert eventually(links, {"TN-PDP": "up", "TN-TS": "never"}, 10) == {"TN-PDP": "up", "TN-TS": "never"}
    relay.blackhole()
    assert eventually(lambda: links()["TN-PDP"], "down", 15) == "down"
    assert site.issue().status_code == 201               # the site goes on meanwhile
    relay.restore()
    assert eventually(lambda: links()["TN-PDP"], "up", 15) == "up"
    wait_caught_up(hub, site, timeout=10)
