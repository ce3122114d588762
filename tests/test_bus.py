"""The message bus (server/bus.py): each committed outcome goes to the handlers declared for its
event types, once each, and a failing handler neither fails the change nor stops the others."""
from __future__ import annotations

from dataclasses import dataclass, field

from server.bus import MessageBus
from server.rules import events as ev
from server.web.app import create_app
from tests.conftest import make_config


@dataclass
class E:
    type: str
    ticket: int | None = None


@dataclass
class O:
    events: list = field(default_factory=list)


def test_handlers_by_type_and_for_every_outcome():
    bus, got = MessageBus(), []
    bus.on(ev.ISSUED, lambda e: got.append(("issued", e.ticket)))
    bus.on((ev.CALLED, ev.RECALLED), lambda e: got.append(("call", e.ticket)))
    bus.on_every_outcome(lambda o: got.append(("outcome", len(o.events))))
    bus.publish(O([E(ev.ISSUED, 1), E(ev.CALLED, 2), E("paused")]))
    assert got == [("outcome", 3), ("issued", 1), ("call", 2)]
    got.clear()
    bus.publish(O([E("paused")]))
    assert got == [("outcome", 1)]            # nobody declared for "paused": no handler saw it


def test_a_failing_handler_does_not_stop_the_others(caplog):
    bus, got = MessageBus(), []

    def broken(event):
        raise RuntimeError("boom")

    bus.on(ev.ISSUED, broken)
    bus.on(ev.ISSUED, lambda e: got.append(e.ticket))
    bus.publish(O([E(ev.ISSUED, 7)]))
    assert got == [7]
    assert "a handler failed" in caplog.text


def test_the_apps_map_is_declared(tmp_path):
    """The print relay hears of issued tickets only; the pushes and the log of every outcome."""
    app = create_app(make_config(tmp_path, kiosks=[{"id": "kiosk-1", "token": "kiosk-token-1"}]), voice=False)
    table = app.extensions["hangdoi"].bus.handlers()
    assert table[ev.ISSUED] == ["PrintRelay.on_issued"]
    assert [t for t, names in table.items() if "PrintRelay.on_issued" in names] == [ev.ISSUED]
    assert "log_outcome" in table["*"] and any(n.endswith("put") for n in table["*"])
