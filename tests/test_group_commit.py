"""Group commit: changes asked for at the same moment share one transaction, each in its own
savepoint; nobody is answered before the commit that holds their change."""
from __future__ import annotations

import threading
import time

import pytest

from server.storage import Storage


@pytest.fixture
def storage(tmp_path):
    s = Storage(tmp_path / "g.db")
    with s.write() as db:
        db.execute("INSERT INTO settings (key, value) VALUES ('seed', '0')")
    yield s
    s.close()


def insert(key, fail=None):
    def change(db):
        db.execute("INSERT INTO settings (key, value) VALUES (?, 'x')", [key])
        if fail:
            raise fail
        return key
    return change


def keys(storage):
    with storage.read() as db:
        return {r[0] for r in db.execute("SELECT key FROM settings")}


def run_group(storage, changes):
    """Hold the leader inside its transaction until every change below is queued, so that they
    form the next group together; return what each caller got (a value or an exception)."""
    release = threading.Event()
    results: dict[str, object] = {}

    def blocker(db):
        release.wait(5)
        return "leader"

    def call(name, fn):
        try:
            results[name] = storage.run_write(fn)
        except Exception as exc:  # noqa: BLE001 — the test looks at it
            results[name] = exc

    threads = [threading.Thread(target=call, args=("leader", blocker))]
    threads[0].start()
    time.sleep(0.1)
    for name, fn in changes:
        threads.append(threading.Thread(target=call, args=(name, fn)))
        threads[-1].start()
    deadline = time.monotonic() + 5
    while len(storage._changes) < len(changes) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(storage._changes) == len(changes)          # they really wait as one group
    release.set()
    for t in threads:
        t.join(10)
    return results


def test_a_failing_change_is_rolled_back_alone(storage):
    boom = ValueError("no such service")
    results = run_group(storage, [("a", insert("a")), ("b", insert("b", fail=boom)), ("c", insert("c"))])
    assert results == {"leader": "leader", "a": "a", "b": boom, "c": "c"}
    assert keys(storage) == {"seed", "a", "c"}


def test_a_failing_commit_fails_every_change_of_its_group(storage):
    def breaks_the_commit(db):                            # a deferred constraint is checked at COMMIT
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute("INSERT INTO desk_services (desk, service) VALUES (999, 'NO-SUCH')")
        return "broken"

    results = run_group(storage, [("a", insert("a")), ("broken", breaks_the_commit), ("c", insert("c"))])
    assert results["leader"] == "leader"
    for name in ("a", "broken", "c"):
        assert "FOREIGN KEY" in str(results[name]), results
    assert keys(storage) == {"seed"}
    assert storage.run_write(insert("after")) == "after"  # and the storage goes on working
    assert keys(storage) == {"seed", "after"}


def test_many_writers_each_get_their_own_answer_and_nothing_is_lost(storage):
    answers = []

    def writer(i):
        for j in range(50):
            answers.append(storage.run_write(insert(f"{i}-{j}")))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == sorted(f"{i}-{j}" for i in range(8) for j in range(50))
    assert keys(storage) == {"seed", *answers}
