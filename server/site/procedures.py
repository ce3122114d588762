"""The procedure catalog the hub publishes (hub.toml ``[lookup] procedures``, issue 14).

The hub's ingest answer carries the catalog's fingerprint; when it is not the one this site last
took, the sender fetches the whole catalog (``GET /hub/v1/site/procedures``), checks every entry
as a catalog file is checked, and makes it the site's searchable catalog. The site keeps that
copy in its own database (the fingerprint in ``settings.hub_procedures``): it is searched while
the hub cannot be reached and after a restart, and from then on it wins over the config's own
``[lookup] procedures`` file. Agencies this site has keep this site's names; a procedure whose
service this site does not have is still found and shown, without the "take a number" button.
"""
from __future__ import annotations

import json
import logging
import time
import urllib.request

from ..lookup import parse_entries, store
from ..storage import get_setting, put_setting

log = logging.getLogger("hangdoi.site")

SETTING = "hub_procedures"
TIMEOUT_S = 30.0                      # a province's catalog is a few MB at most
MAX_BYTES = 32 * 1024 * 1024
RETRY_AFTER_S = 60.0                  # after a failed fetch, the next try waits this long


def stored_fingerprint(storage) -> str | None:
    with storage.read() as db:
        return get_setting(db, SETTING) or None


class ProcedureFollower:
    """Keeps the site's catalog the hub's: ``seen(answer)`` after every ingest answer."""

    def __init__(self, h, site):
        self.h, self.site = h, site
        self.fingerprint = stored_fingerprint(h.storage)
        self._failed_at = 0.0

    def seen(self, answer: dict) -> None:
        published = answer.get("procedures")
        if not isinstance(published, dict) or not isinstance(published.get("fingerprint"), str):
            return
        wanted = published["fingerprint"][:128]
        if wanted == self.fingerprint or time.monotonic() - self._failed_at < RETRY_AFTER_S:
            return
        try:
            self.take(self._fetch())
        except Exception as err:       # noqa: BLE001 - the queue never waits on this; try again later
            self._failed_at = time.monotonic()
            log.warning("the hub's procedure catalog could not be taken (%s); the site keeps its copy", err)

    def _fetch(self) -> dict:
        request = urllib.request.Request(self.site.hub_url + "/hub/v1/site/procedures",
                                         headers={"Authorization": f"Bearer {self.site.hub_token}"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            raw = response.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError("the catalog is larger than 32 MB")
        return json.loads(raw)

    def take(self, body: dict) -> int:
        """Check the hub's catalog and make it this site's; returns the number of procedures."""
        fingerprint, items = body.get("fingerprint"), body.get("procedures")
        if not isinstance(fingerprint, str) or not isinstance(items, list):
            raise ValueError("the hub's answer has no fingerprint and procedures")
        procedures, problems = parse_entries([(f"procedures[{i}]", item) for i, item in enumerate(items)], None)
        if problems:                   # a bad entry is left out, the rest is taken; said once
            log.warning("the hub's procedure catalog: %d entries left out (%s)", len(problems), problems[0])
        names = {a.code: a.name for a in self.h.config.agencies}
        procedures = [p if p.agency not in names else _renamed(p, names[p.agency]) for p in procedures]

        def write(db):
            store.replace_catalog(db, procedures, self.h.clock.now())
            put_setting(db, SETTING, fingerprint[:128])

        self.h.storage.run_write(write)
        self.fingerprint = fingerprint[:128]
        log.info("procedure catalog from the hub: %d procedures", len(procedures))
        return len(procedures)


def _renamed(procedure, name: str):
    from dataclasses import replace
    return replace(procedure, agency_name=name)
