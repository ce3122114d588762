"""``hangdoi serve``: the production server — gevent's WSGI server with websockets, one process,
graceful shutdown on SIGTERM, one log line per thing that happened."""
from __future__ import annotations

import fcntl
import logging
import os
import signal
from pathlib import Path

from .config import Config
from .storage import StorageError

log = logging.getLogger("hangdoi")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("engineio", "socketio", "geventwebsocket"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class DatabaseInUse(Exception):
    pass


def lock_database(path: Path):
    """Refuse to run two servers on one database file by mistake (an exclusive lock beside it)."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise DatabaseInUse(f"another Hàng Đợi server ({owner}) is already running on {path}; "
                            f"stop it first, or give this one its own [server] database") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def listen(host: str, port: int):
    """The listening socket, with TCP_NODELAY (inherited by accepted sockets on Linux): small
    answers leave at once instead of waiting 40 ms for the client's delayed ACK."""
    from gevent import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def run(config: Config, *, host: str | None = None, port: int | None = None, access_log: bool = False) -> int:
    import gevent
    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    from .web.app import create_app

    configure_logging()
    host = host or config.server.host
    port = port or config.server.port
    try:
        lock = lock_database(config.server.database)
        app = create_app(config, async_mode="gevent")
    except (DatabaseInUse, StorageError) as err:
        log.error("%s", err)
        return 2
    try:
        listener = listen(host, port)
    except OSError as err:
        log.error("cannot listen on %s:%s: %s", host, port, err.strerror)
        return 2
    server = pywsgi.WSGIServer(listener, app, handler_class=WebSocketHandler,
                               log=logging.getLogger("hangdoi.access") if access_log else None,
                               error_log=logging.getLogger("hangdoi.http"))

    def stop(signum: int) -> None:
        log.info("signal %s: finishing requests in flight, then stopping", signal.Signals(signum).name)
        server.stop(timeout=5)

    gevent.signal_handler(signal.SIGTERM, stop, signal.SIGTERM)
    gevent.signal_handler(signal.SIGINT, stop, signal.SIGINT)
    server.start()
    log.info("Hàng Đợi serving %s on http://%s:%s (database %s)", config.center.name, host, port,
             config.server.database)
    server.serve_forever()
    app.extensions["hangdoi"].storage.close()
    lock.close()
    log.info("stopped")
    return 0
