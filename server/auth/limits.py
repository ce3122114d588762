"""Failed sign-ins, counted per user name and per client address over a sliding minute.

In memory, per server process (``[limits] login_attempts_per_minute``, 0 = no limit). Past the
limit every attempt of that name or from that address is refused before its password is even
checked, a right one included, until the oldest failure of the window is a minute old.

Each attempt is counted *before* its password is checked (scrypt takes tens of milliseconds, and
parallel guesses must not slip past the limit meanwhile); a successful attempt then takes back
only its own count. A success never clears the failures of others: signing in with one's own
account from an address does not reset the address's count of guesses at other accounts.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class LoginLimiter:
    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 20_000,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window_s, self.max_keys, self.clock = limit, window_s, max_keys, clock
        self._lock = threading.Lock()
        self._failures: "OrderedDict[tuple[str, str], deque[float]]" = OrderedDict()

    @staticmethod
    def keys(username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", (username or "").strip().lower())]
        if address:
            keys.append(("address", address))
        return keys

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        stamps = self._failures.get(key)
        if stamps is None:
            return None
        while stamps and stamps[0] <= now - self.window_s:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
            return None
        return stamps

    def attempt(self, username: str, address: str | None) -> tuple[float | None, float | None]:
        """``(retry_after_s, None)`` when refused; else ``(None, stamp)``: the attempt is counted as
        a failure until ``succeeded(username, address, stamp)`` takes it back."""
        if self.limit <= 0:
            return None, None
        keys = self.keys(username, address)
        with self._lock:
            now = self.clock()
            wait = 0.0
            for key in keys:
                stamps = self._recent(key, now)
                if stamps is not None and len(stamps) >= self.limit:
                    wait = max(wait, stamps[-self.limit] + self.window_s - now)
            if wait > 0:
                return wait, None
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:        # bounded memory: forget the stalest
                self._failures.popitem(last=False)
            return None, now

    def succeeded(self, username: str, address: str | None, stamp: float | None) -> None:
        """The attempt stamped ``stamp`` was right: it no longer counts (the others still do)."""
        if stamp is None:
            return
        with self._lock:
            for key in self.keys(username, address):
                stamps = self._failures.get(key)
                if stamps is None:
                    continue
                try:
                    stamps.remove(stamp)
                except ValueError:
                    pass
                if not stamps:
                    del self._failures[key]
