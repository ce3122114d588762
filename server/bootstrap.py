"""The one step of ``hangdoi serve`` that starts the server's background work, after the
application factory has built the app (``create_app`` starts none of it, so a test gets an app
that does nothing it did not ask for):

- the end-of-day close, once now (after a night off) and then at every local midnight;
- scale-out: this process's presence row and the loop that keeps it fresh;
- the print agents' monitor: heartbeats, expiry of old jobs, the sweep of a dead process's jobs;
- a site (``[site]``): the outbox switch, the hub's calendar and the sender (``server.site``).

Returns what must be stopped on the way out.
"""
from __future__ import annotations

from dataclasses import dataclass

from .end_of_day import end_of_day_loop, run_end_of_day


@dataclass
class Background:
    sender: object | None = None

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop()


def start_background_tasks(app, config) -> Background:
    from .site import start_site

    h = app.extensions["hangdoi"]
    run_end_of_day(h)
    sio = h.realtime.socketio
    sio.start_background_task(end_of_day_loop, h, sio.sleep)
    if h.realtime.presence is not None:
        h.realtime.presence.write()
        sio.start_background_task(h.realtime.presence.loop)
    if h.printing is not None:
        h.printing.start_monitor()
    return Background(sender=start_site(app, config))
