"""Numbers stay unique and no ticket reaches two desks when many issue and call at once,
against one real SQLite file, from threads and from separate processes."""
from __future__ import annotations

import multiprocessing as mp
import threading
from collections import Counter

from server.clock import Clock
from server.config import parse_config
from server.rules import Actor, QueueService, RuleContext
from server.storage import Storage
from server.storage.sync import sync_config

ISSUERS = 16
TICKETS_EACH = 40
DESKS = 50
KIOSK = Actor(kind="device", role="kiosk", device="kiosk-1")
SUPERVISOR = Actor(kind="user", role="supervisor", user_id=None)


def big_center(db_path: str) -> dict:
    return {
        "center": {"name": "Trung tâm thử tải", "timezone": "Asia/Ho_Chi_Minh"},
        "server": {"database": db_path},
        "agencies": [{"code": "AG", "name": "Cơ quan", "services": [
            {"code": "S1", "name": "Dịch vụ 1", "prefix": "A"},
            {"code": "S2", "name": "Dịch vụ 2", "prefix": "A"},
            {"code": "S3", "name": "Dịch vụ 3", "prefix": "B"},
        ]}],
        "desks": [{"number": n, "agency": "AG", "services": ["S1", "S2", "S3"]} for n in range(1, DESKS + 1)],
    }


def open_service(tmp_path, db_path):
    config = parse_config(big_center(db_path), tmp_path)
    storage = Storage(config.server.database)
    return QueueService(storage, RuleContext(clock=Clock(config.tz), public_url="http://x")), storage, config


def _issue_many(args):
    tmp, db_path, n, worker = args
    from pathlib import Path
    service, storage, _ = open_service(Path(tmp), db_path)
    codes = [service.issue(KIOSK, ("S1", "S2", "S3")[(worker + i) % 3]).result["code"] for i in range(n)]
    storage.close()
    return codes


def _call_once(args):
    tmp, db_path, desk, barrier = args
    from pathlib import Path
    service, storage, _ = open_service(Path(tmp), db_path)
    barrier.wait()
    got = []
    while True:
        ticket = service.call_next(SUPERVISOR, desk).result
        if ticket is None:
            break
        got.append(ticket["id"])
    storage.close()
    return got


def _prepare(tmp_path):
    db_path = str(tmp_path / "load.db")
    service, storage, config = open_service(tmp_path, db_path)
    sync_config(storage, config)
    return service, storage, db_path


def test_16_threads_issuing_never_share_a_code(tmp_path):
    service, storage, db_path = _prepare(tmp_path)
    codes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(ISSUERS)

    def worker(i):
        start.wait()
        mine = [service.issue(KIOSK, ("S1", "S2", "S3")[(i + k) % 3]).result["code"] for k in range(TICKETS_EACH)]
        with lock:
            codes.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(ISSUERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == ISSUERS * TICKETS_EACH
    assert not [c for c, n in Counter(codes).items() if n > 1]
    a = sorted(int(c[1:]) for c in codes if c.startswith("A"))
    assert a == list(range(1, len(a) + 1))          # no gaps, no repeats in the shared sequence


def test_16_processes_issuing_never_share_a_code(tmp_path):
    _, _, db_path = _prepare(tmp_path)
    with mp.get_context("spawn").Pool(ISSUERS) as pool:
        results = pool.map(_issue_many, [(str(tmp_path), db_path, TICKETS_EACH, i) for i in range(ISSUERS)])
    codes = [c for r in results for c in r]
    assert len(codes) == len(set(codes)) == ISSUERS * TICKETS_EACH
    with Storage(db_path).read() as db:
        assert db.execute("SELECT count(DISTINCT code), count(*) FROM tickets").fetchone() == (len(codes), len(codes))


def test_50_desks_calling_at_once_never_get_the_same_ticket(tmp_path):
    service, storage, db_path = _prepare(tmp_path)
    for i in range(300):
        service.issue(KIOSK, ("S1", "S2", "S3")[i % 3])
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(DESKS)
        with ctx.Pool(DESKS) as pool:
            results = pool.map(_call_once, [(str(tmp_path), db_path, d, barrier) for d in range(1, DESKS + 1)])
    called = [t for r in results for t in r]
    assert len(called) == len(set(called)) == 300
    with storage.read() as db:
        calls = db.execute("SELECT ticket, count(*) FROM events WHERE type = 'called' GROUP BY ticket HAVING count(*) > 1").fetchall()
        assert calls == []
        assert db.execute("SELECT count(*) FROM tickets WHERE status = 'waiting'").fetchone()[0] == 0
