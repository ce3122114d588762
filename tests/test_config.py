"""config.toml: the demo loads, every rule reports its exact problem at its place, defaults apply."""
from __future__ import annotations

import copy
import math
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.config import (
    Config, ConfigError, Display, OpeningHours, load_config, parse_config,
)
from server.rules.hours import is_open

ROOT = Path(__file__).resolve().parent.parent

# The example of CONTRACT.md section 2, verbatim: it must keep validating.
# (Kept here rather than under tests/data/, which the repository's .gitignore ("data/") leaves out.)
CONTRACT_EXAMPLE = '''\
[center]
name = "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
timezone = "Asia/Ho_Chi_Minh"
public_url = "http://127.0.0.1:5000"     # base of links printed in QR codes

[server]
host = "127.0.0.1"
port = 5000
database = "data/hangdoi.db"           # relative to the config file

[announce]
template = "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"
voice = "vi"
repeat = 1

[queue]
priority_max_in_row = 3                # priority calls in a row while normal tickets wait

[[agencies]]
code = "STP"
name = "Sở Tư pháp"

  [[agencies.services]]
  code = "STP-LLTP"
  name = "Lý lịch tư pháp"
  prefix = "A"                         # ticket code prefix; services sharing a prefix share one number sequence
  target_wait_min = 15                 # service-level target: a wait longer than this is late

[[desks]]
number = 1
agency = "STP"
services = ["STP-LLTP"]

[[kiosks]]
id = "kiosk-1"
token = "change-me-kiosk-1"

[[displays]]
id = "hall-1"
token = "change-me-hall-1"
kind = "hall"                          # "hall" (waiting-area board) or "desk" (one desk's screen)
desk = 0                               # for kind = "desk"
audio = true
'''


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------

MINIMAL = {
    "center": {"name": "Trung tâm thử nghiệm", "timezone": "Asia/Ho_Chi_Minh"},
    "agencies": [
        {"code": "STP", "name": "Sở Tư pháp", "services": [
            {"code": "STP-LLTP", "name": "Lý lịch tư pháp", "prefix": "A"},
            {"code": "STP-CCCT", "name": "Công chứng, chứng thực", "prefix": "A"},
        ]},
        {"code": "CA", "name": "Công an tỉnh", "services": [
            {"code": "CA-CC", "name": "Căn cước", "prefix": "C", "target_wait_min": 20},
        ]},
    ],
    "desks": [
        {"number": 1, "agency": "STP", "services": ["STP-LLTP", "STP-CCCT"]},
        {"number": 2, "agency": "CA", "services": ["CA-CC"]},
    ],
    "kiosks": [{"id": "kiosk-1", "token": "kiosk-token-1"}],
    "displays": [
        {"id": "hall-1", "token": "hall-token-1", "kind": "hall"},
        {"id": "desk-2", "token": "desk-token-2", "kind": "desk", "desk": 2},
    ],
}


def minimal() -> dict:
    return copy.deepcopy(MINIMAL)


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, Path("/srv/hangdoi"))
    return info.value.problems


def only_problem(data: dict) -> str:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


def with_(path: str, value, data: dict | None = None) -> dict:
    """A copy of the minimal config with one value set (``value is DELETE`` removes the key).
    ``path`` is dotted with indexes: ``agencies[0].services[1].prefix``."""
    data = minimal() if data is None else data
    parts = path.replace("[", ".").replace("]", "").split(".")
    target = data
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    last = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


DELETE = object()


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------
# the demo and the contract's example
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> Config:
    return load_config(ROOT / "config.toml")


def test_demo_agencies(demo):
    own = [a for a in demo.agencies if a.code == "TTPVHCC"]
    outside = [a for a in demo.agencies if a.code != "TTPVHCC"]
    assert len(outside) == 22                               # 19 provincial + 3 central
    assert [a.name for a in own] == ["Trung tâm Phục vụ hành chính công"]
    assert [s.name for s in own[0].services] == ["Tiếp nhận phản ánh, kiến nghị"]
    assert {"CA", "THUE", "BHXH", "STP", "SNNMT"} <= {a.code for a in outside}
    for agency in demo.agencies:
        assert 1 <= len(agency.services) <= 4, agency.code
        for service in agency.services:
            assert 10 <= service.target_wait_min <= 30, service.code
            assert service.agency == agency.code


def test_demo_desks(demo):
    assert [d.number for d in demo.desks] == list(range(1, 53))
    reception = [d for d in demo.desks if d.agency != "TTPVHCC"]
    assert len(reception) == 50 and {d.number for d in reception} == set(range(1, 51))
    for desk in reception:
        assert desk.name == f"Quầy {desk.number} – {demo.agency(desk.agency).name}"
    assert [(d.number, d.name, d.agency) for d in demo.desks[-2:]] == [
        (51, "Quầy giám sát 1", "TTPVHCC"), (52, "Quầy giám sát 2", "TTPVHCC")]
    served = {code for d in demo.desks for code in d.services}
    assert served == set(demo.services)
    busiest = {a.code: sum(d.agency == a.code for d in demo.desks) for a in demo.agencies}
    assert min(busiest["CA"], busiest["THUE"], busiest["BHXH"], busiest["STP"], busiest["SNNMT"]) > 1


