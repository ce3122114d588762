"""hub.toml and [site] (issue 12): check-config tells a hub config by its [hub] table and names
every problem with its place (exit 2); `user add --config hub.toml` makes hub users; the hub's
closed dates reach a site, which keeps them with the hub gone."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import requests

from tests.hub_live import start_hub, start_site
from tests.live_server import ROOT, db_value, eventually


def hangdoi(*args, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "server.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_the_repository_province_configs_are_valid():
    for path in ("hub.toml", "sites/phuong-phan-dinh-phung.toml", "sites/xa-than-sa.toml"):
        r = hangdoi("check-config", path)
        assert r.returncode == 0, r.stderr
    assert "hub Tỉnh Thái Nguyên, 3 sites" in hangdoi("check-config", "hub.toml").stdout


def test_a_broken_hub_config_names_every_problem_with_its_place(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\nname = "Tỉnh"\nport = "6000"\ncolour = 1\n[calendar]\nclosed_dates = ["2027-02-30"]\n'
                    '[[sites]]\ncode = "tn"\nname = "A"\nkind = "ward"\ntoken = "short"\n'
                    '[[sites]]\ncode = "TN-A"\nname = "B"\nkind = "commune"\ntoken = "0123456789abcdef"\n'
                    '[[sites]]\ncode = "TN-A"\nname = "C"\nkind = "commune"\ntoken = "0123456789abcdef"\n',
                    encoding="utf-8")
    r = hangdoi("check-config", str(path))
    assert r.returncode == 2
    for place in ("hub.port:", "hub.colour: unknown key", "calendar.closed_dates:", "sites[0].code:",
                  "sites[0].kind:", "sites[0].token:"):
        assert place in r.stderr, r.stderr
    path.write_text('[hub]\nname = "Tỉnh"\n[[sites]]\ncode = "TN-A"\nname = "B"\nkind = "commune"\n'
                    'token = "0123456789abcdef"\n[[sites]]\ncode = "TN-A"\nname = "C"\nkind = "commune"\n'
                    'token = "0123456789abcdef"\n', encoding="utf-8")
    r = hangdoi("check-config", str(path))
    assert r.returncode == 2
    assert 'sites[1].code: duplicate site code "TN-A" (also sites[0])' in r.stderr
    assert "sites[1].token: same token as sites[0]" in r.stderr and "0123456789abcdef" not in r.stderr
    assert hangdoi("hub", "--config", "config.toml").returncode == 2     # a center's config is not a hub's


def test_a_site_table_is_checked_with_places(tmp_path):
    text = (ROOT / "sites" / "xa-than-sa.toml").read_text(encoding="utf-8")
    bad = text.replace('code = "TN-TS"', 'code = "tn ts"').replace('hub_token = "demo-hub-token-tn-ts-0003"',
                                                                  'hub_token = "short"\nport = 1')
    path = tmp_path / "site.toml"
    path.write_text(bad, encoding="utf-8")
    r = hangdoi("check-config", str(path))
    assert r.returncode == 2
    assert "site.code: must be 2-16 characters" in r.stderr
    assert "site.hub_token: must be at least 16 characters" in r.stderr and "site.port: unknown key" in r.stderr


def test_hub_users_are_supervisors_or_admins(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\nname = "Tỉnh"\ndatabase = "hub.db"\n[[sites]]\ncode = "TN-A"\nname = "B"\n'
                    'kind = "commune"\ntoken = "0123456789abcdef"\n', encoding="utf-8")
    r = hangdoi("user", "add", "tinh", "--role", "supervisor", "--config", str(path), stdin="mat-khau-tinh\n")
    assert r.returncode == 0, r.stderr
    assert db_value(tmp_path / "hub.db", "SELECT role FROM users WHERE username = 'tinh'") == "supervisor"
    assert hangdoi("user", "add", "tinh", "--role", "admin", "--config", str(path), stdin="x12345678\n").returncode == 2
    assert hangdoi("user", "add", "cb", "--role", "officer", "--config", str(path), stdin="x12345678\n").returncode == 2


def test_the_hubs_closed_dates_close_a_site_and_hold_with_the_hub_gone(tmp_path):
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    hub = start_hub(tmp_path / "hub", ["TN-TS"], closed_dates=[today])
    hours = "\n[opening_hours]\n" + "".join(f'{d} = ["00:00-23:59"]\n' for d in ("mon", "tue", "wed", "thu", "fri",
                                                                                "sat", "sun"))
    site = start_site(tmp_path / "site", "TN-TS", hub.port, extra=hours)
    try:
        assert eventually(lambda: db_value(site.database, "SELECT value FROM settings WHERE key = 'hub_calendar'")
                          is not None, True, 10)
        r = site.issue()
        assert r.status_code == 409 and r.json()["error"]["code"] == "center_closed"
        hub.kill9()
        site.stop()
        site.start()                                     # the hub is down: the stored copy still closes the day
        r = site.issue()
        assert r.status_code == 409 and r.json()["error"]["code"] == "center_closed"
        catalog = requests.get(site.url + "/api/v1/catalog", timeout=5).json()
        assert catalog["center"]["is_open"] is False
    finally:
        site.stop()
        hub.stop()
