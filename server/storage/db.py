"""One SQLite file in WAL mode, reached through a small pool of sqlite-utils connections.

Writers that read before they write (allocating a number, choosing the next ticket) take the
write lock first with ``BEGIN IMMEDIATE``: SQLite then serialises them across threads,
greenlets and processes, and no two of them can see the same "next" row.

Group commit: the queue's changes go through ``run_write``. Changes asked for at the same moment
share one transaction and one fsync, each inside its own savepoint (a change that fails is rolled
back alone), and nobody is answered before the commit that holds their change. Under gevent the
fsync of ``COMMIT`` runs in gevent's thread pool, so the server goes on reading requests (which
then form the next group) instead of stopping for the disk.
"""
from __future__ import annotations

import os
import queue
import sqlite3
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from .migrations import MIGRATIONS, Migration, migrate

BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 8


class StorageError(Exception):
    """The database cannot be used (unwritable, corrupt, locked for too long)."""


class SchemaTooNew(StorageError):
    pass


class _Change:
    """One change waiting for the group commit, and what became of it."""

    __slots__ = ("fn", "done", "value", "error", "lead")

    def __init__(self, fn: Callable[[sqlite_utils.Database], Any]):
        self.fn = fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.lead = False

    def apply(self, db: sqlite_utils.Database) -> bool:
        """Run the change; False (and the error kept for its caller) if it raised."""
        try:
            self.value = self.fn(db)
            return True
        except Exception as exc:
            self.error = exc
            return False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class _NothingToCommit(Exception):
    """Every change of a group failed: its transaction is rolled back."""


def _returning_error(fn: Callable[..., Any], *args: Any) -> BaseException | None:
    """For gevent's thread pool, which prints a traceback for every exception of a task: the error
    comes back as a value instead (a full disk fails COMMIT; the caller answers 503, one log line)."""
    try:
        fn(*args)
    except Exception as exc:
        return exc
    return None


def _gevent_hub():
    """gevent's hub when the process runs on gevent (``hangdoi serve`` patches threading), else None."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return None
    import gevent
    return gevent.get_hub()


class Storage:
    def __init__(self, path: str | os.PathLike, *, migrations: tuple[Migration, ...] = MIGRATIONS,
                 synchronous: str = "FULL"):
        self.path = Path(path)
        self.synchronous = synchronous
        self._pool: queue.LifoQueue[sqlite_utils.Database] = queue.LifoQueue()
        self._hub = _gevent_hub()
        self._writing = threading.RLock()        # this process's writers queue here, not in SQLite
        self._changes_lock = threading.Lock()
        self._changes: list[_Change] = []
        self._leading = False
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
        with self._writing, self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            self._commit(db)

    def run_write(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """``fn(db)`` in a write transaction, committed together with the changes asked for at the
        same moment; returns once its commit is on disk, or raises what ``fn`` (or the commit) raised."""
        change = _Change(fn)
        with self._changes_lock:
            self._changes.append(change)
            lead = not self._leading
            self._leading = True
        if not lead:
            change.done.wait()
            if not change.lead:
                return change.outcome()
        try:
            if self._hub is not None:
                import gevent
                gevent.sleep(0)                  # requests already read join this group
            with self._changes_lock:
                group, self._changes = self._changes, []
            self._commit_group(group)
        finally:
            with self._changes_lock:
                if self._changes:                # the next group gets its own leader
                    self._changes[0].lead = True
                    self._changes[0].done.set()
                else:
                    self._leading = False
        return change.outcome()

    def _commit_group(self, group: list[_Change]) -> None:
        try:
            with self.write() as db:
                if len(group) == 1:              # alone: its failure rolls the transaction back
                    group[0].apply(db)
                else:
                    for change in group:
                        db.execute("SAVEPOINT change")
                        if not change.apply(db):
                            db.execute("ROLLBACK TO change")
                        db.execute("RELEASE change")
                if all(c.error is not None for c in group):
                    raise _NothingToCommit
        except _NothingToCommit:
            pass
        except BaseException as exc:             # nothing of the group is on disk: all of it failed
            for change in group:
                if change.error is None:
                    change.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for change in group:
                change.done.set()

    def _commit(self, db: sqlite_utils.Database) -> None:
        """COMMIT; under gevent its fsync waits in a worker thread, not on the server's loop."""
        if self._hub is None:
            db.execute("COMMIT")
        else:
            error = self._hub.threadpool.apply(_returning_error, (db.conn.execute, "COMMIT"))
            if error is not None:            # raised here, where it is handled (503), not printed by gevent
                raise error

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A read of one snapshot: every statement inside sees the database as it was at the first
        one (a deferred transaction; in WAL mode readers never wait for the writer, nor it for them)."""
        with self.connection() as db:
            db.execute("BEGIN")
            yield db
            if db.conn.in_transaction:
                db.conn.commit()             # nothing to write: ends the snapshot

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().conn.close()
            except queue.Empty:
                return