def test_demo_center_server_and_devices(demo):
    assert demo.center.name == "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
    assert demo.center.timezone == "Asia/Ho_Chi_Minh" and demo.tz == ZoneInfo("Asia/Ho_Chi_Minh")
    assert demo.center.public_url == "http://127.0.0.1:5000"
    assert demo.center.notice.strip()
    assert (demo.server.host, demo.server.port) == ("127.0.0.1", 5000)
    assert demo.server.database == ROOT / "data" / "hangdoi.db"
    assert demo.opening_hours is None                        # the demo is open at all hours
    assert [(k.id, k.name, k.token) for k in demo.kiosks] == [
        ("kiosk-1", "Ki-ốt sảnh chính", "demo-kiosk-1-token")]
    hall, desk = demo.displays
    assert (hall.id, hall.kind, hall.token, hall.desk, hall.audio) == (
        "hall-1", "hall", "demo-hall-1-token", None, True)
    assert (desk.kind, desk.desk, desk.token, desk.audio) == ("desk", 1, "demo-desk-1-token", False)


def test_contract_example_validates(tmp_path):
    config = load_config(write(tmp_path, CONTRACT_EXAMPLE))
    assert [s.code for s in config.services.values()] == ["STP-LLTP"]
    # its hall display carries "desk = 0" as a placeholder: accepted, and means no desk
    assert config.displays[0].desk is None


# ----------------------------------------------------------------------------------------------
# defaults and the shape of the result
# ----------------------------------------------------------------------------------------------

def test_defaults():
    config = parse_config(minimal(), Path("/srv/hangdoi"))
    assert config.server.host == "127.0.0.1" and config.server.port == 5000
    assert config.server.database == Path("/srv/hangdoi/data/hangdoi.db")
    assert config.center.public_url == "http://127.0.0.1:5000"
    assert config.center.notice == ""
    assert config.announce.template == "Kính mời công dân có số thứ tự {code} đến quầy số {desk}"
    assert (config.announce.voice, config.announce.repeat) == ("vi", 1)
    assert config.queue.priority_max_in_row == 3
    assert config.queue.default_service_min == 20 and config.queue.token_ttl_hours == 12
    assert config.printing.max_delay_s == 120
    assert config.service("STP-LLTP").target_wait_min == 15
    assert config.service("CA-CC").target_wait_min == 20
    assert config.desk(1).name == "Quầy 1"
    assert config.kiosks[0].name == "kiosk-1"
    assert config.displays[0].name == "hall-1" and config.displays[0].audio is True
    assert config.opening_hours is None
    assert config.path == Path("/srv/hangdoi/config.toml")


def test_public_url_derived_from_server():
    data = minimal()
    data["server"] = {"host": "10.0.0.5", "port": 8080}
    assert parse_config(data, Path("/x")).center.public_url == "http://10.0.0.5:8080"
    data["server"] = {"host": "::1", "port": 8080}
    assert parse_config(data, Path("/x")).center.public_url == "http://[::1]:8080"


def test_public_url_given_loses_trailing_slash():
    data = with_("center.public_url", "https://hangdoi.thainguyen.gov.vn/so/")
    assert parse_config(data, Path("/x")).center.public_url == "https://hangdoi.thainguyen.gov.vn/so"


def test_database_relative_to_config_folder_not_cwd(tmp_path, monkeypatch):
    folder = tmp_path / "etc"
    folder.mkdir()
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'database = "data/hangdoi.db"', 'database = "db/q.sqlite"')
    write(folder, text)
    monkeypatch.chdir(tmp_path)
    config = load_config("etc/config.toml")
    assert config.server.database == folder / "db" / "q.sqlite"
    assert config.server.database.is_absolute()
    assert config.path == folder / "config.toml"


def test_absolute_database_kept(tmp_path):
    data = with_("server", {"database": str(tmp_path / "abs.db")})
    assert parse_config(data, Path("/elsewhere")).server.database == tmp_path / "abs.db"


def test_optional_names_and_strings_stripped():
    data = minimal()
    data["desks"][0]["name"] = "  Quầy Tư pháp  "
    data["kiosks"][0]["name"] = "Ki-ốt cửa phụ"
    data["displays"][0]["name"] = "Màn hình sảnh"
    data["center"]["notice"] = "Xin cảm ơn!"
    config = parse_config(data, Path("/x"))
    assert config.desk(1).name == "Quầy Tư pháp"
    assert config.kiosks[0].name == "Ki-ốt cửa phụ"
    assert config.displays[0].name == "Màn hình sảnh"
    assert config.center.notice == "Xin cảm ơn!"


