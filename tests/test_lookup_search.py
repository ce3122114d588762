"""The procedure catalog and its search (issue 14): folding, unmarked and misspelled queries,
word order, best first; the catalog file's problems with their places; the config tables."""
from __future__ import annotations

import json
import sqlite3

import pytest

from server.config import ConfigError, load_config
from server.lookup import fold, read_catalog, store
from tests.conftest import ROOT, make_config

LLTP = "Cấp Phiếu lý lịch tư pháp"


@pytest.fixture(scope="module")
def demo():
    """The shipped demo catalog, checked against the shipped config, in an SQLite database."""
    config = load_config(ROOT / "config.toml")
    assert len(config.lookup.procedures) >= 150
    db = sqlite3.connect(":memory:")
    db.executescript(store.SCHEMA)
    assert store.replace_catalog(db, list(config.lookup.procedures))
    return db


def names(db, q, n=3):
    return [p["name"] for p in store.search(db, q, n)]


def test_folding_drops_marks_and_d_bar():
    assert fold("Cấp Phiếu LÝ LỊCH tư pháp") == "cap phieu ly lich tu phap"
    assert fold("Đăng ký khai sinh; Điện") == "dang ky khai sinh dien"
    assert fold("  ") == ""


@pytest.mark.parametrize("query", [
    "lý lịch tư pháp",          # as written
    "ly lich tu phap",          # without marks
    "ly lịch tư phap",          # half marked
    "lý lịhc tư pháp",          # a typo (swapped letters)
    "ly lich tu phapp",         # a typo (a letter too many)
    "ly lch tu phap",           # a typo (a letter missing)
    "tu phap ly lich",          # another order
    "LY LICH TU PHAP",
    "ly lich t",                # still being typed
])
def test_the_judicial_record_is_found_first(demo, query):
    assert names(demo, query)[0].startswith(LLTP), names(demo, query)


@pytest.mark.parametrize("query, expected", [
    ("dang ky khai sinh", "Đăng ký khai sinh"),
    ("dang ki khai sinh", "Đăng ký khai sinh"),          # "ki" for "ký", as many type it
    ("đăng ký kết hôn", "Đăng ký kết hôn"),
    ("dang ky ket hno", "Đăng ký kết hôn"),
    ("doi giay phep lai xe", "Đổi giấy phép lái xe"),
    ("thanh lap doanh nghiep tu nhan", "Đăng ký thành lập doanh nghiệp tư nhân"),
    ("thanh lap doanh ngiep tu nhan", "Đăng ký thành lập doanh nghiệp tư nhân"),
])
def test_other_procedures_best_first(demo, query, expected):
    assert expected in names(demo, query, 2), names(demo, query, 5)


def test_nonsense_finds_nothing_rather_than_everything(demo):
    assert store.search(demo, "xyzzy qwrtp") == []
    assert store.search(demo, "   ") == []
    assert store.search(demo, "!!!") == []


def test_hostile_queries_are_just_text(demo):
    for q in ['"', 'NEAR(a b)', "a OR b*", "lý* AND -x", "'; DROP TABLE procedures; --", "\x00", "ä" * 500]:
        store.search(demo, q)                       # no FTS5 syntax error, no crash
    assert store.count(demo) >= 150


def test_answers_are_bounded(demo):
    assert len(store.search(demo, "cap", 5)) == 5
    assert len(store.search(demo, "cap", 10_000)) <= 100


def test_browse_by_field(demo):
    fields = store.fields(demo)
    assert {"name": "Hộ tịch", "procedures": 12} in fields
    civil = store.browse(demo, "Hộ tịch")
    assert [p["name"] for p in civil][:3] == ["Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử"]
    assert all(p["service"] == "STP-HTQT" and p["agency_name"] == "Sở Tư pháp" for p in civil)


def test_replacing_the_same_catalog_is_a_no_op(demo):
    config = load_config(ROOT / "config.toml")
    assert store.replace_catalog(demo, list(config.lookup.procedures)) is False


# ---- the catalog file ----------------------------------------------------------------------
SERVICES = {"STP-LLTP": ("STP", "Sở Tư pháp"), "CA-CC": ("CA", "Công an tỉnh")}


def test_a_good_csv_catalog(tmp_path):
    path = tmp_path / "thu-tuc.csv"
    path.write_text("code,name,field,service,documents,fee,processing_time\n"
                    "X.1,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,STP-LLTP,Tờ khai | Bản chụp căn cước,,\n",
                    encoding="utf-8-sig")
    procedures, problems = read_catalog(path, SERVICES)
    assert problems == []
    assert procedures[0].documents == ("Tờ khai", "Bản chụp căn cước")
    assert procedures[0].agency == "STP" and procedures[0].agency_name == "Sở Tư pháp"


