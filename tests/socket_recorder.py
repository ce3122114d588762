"""A real python-socketio client that writes down every event it gets, with the time it came:
the screens, phones and consoles of the realtime, scale-out and drill tests."""
from __future__ import annotations

import threading
import time

import socketio


class Recorder:
    EVENTS = ("snapshot", "call", "queues", "ticket", "desk", "desks", "error",
              "device_state", "printer_state", "print_status", "connect", "disconnect")

    def __init__(self, url: str, token: str | None = None, reconnect: bool = False, *, name: str = "client",
                 **client_options):
        """``client_options`` go to ``socketio.Client`` (the reconnection back-off)."""
        self.url, self.token, self.name = url, token, name
        self.events: list[tuple[str, object, float]] = []
        self.cond = threading.Condition()
        options = dict(reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0)
        options.update(client_options)
        self.sio = socketio.Client(**options)
        for event in self.EVENTS:
            self.sio.on(event, self._recorder(event))

    def _recorder(self, name):
        def record(data=None, *_):
            with self.cond:
                self.events.append((name, data, time.monotonic()))
                self.cond.notify_all()
        return record

    def connect(self, wait_timeout: float = 10) -> "Recorder":
        self.sio.connect(self.url, auth={"token": self.token} if self.token else None, transports=["websocket"],
                         wait_timeout=wait_timeout)
        return self

    def of(self, name: str, since: float = 0.0) -> list:
        """The data of every ``name`` event that came at ``since`` (time.monotonic()) or later."""
        with self.cond:
            return [data for n, data, at in self.events if n == name and at >= since]

    def times(self, name: str, since: float = 0.0) -> list[float]:
        with self.cond:
            return [at for n, _, at in self.events if n == name and at >= since]

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition"):
        """``predicate(self)`` once it is true (returned), checked at every event; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.name}: timed out waiting for {what}; "
                                         f"events: {[n for n, _, _ in self.events][-30:]}")
                self.cond.wait(min(left, 0.2))

    def wait_count(self, name: str, n: int, timeout: float = 10.0) -> list:
        return self.wait_for(lambda r: len(r.of(name)) >= n and r.of(name), timeout, f"{n} {name!r}")

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass
