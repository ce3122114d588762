"""Start the real ``hangdoi serve`` as a subprocess for tests that need one (HTTP, websockets, crashes)."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_value(database: Path, sql: str, *args):
    """The first column of the first row of ``sql`` in a server's database file (None if no row)."""
    db = sqlite3.connect(database, timeout=5)
    try:
        row = db.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def eventually(fn, want, timeout: float):
    """Ask ``fn()`` until it gives ``want`` or ``timeout`` seconds pass; return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def write_config(tmp_path: Path, text: str, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text.replace("{PORT}", str(port)), encoding="utf-8")
    return path


#: users to create before the server starts: ``{username: (password, role)}`` or ``(password, role, agency)``
Users = dict[str, tuple]


def prepare_database(config_path: Path, users: Users | None = None) -> Path:
    """Create the center's database from its config (as ``hangdoi serve`` would) with ``users`` in
    it; the server is not started. Returns the database's path."""
    from server.auth.users import create_user
    from server.config import load_config
    from server.storage import Storage
    from server.storage.sync import sync_config

    config = load_config(config_path)
    storage = Storage(config.server.database)
    try:
        sync_config(storage, config)
        for username, spec in (users or {}).items():
            create_user(storage, username, *spec)
    finally:
        storage.close()
    return config.server.database


def start_center(tmp_path: Path, toml_text: str, users: Users | None = None, *, timeout: float = 20,
                 **kwargs) -> "LiveServer":
    """Write ``toml_text`` (``{PORT}`` filled in) to ``tmp_path/config.toml``, create ``users`` in
    its database and start the server there; ``kwargs`` go to ``LiveServer``. The server's
    ``database`` attribute is the database's path."""
    port = free_port()
    path = write_config(tmp_path, toml_text, port)
    database = prepare_database(path, users)
    server = LiveServer(path, port, **kwargs)
    server.database = database
    return server.start(timeout)


class LiveServer:
    def __init__(self, config_path: Path, port: int, log_path: Path | None = None, *,
                 env: dict[str, str] | None = None, preexec_fn=None, args: tuple[str, ...] = ()):
        """``env``: extra environment variables of the server process (e.g. libfaketime's);
        ``preexec_fn``: run in the child before the server starts (e.g. to drop capabilities);
        ``args``: extra switches of ``hangdoi serve`` (e.g. ``--access-log``)."""
        self.config_path = config_path
        self.args = tuple(args)
        self.extra_env = dict(env or {})
        self.preexec_fn = preexec_fn
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path or config_path.with_name(f"server-{port}.log")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> "LiveServer":
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.extra_env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--config", str(self.config_path), "--port", str(self.port),
             *self.args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=0.5).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout}s: {self.log()}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