def test_lookups_and_order():
    config = parse_config(minimal(), Path("/x"))
    assert list(config.services) == ["STP-LLTP", "STP-CCCT", "CA-CC"]
    assert config.services["CA-CC"].agency == "CA"
    assert config.agency("CA").name == "Công an tỉnh" and config.agency("NOPE") is None
    assert config.service("STP-CCCT").prefix == "A" and config.service("NOPE") is None
    assert config.desk(2).services == ("CA-CC",) and config.desk(3) is None
    assert config.displays[1] == Display(id="desk-2", token="desk-token-2", kind="desk", desk=2,
                                         audio=True, name="desk-2")


def test_config_is_immutable_and_hashable():
    config = parse_config(with_("opening_hours", {"mon": ["07:30-11:30"]}), Path("/x"))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        config.center = None
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        config.desk(1).name = "Quầy khác"
    with pytest.raises(TypeError):
        config.services["X"] = None
    with pytest.raises(TypeError):
        config.opening_hours.weekly[0] = ()
    assert isinstance(config.agencies, tuple) and isinstance(config.desk(1).services, tuple)
    hash(config)
    assert config == parse_config(with_("opening_hours", {"mon": ["07:30-11:30"]}), Path("/x"))


# ----------------------------------------------------------------------------------------------
# every rule: one broken value, one exact problem at its place
# ----------------------------------------------------------------------------------------------

