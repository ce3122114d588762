"""The site's sender without a network (issue 12): what it sends, and the pruning of its outbox."""
from __future__ import annotations

import json
import time

from server.bus import MessageBus
from server.site import set_outbox
from server.site.sender import KEEP_DAYS, Sender
from tests.conftest import KIOSK


class FakeHub:
    """What the sender needs of the web layer's hub object."""

    def __init__(self, config, storage, service, clock):
        self.config, self.storage, self.service, self.clock = config, storage, service, clock
        self.bus = MessageBus()


def test_the_sender_sends_from_the_hubs_mark_and_prunes_only_old_acknowledged_rows(config, storage, service, clock):
    from server.config import SiteSettings

    set_outbox(storage, True)
    for _ in range(5):
        service.issue(KIOSK, "STP-LLTP")
    site = SiteSettings(code="TN-A", kind="commune", hub_url="http://127.0.0.1:9", hub_token="x" * 16)
    sender = Sender(FakeHub(config, storage, service, clock), site, batch=2)
    sent = []

    def post(body: bytes) -> dict:
        batch = json.loads(body)
        sent.append([e["seq"] for e in batch["events"]])
        assert all("secret" not in e["m"]["ticket"] for e in batch["events"])
        last = batch["events"][-1]["seq"] if batch["events"] else (sender.acked or 3)
        return {"ack": last, "catalog_hash": batch["catalog_hash"], "calendar": None}

    sender._post = post
    assert sender.step() == 0                # the first batch is empty: it learns the hub's mark (3)
    assert sender.step() == 2                # from the mark on: 4 and 5
    assert sender.step() == 0                # nothing left: a heartbeat
    assert sent == [[], [4, 5], []] and sender.acked == 5
    with storage.write() as db:              # rows acknowledged long ago; row 5 is recent
        db.execute("UPDATE outbox SET at = ? WHERE seq <= 4", [time.time() - (KEEP_DAYS + 1) * 86400])
    sender._last_prune = 0
    sender.acked = 4
    sender._maybe_prune()
    with storage.read() as db:
        assert [s for (s,) in db.execute("SELECT seq FROM outbox ORDER BY seq")] == [5]
    service.issue(KIOSK, "STP-LLTP")         # the sequence goes on after the pruning, never reused
    with storage.read() as db:
        assert db.execute("SELECT max(seq) FROM outbox").fetchone()[0] == 6


def test_a_change_that_fails_leaves_no_outbox_row_and_no_hole_in_the_sequence(storage, service):
    from server.rules import events as ev

    set_outbox(storage, True)
    service.issue(KIOSK, "STP-LLTP")

    def failing(db):
        ev.record(db, "2026-11-23", ev.SYSTEM, ev.Event(ev.PAUSED, time.time(), desk=1, data={"reason": "x"}))
        raise RuntimeError("the change fails after its event")

    def fine(db):
        ev.record(db, "2026-11-23", ev.SYSTEM, ev.Event(ev.RESUMED, time.time(), desk=1))

    try:
        storage.run_write(failing)
    except RuntimeError:
        pass
    storage.run_write(fine)
    with storage.read() as db:
        rows = db.execute("SELECT seq, json_extract(message, '$.type') FROM outbox ORDER BY seq").fetchall()
    assert rows == [(1, "issued"), (2, "resumed")]
