"""The database file: schema versions, upgrades that keep data, config sync that retires."""
from __future__ import annotations

import copy

import pytest

from server.config import parse_config
from server.storage import SchemaTooNew, Storage
from server.storage.migrations import MIGRATIONS, Migration
from server.storage.sync import sync_config
from tests.conftest import KIOSK, SMALL_CENTER


def test_new_database_is_at_the_latest_version_in_wal_mode(tmp_path):
    storage = Storage(tmp_path / "a.db")
    assert storage.schema_version == MIGRATIONS[-1].version
    with storage.read() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_a_read_of_several_statements_sees_one_snapshot(tmp_path):
    """A view built of several statements (a screen's snapshot, a report) must not mix two states
    of the database: a commit made between its statements is not seen until the read ends."""
    storage = Storage(tmp_path / "a.db")
    with storage.write() as db:
        db.execute("INSERT INTO settings (key, value) VALUES ('n', '1')")
    with storage.read() as db:
        first = db.execute("SELECT value FROM settings WHERE key = 'n'").fetchone()[0]
        with storage.write() as other:                     # another connection commits meanwhile
            other.execute("UPDATE settings SET value = '2' WHERE key = 'n'")
        second = db.execute("SELECT value FROM settings WHERE key = 'n'").fetchone()[0]
    assert first == second == "1"
    with storage.read() as db:
        assert db.execute("SELECT value FROM settings WHERE key = 'n'").fetchone()[0] == "2"


def test_an_old_database_is_upgraded_without_losing_data(tmp_path, config):
    old = Storage(config.server.database)                  # made by "the old release"
    sync_config(old, config)
    with old.write() as db:
        db.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
    old.close()
    newer = MIGRATIONS + (Migration(MIGRATIONS[-1].version + 1, "desk notes",
                                    "ALTER TABLE desks ADD COLUMN note TEXT NOT NULL DEFAULT ''"),)
    upgraded = Storage(config.server.database, migrations=newer)
    assert upgraded.schema_version == newer[-1].version
    with upgraded.read() as db:
        assert db.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
        assert db.execute("SELECT count(*), min(note) FROM desks").fetchone() == (3, "")
    # and the old code refuses the newer database instead of running on it
    with pytest.raises(SchemaTooNew, match="newer than this"):
        Storage(config.server.database)


def test_v4_counts_the_tickets_already_waiting_when_it_upgrades_a_v3_database(tmp_path, config, service, storage):
    for code in ("STP-LLTP", "STP-LLTP", "CA-CC"):
        service.issue(KIOSK, code)
    with storage.write() as db:                           # back to what v3 had
        for trigger in ("tickets_waiting_insert", "tickets_waiting_update", "tickets_waiting_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TABLE waiting_counts")
        db.execute("DROP TRIGGER events_outbox")          # v5 (the sites' outbox) comes after v4
        db.execute("DROP TABLE outbox")
        db.execute("DELETE FROM schema_migrations WHERE version >= 4")
    storage.close()
    upgraded = Storage(config.server.database)
    with upgraded.read() as db:
        assert sorted(db.execute("SELECT service, n FROM waiting_counts").fetchall()) == [("CA-CC", 1), ("STP-LLTP", 2)]


def test_a_failing_migration_changes_nothing(tmp_path):
    broken = MIGRATIONS + (Migration(99, "broken", "ALTER TABLE desks ADD COLUMN x TEXT;\nSELECT * FROM no_such_table;"),)
    Storage(tmp_path / "b.db")
    with pytest.raises(Exception):
        Storage(tmp_path / "b.db", migrations=broken)
    with Storage(tmp_path / "b.db").read() as db:
        assert "x" not in {r[1] for r in db.execute("PRAGMA table_info(desks)")}


def test_events_are_append_only(service, storage):
    service.issue(KIOSK, "STP-LLTP")
    with storage.write() as db, pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM events")
    with storage.write() as db, pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE events SET type = 'x'")


def test_removing_things_from_the_config_retires_them_and_keeps_history(tmp_path, storage, service, config):
    ticket = service.issue(KIOSK, "CA-CC").result
    data = copy.deepcopy(SMALL_CENTER)
    data["agencies"] = [a for a in data["agencies"] if a["code"] != "CA"]
    data["desks"] = [d for d in data["desks"] if d["agency"] != "CA"]
    data["server"] = {"database": str(config.server.database)}
    smaller = parse_config(data, tmp_path)
    report = sync_config(storage, smaller)
    assert report.retired["agencies"] == ["CA"] and report.retired["desks"] == [3]
    with storage.read() as db:
        assert db.execute("SELECT active FROM agencies WHERE code = 'CA'").fetchone()[0] == 0
        assert db.execute("SELECT code FROM tickets WHERE id = ?", [ticket["id"]]).fetchone()[0] == "C001"
    assert [q["code"] for q in service.queues()] == ["STP-LLTP", "STP-HT"]
    with pytest.raises(Exception):
        service.issue(KIOSK, "CA-CC")
    # putting it back reactivates it, history intact
    sync_config(storage, config)
    assert service.issue(KIOSK, "CA-CC").result["code"] == "C002"


def test_v6_lookup_runs_again_harmlessly_and_completes_a_database_whose_v5_was_the_lookup(config, storage):
    """The lookup's migration was first numbered 5 (beside the hub's outbox, also 5): a database
    made then says "5" with the lookup's tables and no outbox. v6 makes nothing twice, and makes
    the outbox and its trigger (which sends the rating's scale and reason)."""
    with storage.write() as db:
        db.execute("DROP TRIGGER events_outbox")
        db.execute("DROP TABLE outbox")
        db.execute("DELETE FROM schema_migrations WHERE version >= 6")
        db.execute("UPDATE schema_migrations SET name = 'procedure catalog (lookup)' WHERE version = 5")
    storage.close()
    upgraded = Storage(config.server.database)
    assert upgraded.schema_version == MIGRATIONS[-1].version
    with upgraded.read() as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'events_outbox'").fetchone()[0]
        columns = [r[1] for r in db.execute("PRAGMA table_info(ratings)")]
    assert {"outbox", "dossiers", "procedures"} <= names and "r.levels" in trigger and "r.reason" in trigger
    assert columns.count("levels") == 1 and columns.count("reason") == 1
    upgraded.close()
    with Storage(config.server.database).write() as db:          # run once more: nothing changes, nothing fails
        from server.storage.migrations import _v6_lookup
        _v6_lookup(db)


def test_the_outbox_sends_the_ratings_scale_and_reason(storage, service):
    from server.site import set_outbox
    from tests.conftest import OFFICER_STP

    set_outbox(storage, True)
    ticket = service.issue(KIOSK, "STP-LLTP").result
    service.call_next(OFFICER_STP, 1)
    service.finish(OFFICER_STP, 1)
    service.rate(OFFICER_STP, ticket["id"], 1, None, "staff", reason="Thời gian chờ lâu", levels=3)
    import json
    with storage.read() as db:
        rated = [json.loads(m) for (m,) in db.execute("SELECT message FROM outbox") if '"rated"' in m]
    assert [(m["rating"]["score"], m["rating"]["levels"], m["rating"]["reason"]) for m in rated] == [
        (1, 3, "Thời gian chờ lâu")]