RULES = [
    # unknown keys, anywhere
    ("colour", "blue", "colour: unknown key"),
    ("center.nam", "x", "center.nam: unknown key"),
    ("server.hots", "x", "server.hots: unknown key"),
    ("agencies[1].nme", "x", "agencies[1].nme: unknown key"),
    ("agencies[0].services[1].prefx", "A", "agencies[0].services[1].prefx: unknown key"),
    ("desks[1].nmae", "x", "desks[1].nmae: unknown key"),
    ("kiosks[0].printer", "usb", "kiosks[0].printer: unknown key"),
    ("displays[0].sound", True, "displays[0].sound: unknown key"),
    ("queue.max_priority", 2, "queue.max_priority: unknown key"),
    ("printing.delay", 2, "printing.delay: unknown key"),
    ("announce.language", "vi", "announce.language: unknown key"),
    # required keys
    ("center", DELETE, "center: required table [center] missing"),
    ("center.name", DELETE, "center.name: required key missing"),
    ("center.timezone", DELETE, "center.timezone: required key missing"),
    ("agencies", DELETE, "agencies: at least one [[agencies]] table is required"),
    ("agencies", [], "agencies: at least one [[agencies]] table is required"),
    ("agencies[0].code", DELETE, "agencies[0].code: required key missing"),
    ("agencies[0].name", DELETE, "agencies[0].name: required key missing"),
    ("agencies[0].services", DELETE,
     "agencies[0].services: required key missing: at least one [[agencies.services]] table"),
    ("agencies[0].services", [],
     "agencies[0].services: at least one [[agencies.services]] table is required"),
    ("agencies[0].services[0].code", DELETE, "agencies[0].services[0].code: required key missing"),
    ("agencies[0].services[0].name", DELETE, "agencies[0].services[0].name: required key missing"),
    ("agencies[0].services[0].prefix", DELETE, "agencies[0].services[0].prefix: required key missing"),
    ("desks", DELETE, "desks: at least one [[desks]] table is required"),
    ("desks[0].number", DELETE, "desks[0].number: required key missing"),
    ("desks[0].agency", DELETE, "desks[0].agency: required key missing"),
    ("desks[0].services", DELETE, "desks[0].services: required key missing"),
    ("desks[0].services", [], "desks[0].services: must list at least one service"),
    ("kiosks[0].id", DELETE, "kiosks[0].id: required key missing"),
    ("kiosks[0].token", DELETE, "kiosks[0].token: required key missing"),
    ("displays[0].id", DELETE, "displays[0].id: required key missing"),
    ("displays[0].token", DELETE, "displays[0].token: required key missing"),
    ("displays[0].kind", DELETE, "displays[0].kind: required key missing"),
    # types
    ("center", "Trung tâm", 'center: expected a table, got a string ("Trung tâm")'),
    ("center.name", 5, "center.name: expected a string, got an integer (5)"),
    ("center.name", "   ", "center.name: must not be empty"),
    ("server.port", "5000", 'server.port: expected an integer, got a string ("5000")'),
    ("server.port", True, "server.port: expected an integer, got a boolean (true)"),
    ("server.port", 5000.0, "server.port: expected an integer, got a float (5000.0)"),
    ("server.host", "", "server.host: must not be empty"),
    ("desks[0].number", True, "desks[0].number: expected an integer, got a boolean (true)"),
    ("displays[0].audio", "yes", 'displays[0].audio: expected true or false, got a string ("yes")'),
    ("queue.default_service_min", "20",
     'queue.default_service_min: expected a number, got a string ("20")'),
    ("queue.token_ttl_hours", False, "queue.token_ttl_hours: expected a number, got a boolean (false)"),
    ("agencies[0].services[0].target_wait_min", 15.5,
     "agencies[0].services[0].target_wait_min: expected an integer, got a float (15.5)"),
    ("desks[0].services", "STP-LLTP",
     'desks[0].services: expected an array of service codes, got a string ("STP-LLTP")'),
    ("desks[0].services", ["STP-LLTP", 5], "desks[0].services[1]: expected a string, got an integer (5)"),
    ("desks[0].services", ["STP-LLTP", " "], "desks[0].services[1]: must not be empty"),
    ("agencies", {"code": "STP"}, "agencies: expected an array of tables ([[agencies]]), got a table"),
    ("agencies[1]", "CA", 'agencies[1]: expected a table, got a string ("CA")'),
    ("desks[1]", 2, "desks[1]: expected a table, got an integer (2)"),
    ("kiosks", "kiosk-1", 'kiosks: expected an array of tables ([[kiosks]]), got a string ("kiosk-1")'),
    ("kiosks[0].name", "", "kiosks[0].name: must not be empty"),
    # center
    ("center.timezone", "Mars/Olympus",
     'center.timezone: unknown time zone "Mars/Olympus" (expected an IANA name like "Asia/Ho_Chi_Minh")'),
    ("center.timezone", "GMT+7",
     'center.timezone: unknown time zone "GMT+7" (expected an IANA name like "Asia/Ho_Chi_Minh")'),
    ("center.public_url", "ftp://x.vn",
     'center.public_url: must be an http(s) URL like http://host[:port][/path], got "ftp://x.vn"'),
    ("center.public_url", "127.0.0.1:5000",
     'center.public_url: must be an http(s) URL like http://host[:port][/path], got "127.0.0.1:5000"'),
    ("center.public_url", "http://",
     'center.public_url: must be an http(s) URL like http://host[:port][/path], got "http://"'),
    ("center.public_url", "http://x.vn:99999",
     'center.public_url: must be an http(s) URL like http://host[:port][/path], got "http://x.vn:99999"'),
    ("center.public_url", "http://x.vn/?a=1",
     'center.public_url: must be an http(s) URL like http://host[:port][/path], got "http://x.vn/?a=1"'),
    # numbers in range
    ("server.port", 0, "server.port: must be between 1 and 65535, got 0"),
    ("server.port", 65536, "server.port: must be between 1 and 65535, got 65536"),
    ("announce.repeat", 6, "announce.repeat: must be between 0 and 5, got 6"),
    ("announce.repeat", -1, "announce.repeat: must be between 0 and 5, got -1"),
    ("queue.priority_max_in_row", 0, "queue.priority_max_in_row: must be at least 1, got 0"),
    ("queue.default_service_min", 0, "queue.default_service_min: must be greater than 0, got 0"),
    ("queue.default_service_min", -1.5, "queue.default_service_min: must be greater than 0, got -1.5"),
    ("queue.default_service_min", math.inf, "queue.default_service_min: must be a finite number, got inf"),
    ("queue.token_ttl_hours", 0, "queue.token_ttl_hours: must be greater than 0, got 0"),
    ("printing.max_delay_s", -1, "printing.max_delay_s: must be at least 0, got -1"),
    ("agencies[0].services[0].target_wait_min", 0,
     "agencies[0].services[0].target_wait_min: must be at least 1, got 0"),
    ("desks[1].number", 0, "desks[1].number: must be at least 1, got 0"),
    # codes
    *[(place, bad, f'{place}: must be 1-32 characters of uppercase A-Z, digits, "-" or "_", '
                   f'starting with a letter or digit; got "{bad}"')
      for place, bad in [("agencies[0].code", "stp"), ("agencies[0].code", "-STP"),
                         ("agencies[0].code", "SỞ"), ("agencies[0].code", "S" * 33),
                         ("agencies[0].code", "ST P"), ("agencies[0].services[0].code", "stp-lltp")]],
    # prefixes
    *[("agencies[0].services[0].prefix", bad,
       f'agencies[0].services[0].prefix: must be 1-3 uppercase letters A-Z, or one digit 1-9; got "{bad}"')
      for bad in ["a", "ABCD", "0", "A1", "12", "Đ"]],
    # display kind
    ("displays[0].kind", "lobby", 'displays[0].kind: must be "hall" or "desk", got "lobby"'),
    # tokens
    ("kiosks[0].token", "short", "kiosks[0].token: must be at least 8 characters long, got 5"),
    ("displays[1].token", "1234567", "displays[1].token: must be at least 8 characters long, got 7"),
    # announce.template
    ("announce.template", "Mời số {ticket} đến quầy {desk}",
     "announce.template: unknown field {ticket}; only {code} and {desk} may be used"),
    ("announce.template", "Mời số {code.upper} đến quầy {desk}",
     "announce.template: unknown field {code.upper}; only {code} and {desk} may be used"),
    ("announce.template", "Mời số {} đến quầy {desk}",
     "announce.template: unknown field {}; only {code} and {desk} may be used"),
    ("announce.template", "Mời số {code} đến quầy {desk",
     "announce.template: bad braces (expected '}' before end of string); "
     "write {{ and }} for literal braces"),
    ("announce.template", "Mời số {code} đến quầy {desk}}",
     "announce.template: bad braces (Single '}' encountered in format string); "
     "write {{ and }} for literal braces"),
    ("announce.template", "Mời quầy {desk}",
     "announce.template: must contain {code}, the ticket number to announce"),
    ("announce.template", "Mời số {code:d} đến quầy {desk}",
     "announce.template: cannot be filled in (Unknown format code 'd' for object of type 'str')"),
]


