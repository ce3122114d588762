"""Small test centers written as TOML, for the tests (and benches) that start the real server.

``center_toml(...)`` renders one config; ``port = {PORT}`` stays a placeholder for
``tests.live_server.write_config``. Agencies, services, desks, kiosks and displays are plain dicts
(the TOML tables, keys in the order written); the shared ones are named below, a variant is
``with_(block, key=value)``."""
from __future__ import annotations

import json
from typing import Iterable

TIMEZONE = "Asia/Ho_Chi_Minh"
THAI_NGUYEN = "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
ODD_STP_NAME = "Sở Tư pháp <i>thử</i>"        # markup in a name: the pages must show it as text


def with_(block: dict, **changes) -> dict:
    """A copy of ``block`` with some keys changed (or added)."""
    return {**block, **changes}


def service(code: str, name: str, prefix: str, **extra) -> dict:
    return {"code": code, "name": name, "prefix": prefix, **extra}


def agency(code: str, name: str, *services: dict) -> dict:
    return {"code": code, "name": name, "services": list(services)}


def desk(number: int, agency_code: str, *services: str, **extra) -> dict:
    return {"number": number, "agency": agency_code, "services": list(services), **extra}


def kiosk(kiosk_id: str, token: str, **extra) -> dict:
    return {"id": kiosk_id, **extra, "token": token}


def hall_display(display_id: str, token: str, **extra) -> dict:
    return {"id": display_id, "token": token, "kind": "hall", **extra}


def desk_display(display_id: str, token: str, number: int, audio: bool = False) -> dict:
    return {"id": display_id, "token": token, "kind": "desk", "desk": number, "audio": audio}


# ---- the blocks the tests share -------------------------------------------------------------------
LLTP = service("STP-LLTP", "Lý lịch tư pháp", "A")
HT = service("STP-HT", "Hộ tịch", "B")
CA_CC = service("CA-CC", "Căn cước", "C")
BHXH_THE = service("BHXH-THE", "Cấp lại thẻ bảo hiểm y tế", "B")

STP = agency("STP", "Sở Tư pháp", LLTP, HT)
STP_LLTP_ONLY = agency("STP", "Sở Tư pháp", LLTP)
CA = agency("CA", "Công an tỉnh", CA_CC)
BHXH = agency("BHXH", "Bảo hiểm xã hội tỉnh", BHXH_THE)

#: two STP desks serving both its services and the CA desk (number 3)
TWO_STP_DESKS_AND_CA = [desk(1, "STP", "STP-LLTP", "STP-HT"), desk(2, "STP", "STP-LLTP", "STP-HT"),
                        desk(3, "CA", "CA-CC")]
#: the four desks of the browser tests' STP + CA + BHXH center
FOUR_DESKS = [desk(1, "STP", "STP-LLTP", "STP-HT", name="Quầy 1 – Sở Tư pháp"), desk(2, "STP", "STP-LLTP"),
              desk(3, "CA", "CA-CC"), desk(4, "BHXH", "BHXH-THE")]


# ---- rendering ------------------------------------------------------------------------------------
def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)          # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def _pairs(table: dict, indent: str = "") -> list[str]:
    return [f"{indent}{key} = {_value(value)}" for key, value in table.items()]


def _table(name: str, table: dict | None) -> list[str]:
    return ["", f"[{name}]", *_pairs(table)] if table else []


def _array(name: str, tables: Iterable[dict]) -> list[str]:
    out: list[str] = []
    for table in tables:
        out += ["", f"[[{name}]]", *_pairs(table)]
    return out


def _agencies(agencies: Iterable[dict]) -> list[str]:
    out: list[str] = []
    for a in agencies:
        out += ["", "[[agencies]]", *_pairs({k: v for k, v in a.items() if k != "services"})]
        for s in a["services"]:
            out += ["  [[agencies.services]]", *_pairs(s, "  ")]
    return out


def center_toml(database: str, *, agencies: Iterable[dict] = (STP, CA), desks: Iterable[dict] = (),
                kiosks: Iterable[dict] = (), displays: Iterable[dict] = (), name: str = THAI_NGUYEN,
                notice: str | None = None, server: dict | None = None, limits: dict | None = None,
                printing: dict | None = None, announce: dict | None = None, extra: str = "") -> str:
    """A center's config.toml. ``database`` is relative to the config file; ``server`` adds keys to
    ``[server]`` (after ``port`` and ``database``); ``extra`` is TOML appended as it is."""
    center = {"name": name, "timezone": TIMEZONE, **({"notice": notice} if notice is not None else {})}
    lines = ["", "[center]", *_pairs(center),
             "", "[server]", "port = {PORT}", *_pairs({"database": database, **(server or {})})]
    lines += _table("printing", printing) + _table("limits", limits) + _table("announce", announce)
    lines += _agencies(agencies) + _array("desks", desks) + _array("kiosks", kiosks) + _array("displays", displays)
    return "\n".join(lines) + "\n" + extra
