"""``hangdoi hub``: the hub on gevent's WSGI server — the same server setup as ``hangdoi serve``
(``server.serve``: listening socket, graceful stop, database lock, logging)."""
from __future__ import annotations

import logging

from ..serve import StartupRefused, configure_logging, listen, lock_database, serve_wsgi
from ..storage import StorageError

log = logging.getLogger("hangdoi.hub")


def run_hub(config, *, host: str | None = None, port: int | None = None, access_log: bool = False) -> int:
    from .app import create_hub_app

    configure_logging()
    host = host or config.hub.host
    port = port or config.hub.port
    try:
        lock = lock_database(config.database)
        app = create_hub_app(config)
    except (StartupRefused, StorageError) as err:
        log.error("%s", err)
        return 2
    try:
        listener = listen(host, port)
    except OSError as err:
        log.error("cannot listen on %s:%s: %s", host, port, err.strerror)
        return 2
    serve_wsgi(listener, app, access_log=access_log,
               started=lambda: log.info("Hàng Đợi hub %s on http://%s:%s (database %s, %d sites, link down after %ss)",
                                        config.hub.name, host, port, config.database, len(config.sites),
                                        config.link_down_after_s))
    app.extensions["hangdoi_hub"].storage.close()
    lock.close()
    log.info("stopped")
    return 0