@pytest.mark.parametrize("place,value,expected", RULES, ids=[r[2][:70] for r in RULES])
def test_rule(place, value, expected):
    assert only_problem(with_(place, value)) == expected


@pytest.mark.parametrize("place,value", [
    ("server.port", 1), ("server.port", 65535), ("announce.repeat", 0), ("announce.repeat", 5),
    ("queue.default_service_min", 0.5), ("printing.max_delay_s", 0),
    ("agencies[0].services[0].prefix", "ABC"),
    ("agencies[0].services[0].prefix", "9"), ("center.public_url", "https://x.vn:8443/hang-doi"),
    ("center.timezone", "UTC"), ("announce.template", "{{Số}} {code} — quầy {desk!s:>3}"),
    ("announce.template", "Mời số {code}"),
    ("agencies[1].services[0].prefix", "A"),       # services may share a prefix across agencies
])
def test_boundaries_accepted(place, value):
    parse_config(with_(place, value), Path("/x"))


def test_longest_code_accepted():
    code = "C" * 32
    data = with_("desks[1].agency", code, with_("agencies[1].code", code))
    assert parse_config(data, Path("/x")).desk(2).agency == code


# ----------------------------------------------------------------------------------------------
# rules across tables
# ----------------------------------------------------------------------------------------------

def test_duplicate_agency_code():
    data = minimal()
    data["agencies"].append({"code": "STP", "name": "Trùng mã", "services": [
        {"code": "X-1", "name": "Dịch vụ", "prefix": "X"}]})
    data["desks"].append({"number": 3, "agency": "STP", "services": ["X-1"]})
    assert only_problem(data) == 'agencies[2].code: duplicate agency code "STP" (also agencies[0])'


def test_duplicate_service_code_across_agencies():
    data = minimal()
    data["agencies"][1]["services"].append({"code": "STP-LLTP", "name": "Trùng", "prefix": "C"})
    assert only_problem(data) == (
        'agencies[1].services[1].code: duplicate service code "STP-LLTP" (also agencies[0].services[0])')


def test_duplicate_desk_number():
    data = with_("desks[1].number", 1)
    data["displays"] = []
    assert only_problem(data) == "desks[1].number: duplicate desk number 1 (also desks[0])"


def test_desk_unknown_agency():
    assert only_problem(with_("desks[1].agency", "XYZ")) == 'desks[1].agency: unknown agency "XYZ"'


def test_desk_unknown_service():
    assert only_problem(with_("desks[1].services", ["CA-CC", "XYZ"])) == (
        'desks[1].services: unknown service "XYZ"')


def test_desk_service_of_another_agency():
    assert only_problem(with_("desks[1].services", ["CA-CC", "STP-LLTP"])) == (
        'desks[1].services: service "STP-LLTP" belongs to agency "STP", not to the desk\'s agency "CA"')


def test_desk_duplicate_service():
    assert only_problem(with_("desks[1].services", ["CA-CC", "CA-CC"])) == (
        'desks[1].services: duplicate service "CA-CC"')


def test_service_no_desk_serves():
    assert only_problem(with_("desks[0].services", ["STP-LLTP"])) == (
        'agencies[0].services[1]: no desk serves "STP-CCCT"')


def test_duplicate_device_id_across_kiosks_and_displays():
    assert only_problem(with_("displays[0].id", "kiosk-1")) == (
        'displays[0].id: duplicate device id "kiosk-1" (also kiosks[0])')


def test_duplicate_device_id_within_kiosks():
    data = minimal()
    data["kiosks"].append({"id": "kiosk-1", "token": "another-token"})
    assert only_problem(data) == 'kiosks[1].id: duplicate device id "kiosk-1" (also kiosks[0])'


def test_duplicate_device_token():
    assert only_problem(with_("displays[1].token", "kiosk-token-1")) == (
        "displays[1].token: same token as kiosks[0]; every device needs its own token")


def test_desk_display_needs_desk():
    assert only_problem(with_("displays[1].desk", DELETE)) == (
        'displays[1].desk: required for kind = "desk": the number of the desk it shows')


def test_desk_display_unknown_desk():
    assert only_problem(with_("displays[1].desk", 99)) == "displays[1].desk: no desk number 99"


def test_hall_display_with_desk():
    assert only_problem(with_("displays[0].desk", 2)) == (
        'displays[0].desk: only a display of kind = "desk" shows one desk; remove it or set kind = "desk"')


def test_hall_display_desk_zero_is_none():
    config = parse_config(with_("displays[0].desk", 0), Path("/x"))
    assert config.displays[0].desk is None


def test_empty_device_lists_allowed():
    data = minimal()
    data["kiosks"] = []
    del data["displays"]
    config = parse_config(data, Path("/x"))
    assert config.kiosks == () and config.displays == ()


def test_no_cascade_from_a_broken_agency_code():
    """A code that could not be read must not make its desks and services look wrong too."""
    assert problems_of(with_("agencies[0].code", "stp")) == [
        'agencies[0].code: must be 1-32 characters of uppercase A-Z, digits, "-" or "_", '
        'starting with a letter or digit; got "stp"']


def test_many_problems_reported_together():
    data = minimal()
    data["center"]["timezone"] = "Asia/Hanoi_City"
    data["agencies"][1]["nme"] = "x"
    data["desks"][1]["services"] = ["CA-CC", "XYZ"]
    data["kiosks"][0]["token"] = "short"
    data["server"] = {"port": 0}
    with pytest.raises(ConfigError) as info:
        parse_config(data, Path("/x"), source="site.toml")
    expected = [
        'center.timezone: unknown time zone "Asia/Hanoi_City" (expected an IANA name like "Asia/Ho_Chi_Minh")',
        "server.port: must be between 1 and 65535, got 0",
        "agencies[1].nme: unknown key",
        "kiosks[0].token: must be at least 8 characters long, got 5",
        'desks[1].services: unknown service "XYZ"',
    ]
    assert sorted(info.value.problems) == sorted(expected)
    lines = str(info.value).splitlines()
    assert lines[0] == "site.toml: 5 problems"
    assert sorted(lines[1:]) == sorted(f"  {p}" for p in expected)


def test_error_text_singular():
    err = ConfigError("config.toml", ['desks[3].services: unknown service "XYZ"'])
    assert str(err) == 'config.toml: 1 problem\n  desks[3].services: unknown service "XYZ"'


def test_not_a_table_at_all():
    assert only_problem([]) == "(top level): expected a table, got an array"


# ----------------------------------------------------------------------------------------------
# opening hours
# ----------------------------------------------------------------------------------------------

def hours(**table) -> dict:
    return with_("opening_hours", table)


def test_opening_hours_parsed(tmp_path):
    text = (ROOT / "config.toml").read_text(encoding="utf-8") + """
[opening_hours]
mon = ["07:30-11:30", "13:30-17:00"]
fri = ["07:30 - 11:30"]
sat = ["07:30-11:30"]
closed_dates = ["2027-01-01", 2027-02-05]
"""
    oh = load_config(write(tmp_path, text)).opening_hours
    assert isinstance(oh, OpeningHours)
    assert oh.weekly[0] == ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
    assert oh.weekly[4] == ((time(7, 30), time(11, 30)),)
    assert oh.weekly[5] == ((time(7, 30), time(11, 30)),)
    assert oh.weekly[1] == () and oh.weekly[6] == ()          # days not listed are closed
    assert sorted(oh.weekly) == list(range(7))
    assert oh.closed_dates == frozenset({date(2027, 1, 1), date(2027, 2, 5)})


def test_is_open():
    """The config holds the hours; the rule that reads them is server.rules.hours (the only one)."""
    oh = parse_config(hours(mon=["07:30-11:30", "13:30-17:00"], closed_dates=["2027-01-04"]),
                      Path("/x")).opening_hours
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    monday = datetime(2026, 12, 28, tzinfo=tz)
    assert is_open(oh, monday.replace(hour=7, minute=30))
    assert not is_open(oh, monday.replace(hour=7, minute=29))
    assert not is_open(oh, monday.replace(hour=11, minute=30))      # the end is excluded
    assert is_open(oh, monday.replace(hour=16, minute=59))
    assert not is_open(oh, monday.replace(day=29, hour=9))          # Tuesday: not listed
    assert not is_open(oh, datetime(2027, 1, 4, 9, 0, tzinfo=tz))   # a Monday, but a holiday
    assert is_open(None, monday) and not hasattr(oh, "is_open")


def test_adjacent_intervals_allowed():
    oh = parse_config(hours(tue=["07:30-11:30", "11:30-12:00"]), Path("/x")).opening_hours
    assert len(oh.weekly[1]) == 2


