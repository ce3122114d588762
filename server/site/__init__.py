"""A site of a province (issue 12): this center plus ``[site]``, sending its events to the hub.

- the outbox is filled by the database itself (schema v5, a trigger on ``events``), in the same
  transaction as every change;
- ``sender.py`` ships it to the hub in order, in batches, from the hub's acknowledgement;
- ``catalog.py`` describes the site to the hub (agencies, services, desks, officers, hours) and
  its queues right now;
- ``calendar.py`` keeps the closed dates the hub publishes, so they hold with the hub down.
"""
from __future__ import annotations

import logging

from ..storage import get_setting, put_setting

log = logging.getLogger("hangdoi.site")

OUTBOX_SETTING = "outbox"


def set_outbox(storage, on: bool) -> None:
    """Turn the outbox trigger on (a site) or off (a lone center); writes only when it changes."""
    wanted = "on" if on else "off"
    with storage.read() as db:
        current = get_setting(db, OUTBOX_SETTING)
    if current == wanted or (current is None and not on):
        return
    with storage.write() as db:
        put_setting(db, OUTBOX_SETTING, wanted)


def start_site(app, config):
    """``hangdoi serve``'s hook: set the outbox, load the hub's calendar, start the sender.
    Returns the sender (None for a lone center)."""
    h = app.extensions["hangdoi"]
    set_outbox(h.storage, config.site is not None)
    if config.site is None:
        return None
    from .calendar import load_calendar
    from .sender import Sender

    load_calendar(h.storage)
    sender = Sender(h, config.site)
    sender.start()
    log.info("site %s (%s): sending events to the hub %s", config.site.code, config.site.kind, config.site.hub_url)
    return sender
