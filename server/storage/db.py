"""One SQLite file in WAL mode, reached through a small pool of sqlite-utils connections.

Writers that read before they write (allocating a number, choosing the next ticket) take the
write lock first with ``BEGIN IMMEDIATE``: SQLite then serialises them across threads,
greenlets and processes, and no two of them can see the same "next" row.
"""
from __future__ import annotations

import os
import queue
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from .migrations import MIGRATIONS, Migration, migrate

BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 8


class StorageError(Exception):
    """The database cannot be used (unwritable, corrupt, locked for too long)."""


class SchemaTooNew(StorageError):
    pass


class Storage:
    def __init__(self, path: str | os.PathLike, *, migrations: tuple[Migration, ...] = MIGRATIONS,
                 synchronous: str = "FULL"):
        self.path = Path(path)
        self.synchronous = synchronous
        self._pool: queue.LifoQueue[sqlite_utils.Database] = queue.LifoQueue()
        self._create_file()
        with self.connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            try:
                self.schema_version = migrate(db, migrations)
            except SchemaTooNew as exc:
                raise SchemaTooNew(str(exc)) from None

    def _create_file(self) -> None:
        """Create the database file (and its folder) readable by its owner only."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        except OSError as exc:
            raise StorageError(f"cannot create the database {self.path}: {exc.strerror}") from None

    def _connect(self) -> sqlite_utils.Database:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from None
        return sqlite_utils.Database(conn)

    @contextmanager
    def connection(self) -> Iterator[sqlite_utils.Database]:
        """A connection for this thread or greenlet alone, returned to the pool afterwards."""
        try:
            db = self._pool.get_nowait()
        except queue.Empty:
            db = self._connect()
        try:
            yield db
        finally:
            if db.conn.in_transaction:  # an exception escaped a transaction: never reuse it half-done
                db.conn.rollback()
            if self._pool.qsize() < POOL_SIZE:
                self._pool.put(db)
            else:
                db.conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction holding SQLite's write lock from its first statement."""
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.execute("COMMIT")

    read = connection

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().conn.close()
            except queue.Empty:
                return