HOURS_RULES = [
    (dict(mon=["7:30-11:30"]), 'opening_hours.mon[0]: expected "HH:MM-HH:MM", got "7:30-11:30"'),
    (dict(mon=["07h30-11h30"]), 'opening_hours.mon[0]: expected "HH:MM-HH:MM", got "07h30-11h30"'),
    (dict(mon=[730]), 'opening_hours.mon[0]: expected "HH:MM-HH:MM", got an integer (730)'),
    (dict(mon=["25:00-26:00"]), 'opening_hours.mon[0]: "25:00-26:00" is not a time of day (00:00 to 23:59)'),
    (dict(mon=["07:60-11:30"]), 'opening_hours.mon[0]: "07:60-11:30" is not a time of day (00:00 to 23:59)'),
    (dict(mon=["11:30-07:30"]), 'opening_hours.mon[0]: "11:30-07:30": the start must be before the end'),
    (dict(mon=["11:30-11:30"]), 'opening_hours.mon[0]: "11:30-11:30": the start must be before the end'),
    (dict(mon=["07:30-11:30", "11:00-12:00"]), 'opening_hours.mon[1]: "11:00-12:00" overlaps "07:30-11:30"'),
    (dict(mon=["07:30-11:30", "08:00-09:00"]), 'opening_hours.mon[1]: "08:00-09:00" overlaps "07:30-11:30"'),
    (dict(mon=["13:30-17:00", "07:30-11:30"]),
     'opening_hours.mon[1]: "07:30-11:30" comes before "13:30-17:00"; list the intervals in order'),
    (dict(mon="07:30-11:30"),
     'opening_hours.mon: expected an array of intervals like ["07:30-11:30", "13:30-17:00"], '
     'got a string ("07:30-11:30")'),
    (dict(mon=["07:30-11:30"], monday=["07:30-11:30"]), "opening_hours.monday: unknown key"),
    (dict(mon=["07:30-11:30"], closed_dates=["2027-13-01"]),
     'opening_hours.closed_dates[0]: expected a date YYYY-MM-DD, got "2027-13-01"'),
    (dict(mon=["07:30-11:30"], closed_dates=["2027-01-01", "01/02/2027"]),
     'opening_hours.closed_dates[1]: expected a date YYYY-MM-DD, got "01/02/2027"'),
    (dict(mon=["07:30-11:30"], closed_dates="2027-01-01"),
     'opening_hours.closed_dates: expected an array of dates, got a string ("2027-01-01")'),
    (dict(closed_dates=["2027-01-01"]),
     "opening_hours: no day has opening hours, so the center would never open "
     "(remove [opening_hours] to be open at all hours)"),
]


@pytest.mark.parametrize("table,expected", HOURS_RULES, ids=[r[1][:60] for r in HOURS_RULES])
def test_opening_hours_rule(table, expected):
    assert only_problem(hours(**table)) == expected


# ----------------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------------

def test_load_reports_like_parse(tmp_path):
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'services = ["CA-XNC"]', 'services = ["CA-XNC", "XYZ"]', 1)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ['desks[3].services: unknown service "XYZ"']
    assert str(info.value).splitlines()[0] == f"{path}: 1 problem"