def test_every_problem_of_a_json_catalog_has_its_place(tmp_path):
    path = tmp_path / "procedures.json"
    path.write_text(json.dumps({"_note": "x", "procedures": [
        {"code": "A.1", "name": "Một", "field": "F", "service": "STP-LLTP"},
        {"code": "A.1", "name": "Hai", "field": "F", "service": "XYZ"},
        {"code": "bad code!", "name": "", "field": "F", "service": "CA-CC", "documents": "not a list"},
        "not an object",
        {"code": "A.4", "name": "Bốn", "field": "F", "service": "CA-CC", "colour": "red"},
    ]}), encoding="utf-8")
    procedures, problems = read_catalog(path, SERVICES)
    assert [p.code for p in procedures] == ["A.1"]
    assert 'procedures.json: procedures[1].code: duplicate procedure code \'A.1\' (also procedures[0])' in problems
    assert "procedures.json: procedures[1].service: unknown service 'XYZ'" in problems
    assert any(p.startswith("procedures.json: procedures[2].code: must be") for p in problems)
    assert "procedures.json: procedures[2].name: required, must not be empty" in problems
    assert "procedures.json: procedures[2].documents: expected a list of texts" in problems
    assert any(p.startswith("procedures.json: procedures[3]: expected an object") for p in problems)
    assert any(p.startswith("procedures.json: procedures[4].colour: unknown key") for p in problems)


def test_broken_files_say_where(tmp_path):
    path = tmp_path / "procedures.json"
    path.write_text('[{"code": "A.1",\n "name": }]', encoding="utf-8")
    assert read_catalog(path, SERVICES)[1] == ["procedures.json: line 2, column 10: invalid JSON (Expecting value)"]
    assert read_catalog(tmp_path / "nope.json", SERVICES)[1][0].startswith("nope.json: file: not found")
    bad = tmp_path / "x.csv"
    bad.write_text("code,name,service\n", encoding="utf-8")
    assert read_catalog(bad, SERVICES)[1] == ["x.csv: line 1: missing column 'field'"]


# ---- the config tables ---------------------------------------------------------------------
def test_config_reports_catalog_problems_with_their_place(tmp_path):
    (tmp_path / "procedures.json").write_text(json.dumps(
        [{"code": "A.1", "name": "Một", "field": "F", "service": "NOPE"}]), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, lookup={"procedures": "procedures.json"})
    assert err.value.problems == ["lookup.procedures: procedures.json: [0].service: unknown service 'NOPE'"]


def test_config_lookup_and_ratings_tables(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(
        [{"code": "A.1", "name": "Cấp Phiếu lý lịch tư pháp", "field": "Lý lịch tư pháp", "service": "STP-LLTP"}]),
        encoding="utf-8")
    config = make_config(tmp_path, lookup={"procedures": "p.json", "dossier_status_url": "https://dvc.example/tc?ma={code}"},
                         ratings={"levels": 3})
    assert config.lookup.procedures[0].agency == "STP"
    assert config.lookup.dossier.link("000.00.27.H42-261204-0012") == "https://dvc.example/tc?ma=000.00.27.H42-261204-0012"
    assert (config.ratings.levels, config.ratings.reason_at_most) == (3, 1)
    assert make_config(tmp_path).ratings.levels == 5 and make_config(tmp_path).ratings.reason_at_most == 2
    # procedures.json next to the config is the default catalog; procedures = "" turns it off
    assert make_config(tmp_path).lookup.procedures == ()
    (tmp_path / "procedures.json").write_text((tmp_path / "p.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert len(make_config(tmp_path).lookup.procedures) == 1
    assert make_config(tmp_path, lookup={"procedures": ""}).lookup.procedures == ()


@pytest.mark.parametrize("table, problem", [
    ({"lookup": {"dossier_pattern": "("}}, "lookup.dossier_pattern: not a valid regular expression"),
    ({"lookup": {"dossier_pattern": ".*"}}, "lookup.dossier_pattern: matches an empty code"),
    ({"lookup": {"dossier_status_url": "https://x.example/tra-cuu"}}, "lookup.dossier_status_url: must contain {code}"),
    ({"lookup": {"colour": 1}}, "lookup.colour: unknown key"),
    ({"ratings": {"levels": 4}}, "ratings.levels: must be 5 or 3"),
    ({"ratings": {"levels": 3, "reason_at_most": 4}}, "ratings.reason_at_most: must be at most levels (3), got 4"),
    ({"ratings": {"reasons": ["x" * 61]}}, "ratings.reasons[0]: at most 60 characters"),
])
def test_config_problems(tmp_path, table, problem):
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, **table)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems
