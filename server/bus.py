"""The message bus: what happens after a change is committed, as an explicit map.

A rule's transaction returns an ``Outcome`` (its events); the web layer hands it to ``publish``
once it is committed. Who acts on it is declared here, by event type, instead of a list of
subscribers that each look at every event (which is how duplicate pushes once hid):

- ``on(types, handler)``: ``handler(event)`` for each event of one of ``types``;
- ``on_every_outcome(handler)``: ``handler(outcome)`` for every outcome, for the consumers that
  work on a whole transaction (the realtime pushes, the log, a site's sender waking up).

A handler's failure is logged and never undoes or fails the committed change, nor stops the other
handlers. ``handlers()`` lists the map, for tests and for reading.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Callable, Iterable

log = logging.getLogger("hangdoi.bus")


class MessageBus:
    def __init__(self) -> None:
        self._by_type: dict[str, list[Callable]] = defaultdict(list)
        self._every: list[Callable] = []

    def on(self, types: str | Iterable[str], handler: Callable) -> None:
        for event_type in ([types] if isinstance(types, str) else types):
            self._by_type[event_type].append(handler)

    def on_every_outcome(self, handler: Callable) -> None:
        self._every.append(handler)

    def handlers(self) -> dict[str, list[str]]:
        def name(fn) -> str:
            return getattr(fn, "__qualname__", repr(fn))
        table = {t: [name(h) for h in hs] for t, hs in sorted(self._by_type.items())}
        table["*"] = [name(h) for h in self._every]
        return table

    def publish(self, outcome) -> None:
        for handler in self._every:
            self._call(handler, outcome, outcome)
        for event in outcome.events:
            for handler in self._by_type.get(event.type, ()):
                self._call(handler, event, outcome)

    @staticmethod
    def _call(handler, arg, outcome) -> None:
        try:
            handler(arg)
        except Exception:  # a push must never undo or fail a committed change
            log.exception("a handler failed on %s", [e.type for e in outcome.events])
