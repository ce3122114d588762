"""The end-of-day close as a background task of ``hangdoi serve``: once at start (after a night
off), then at every local midnight. The rule itself is ``server.rules.end_of_day``."""
from __future__ import annotations

import logging

from .rules import Outcome

log = logging.getLogger("hangdoi.end_of_day")


def run_end_of_day(h) -> Outcome | None:
    """Close what is left of earlier days and push the changes; never raises (logged instead)."""
    try:
        outcome = h.service.close_earlier_days()
    except Exception:
        log.exception("end-of-day close failed; it will be tried again")
        return None
    result = outcome.result
    if result["tickets"] or result["desks"]:
        log.info("end of day: %s tickets of earlier days closed as cancelled, %s desks closed (day %s)",
                 result["tickets"], result["desks"], result["day"])
    h.publish(outcome)
    return outcome


def end_of_day_loop(h, sleep, *, max_sleep_s: float = 60.0, rounds: int | None = None) -> None:
    """Sleep until the next local midnight (waking at least every ``max_sleep_s`` to notice clock
    jumps), then close the day. ``rounds`` bounds the loop for tests."""
    last = h.clock.day_of(h.clock.now())
    while rounds is None or rounds > 0:
        now = h.clock.now()
        until_midnight = h.clock.end_of_day(h.clock.local(now).date()) - now
        sleep(max(0.2, min(until_midnight + 0.2, max_sleep_s)))
        day = h.clock.day_of(h.clock.now())
        if day != last and run_end_of_day(h) is not None:
            last = day
        if rounds is not None:
            rounds -= 1
