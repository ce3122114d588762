"""Bring the database's agencies, services, desks and devices in line with the config.

Everything named in the config is created or updated by its code; whatever the database has
that the config no longer names is retired (``active = 0``), never deleted, so its history
(tickets, events, reports) stays whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from .db import Storage


@dataclass
class SyncReport:
    added: dict[str, list] = field(default_factory=dict)
    retired: dict[str, list] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{len(v)} {k} added" for k, v in self.added.items() if v]
        parts += [f"{len(v)} {k} retired" for k, v in self.retired.items() if v]
        return ", ".join(parts) or "no changes of agencies, services, desks or devices"


def sync_config(storage: Storage, config: Config) -> SyncReport:
    report = SyncReport()
    with storage.write() as db:
        def upsert(table: str, key: str, rows: list[dict]) -> None:
            existing = {r[0] for r in db.execute(f"SELECT {key} FROM {table}")}
            wanted = [r[key] for r in rows]
            report.added[table] = [k for k in wanted if k not in existing]
            report.retired[table] = sorted(
                r[0] for r in db.execute(f"SELECT {key} FROM {table} WHERE active = 1")
                if r[0] not in set(wanted)
            )
            db.execute(f"UPDATE {table} SET active = 0")
            for row in rows:
                cols = list(row) + ["active"]
                updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key)
                db.execute(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                    f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
                    [*row.values(), 1],
                )

        upsert("agencies", "code", [
            {"code": a.code, "name": a.name, "position": i} for i, a in enumerate(config.agencies)
        ])
        upsert("services", "code", [
            {"code": s.code, "agency": s.agency, "name": s.name, "prefix": s.prefix,
             "target_wait_min": s.target_wait_min, "position": i}
            for i, s in enumerate(config.services.values())
        ])
        upsert("desks", "number", [
            {"number": d.number, "agency": d.agency, "name": d.name, "position": i}
            for i, d in enumerate(config.desks)
        ])
        db.execute("DELETE FROM desk_services")
        for desk in config.desks:
            for service in desk.services:
                db.execute("INSERT INTO desk_services (desk, service) VALUES (?, ?)", [desk.number, service])
        devices = [{"id": k.id, "kind": "kiosk", "name": k.name, "display_kind": None, "desk": None}
                   for k in config.kiosks]
        devices += [{"id": d.id, "kind": "display", "name": d.name, "display_kind": d.kind, "desk": d.desk}
                    for d in config.displays]
        upsert("devices", "id", devices)
    return report