def test_toml_syntax_error(tmp_path):
    path = write(tmp_path, '[center]\nname = "Trung tâm\ntimezone = "Asia/Ho_Chi_Minh"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ["line 2, column 18: invalid TOML (Illegal character '\\n')"]


def test_toml_duplicate_key(tmp_path):
    path = write(tmp_path, '[server]\nport = 5000\nport = 5001\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ["line 3, column 12: invalid TOML (Cannot overwrite a value)"]


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ["file: not found"]
    assert str(info.value) == f"{path}: 1 problem\n  file: not found"


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems == ["file: is a folder, not a file"]


def test_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes('[center]\n# ghi chú\nname = "Trung t'.encode() + "âm".encode("cp1258") + b'"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == ["line 3: not UTF-8 text; save the file as UTF-8"]


def test_utf8_bom_tolerated(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "config.toml").read_bytes())
    assert load_config(path).center.timezone == "Asia/Ho_Chi_Minh"


# ----------------------------------------------------------------------------------------------
# edges (issue 9): desk numbers, name lengths, control characters, deep nesting
# ----------------------------------------------------------------------------------------------

def test_desk_number_bounded():
    """9999999999999 used to pass, yet every route to such a desk answered 404."""
    data = with_("desks[1].number", 9999999999999)
    assert only_problem(data) == "desks[1].number: must be at most 9999, got 9999999999999"
    assert only_problem(with_("desks[1].number", 10000)) == "desks[1].number: must be at most 9999, got 10000"
    data = with_("displays[1].desk", 9999, with_("desks[1].number", 9999))
    assert parse_config(data, Path("/x")).desk(9999).agency == "CA"


NAMES = ["center.name", "agencies[0].name", "agencies[0].services[0].name", "desks[0].name",
         "kiosks[0].name", "displays[0].name"]


@pytest.mark.parametrize("place", NAMES)
def test_name_length_capped(place):
    parse_config(with_(place, "Đ" * 200), Path("/x"))
    assert only_problem(with_(place, "Đ" * 201)) == f"{place}: must be at most 200 characters long, got 201"
    # the one-word 384-character name that froze ticket.png for seconds
    assert only_problem(with_(place, "x" * 384)) == f"{place}: must be at most 200 characters long, got 384"


def test_notice_length_capped():
    assert parse_config(with_("center.notice", "ư" * 500), Path("/x")).center.notice == "ư" * 500
    assert only_problem(with_("center.notice", "ư" * 501)) == (
        "center.notice: must be at most 500 characters long, got 501")


TEXTS = [*NAMES, "center.notice", "center.public_url", "server.host", "server.database", "server.message_queue",
         "announce.template", "announce.voice", "agencies[0].code", "agencies[0].services[0].code",
         "agencies[0].services[0].prefix", "desks[0].agency", "desks[0].services[0]", "kiosks[0].id",
         "kiosks[0].token", "displays[0].id", "displays[0].token", "displays[0].kind"]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\n", "\t", "\x7f", "\x85"],
                         ids=["NUL", "BEL", "ESC", "LF", "TAB", "DEL", "NEL"])
@pytest.mark.parametrize("place", TEXTS)
def test_control_characters_refused(place, char):
    """A NUL or BEL in a name broke the Excel report (issue 9.3); no text of the config has a use for one."""
    problems = problems_of(with_(place, f"Ab{char}{{code}}redis://"))
    assert f"{place}: must not contain control characters; found U+{ord(char):04X} at character 3" in problems
    assert all(p.startswith(place) for p in problems), problems


def test_control_characters_at_the_ends_are_stripped_like_spaces():
    assert parse_config(with_("desks[0].name", "\n Quầy 1\t"), Path("/x")).desk(1).name == "Quầy 1"


def nested(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("place", ["colour", "center", "agencies", "desks[0].services", "displays[0].desk",
                                   "agencies[0].services[0].name", "opening_hours.mon"])
def test_deeply_nested_arrays_are_one_problem(place):
    """5,000 arrays inside each other gave a RecursionError traceback (issue 9.10)."""
    problems = problems_of(with_(place, nested(5000)))
    assert len(problems) == 1 and problems[0].startswith(place.split("[")[0]), problems


def test_deeply_nested_toml_is_one_problem(tmp_path):
    for inner in ("[" * 5000 + "1" + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000):
        path = write(tmp_path, '[center]\nname = "x"\ntimezone = "UTC"\nx = ' + inner + "\n")
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert info.value.problems == ["file: arrays or tables nested too deeply (a config needs a few levels)"]


def test_a_structure_that_contains_itself_is_one_problem():
    data = minimal()
    data["center"]["self"] = data
    data["desks"][0]["services"] = [data]
    assert problems_of(data) == ["center.self: unknown key", "desks[0].services[0]: expected a string, got a table"]


# ----------------------------------------------------------------------------------------------
# keys other parts read: queue.called_alert_min, queue.elderly_age, displays.english
# ----------------------------------------------------------------------------------------------

def test_new_keys_defaults():
    config = parse_config(minimal(), Path("/x"))
    assert config.queue.called_alert_min == 10 and config.queue.elderly_age == 60
    assert all(d.english is True for d in config.displays)


def test_new_keys_set():
    data = with_("queue", {"called_alert_min": 3, "elderly_age": 75})
    data["displays"][1]["english"] = False
    config = parse_config(data, Path("/x"))
    assert (config.queue.called_alert_min, config.queue.elderly_age) == (3, 75)
    assert [d.english for d in config.displays] == [True, False]


@pytest.mark.parametrize("place,value,expected", [
    ("queue.called_alert_min", 0, "must be at least 1, got 0"),
    ("queue.called_alert_min", 2.5, "expected an integer, got a float (2.5)"),
    ("queue.elderly_age", 49, "must be between 50 and 100, got 49"),
    ("queue.elderly_age", 101, "must be between 50 and 100, got 101"),
    ("queue.elderly_age", "60", 'expected an integer, got a string ("60")'),
    ("displays[0].english", "yes", 'expected true or false, got a string ("yes")'),
    ("displays[0].english", 1, "expected true or false, got an integer (1)"),
])
def test_new_keys_rules(place, value, expected):
    assert only_problem(with_(place, value)) == f"{place}: {expected}"


@pytest.mark.parametrize("place,value", [("queue.called_alert_min", 1), ("queue.elderly_age", 50),
                                         ("queue.elderly_age", 100)])
def test_new_keys_boundaries_accepted(place, value):
    parse_config(with_(place, value), Path("/x"))


# ----------------------------------------------------------------------------------------------
# whatever the document holds: a Config or a ConfigError in our words, never anything else
# ----------------------------------------------------------------------------------------------

def _places(value, at=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, f"{at}.{key}" if at else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, f"{at}[{i}]")
    yield at


PLACES = [p for p in _places(MINIMAL) if p] + ["colour", "queue.elderly_age", "opening_hours.mon[0]",
                                               "opening_hours.closed_dates", "displays[1].english"]
TOML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.dates()
    | st.datetimes() | st.times() | st.sampled_from(["STP", "CA-CC", "kiosk-1", "A", "hall", "desk", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["code", "name", "x"]), inner,
                                                               max_size=3),
    max_leaves=6)


@hypothesis_settings(max_examples=300, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(PLACES), TOML_VALUES | st.just(DELETE)), min_size=1, max_size=4))
def test_any_document_gives_a_config_or_our_problems(changes):
    data = minimal()
    for place, value in changes:
        try:
            with_(place, value, data)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass                                # the path no longer exists after an earlier change
    try:
        parse_config(data, Path("/x"))
    except ConfigError as err:
        assert err.problems
        for line in err.problems:
            assert ": " in line and "Input should" not in line and "validation error" not in line, line
