"""``hangdoi serve``: the production server — gevent's WSGI server with websockets, graceful
shutdown on SIGTERM, one log line per thing that happened.

One process per database, unless ``[server] message_queue`` names a Redis server: then several
processes (each on its own port, behind a load balancer with sticky sessions) share the database
on one host and reach each other's Socket.IO clients through Redis. The lock file beside the
database keeps the two ways apart: a lone server holds it exclusively, scale-out servers hold it
shared, so neither kind starts while the other kind runs."""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import sqlite3
from pathlib import Path

from .config import Config
from .logs import redact
from .storage import StorageError

log = logging.getLogger("hangdoi")


def configure_logging(timezone: str | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # the ``.server`` loggers too: left at NOTSET, python-engineio and python-socketio give them a
    # handler of their own, which would print tracebacks past the filters of ``install``
    for noisy in ("engineio", "socketio", "geventwebsocket", "engineio.server", "socketio.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from .logs import install
    install(timezone=timezone)     # tokens and ticket secrets in URLs and headers are masked; center's time


class StartupRefused(Exception):
    """The server must not start; the message says why, in one line."""


class DatabaseInUse(StartupRefused):
    pass


class MessageQueueUnreachable(StartupRefused):
    pass


def lock_database(path: Path, *, shared: bool = False):
    """Refuse to run two servers on one database file by mistake (a lock beside it).

    ``shared=False`` (no message queue): an exclusive lock, refused while any server runs.
    ``shared=True`` (scale-out): a shared lock, refused only while a lone server runs."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+")   # owner only
    except OSError as exc:         # a read-only folder or file, another owner: one clear line, no traceback
        raise StorageError(f"cannot open {lock_path} (the lock beside the database): {exc.strerror}; "
                           f"the database, its folder and its files must be writable by the server") from None
    if shared:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _lock_owner(handle)
            handle.close()
            raise DatabaseInUse(
                f"another Hàng Đợi server ({owner}) is already running on {path} without [server] message_queue: "
                f"it would not reach the screens of this one, nor they its calls; stop it, or give it the same "
                f"[server] message_queue and start it again") from None
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if _held_shared(handle):
            handle.close()
            raise DatabaseInUse(
                f"Hàng Đợi servers with [server] message_queue (scale-out) are already running on {path}: "
                f"a server without it would not reach their screens, nor they its calls; give this one the same "
                f"[server] message_queue, or stop them first") from None
        owner = _lock_owner(handle)
        handle.close()
        raise DatabaseInUse(f"another Hàng Đợi server ({owner}) is already running on {path}; "
                            f"stop it first, or give this one its own [server] database") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def _lock_owner(handle) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"


def _held_shared(handle) -> bool:
    """Whether the lock we could not take exclusively is held shared (scale-out servers)."""
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(handle, fcntl.LOCK_UN)
    return True


def check_message_queue(url: str, timeout_s: float = 3.0) -> None:
    """Fail early, with the reason, when the Redis of ``[server] message_queue`` does not answer."""
    try:
        import redis
    except ImportError:
        raise MessageQueueUnreachable("[server] message_queue needs the Python package redis: pip install '.[scale]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        client.ping()
        client.close()
    except Exception as err:  # noqa: BLE001 - any failure is reported the same way
        raise MessageQueueUnreachable(f"cannot reach the message queue {redact(url)} ([server] message_queue): {err}") from None


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


def handler_class():
    """gevent-websocket's handler, logging the errors that escape the application through
    ``logging`` (``hangdoi.http``) rather than gevent's hub, which prints a traceback and the
    request's environ to stderr: there ``server.logs`` shortens a client's malformed frame to one
    rate-limited line and keeps a server bug's traceback."""
    from geventwebsocket.handler import WebSocketHandler

    class Handler(WebSocketHandler):
        def _log_error(self, t, v, tb):
            import gevent

            if not issubclass(t, gevent.GreenletExit):
                logging.getLogger("hangdoi.http").error("%s %s from %s failed", self.environ.get("REQUEST_METHOD"),
                                                        self.environ.get("PATH_INFO"),
                                                        self.environ.get("REMOTE_ADDR"), exc_info=(t, v, tb))

    return Handler


def serve_wsgi(listener, app, *, access_log: bool = False, started=None) -> None:
    """gevent's WSGI server with websockets on ``listener`` until SIGTERM or SIGINT (requests in
    flight get 5 s). Shared by ``hangdoi serve`` and ``hangdoi hub``."""
    import gevent
    from gevent import pywsgi

    server = pywsgi.WSGIServer(listener, app, handler_class=handler_class(),
                               log=logging.getLogger("hangdoi.access") if access_log else None,
                               error_log=logging.getLogger("hangdoi.http"))
    # gevent-websocket's handler logs each request to ``server.logger`` (its own logger, kept at
    # WARNING), not to ``log``: give it ours, or nothing, so --access-log means what it says
    server.logger = logging.getLogger("hangdoi.access" if access_log else "hangdoi.access.off")
    if not access_log:
        server.logger.setLevel(logging.WARNING)

    def stop(signum: int) -> None:
        log.info("signal %s: finishing requests in flight, then stopping", signal.Signals(signum).name)
        server.stop(timeout=5)

    gevent.signal_handler(signal.SIGTERM, stop, signal.SIGTERM)
    gevent.signal_handler(signal.SIGINT, stop, signal.SIGINT)
    server.start()
    if started is not None:
        started()
    server.serve_forever()


def run(config: Config, *, host: str | None = None, port: int | None = None, access_log: bool = False) -> int:
    from .web.app import create_app

    configure_logging(config.center.timezone)
    host = host or config.server.host
    port = port or config.server.port
    scale_out = bool(config.server.message_queue)
    try:
        lock = lock_database(config.server.database, shared=scale_out)
        if scale_out:
            check_message_queue(config.server.message_queue)
        app = create_app(config, async_mode="gevent")
    except (StartupRefused, StorageError) as err:
        log.error("%s", err)
        return 2
    except (sqlite3.Error, OSError) as err:
        # a full disk (or a file size limit) while the database is created, migrated or synced:
        # one line and exit 2 like the other storage problems, not a traceback and exit 1
        log.error("cannot write the database %s while starting: %s; is the disk full, or the database "
                  "read-only? (%s)", config.server.database, getattr(err, "strerror", None) or err,
                  type(err).__name__)
        return 2
    try:
        listener = listen(host, port)
    except OSError as err:
        log.error("cannot listen on %s:%s: %s", host, port, err.strerror)
        return 2
    from .bootstrap import start_background_tasks

    background = start_background_tasks(app, config)
    serve_wsgi(listener, app, access_log=access_log,
               started=lambda: log.info("Hàng Đợi serving %s on http://%s:%s (database %s%s)", config.center.name,
                                        host, port, config.server.database,
                                        f"; scale-out through {redact(config.server.message_queue)}" if scale_out else ""))
    background.stop()
    hub = app.extensions["hangdoi"]
    if hub.realtime is not None:
        hub.realtime.shutdown()
    hub.storage.close()
    lock.close()
    log.info("stopped")
    return 0
