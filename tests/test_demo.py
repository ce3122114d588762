"""scripts/demo.sh's accounts and addresses (issue 10, item 2): its listing (scripts/demo_info.py)
names every device of config.toml, each desk display with its own desk and agency, every demo
account with its role and its agency's desks; each address opens and each account signs in on a
real server; ``hangdoi serve --public-url`` puts the LAN address into the tickets' QR links."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from server.config import load_config
from tests.live_server import ROOT, LiveServer, free_port

DEMO_INFO = ROOT / "scripts" / "demo_info.py"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo center of config.toml on a free port, its accounts made by demo_info.py."""
    tmp = tmp_path_factory.mktemp("demo")
    port = free_port()
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    text = re.sub(r'(?m)^database = "[^"]*"', 'database = "data/demo.db"', text)
    path = tmp / "config.toml"
    path.write_text(text, encoding="utf-8")
    made = subprocess.run([sys.executable, str(DEMO_INFO), "users", str(path)], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout
    again = subprocess.run([sys.executable, str(DEMO_INFO), "users", str(path)], capture_output=True, text=True,
                           cwd=ROOT, check=True).stdout
    assert made.count("created") == 4 and again == ""            # a second run keeps the accounts
    public = f"http://192.0.2.7:{port}"                          # what demo.sh passes for a LAN address
    server = LiveServer(path, port, args=("--public-url", public)).start()
    server.public, server.config = public, load_config(path)
    try:
        yield server
    finally:
        server.stop()


def show(demo, url):
    return subprocess.run([sys.executable, str(DEMO_INFO), "show", str(demo.config_path), url], capture_output=True,
                          text=True, cwd=ROOT, check=True).stdout


def test_every_desk_display_is_its_own_desk_and_agency(demo):
    config = demo.config
    text = show(demo, demo.url)
    shown = re.findall(r"Màn hình quầy (\d+) \(desk (\d+) display, ([^)]+)\): (\S+)/display/desk/(\d+)\?token=(\S+)", text)
    want = [d for d in config.displays if d.kind == "desk"]
    assert len(shown) == len(want) > 0
    for (label, label_en, agency, base, number, token), display in zip(shown, want):
        assert label == label_en == number == str(display.desk) and token == display.token and base == demo.url
        assert agency == config.agency(config.desk(display.desk).agency).name
    for device in [*config.kiosks, *config.displays]:
        assert f"token={device.token}" in text, device.id
    for address in re.findall(r"(http://127\.0\.0\.1:\d+/(?:kiosk|display)/\S+)", text):
        r = requests.get(address, timeout=5)
        assert r.status_code == 200, address


def test_every_account_signs_in_with_its_role_and_desks(demo):
    config = demo.config
    text = show(demo, demo.url)
    accounts = re.findall(r"^\s+[^:\n]+\((admin|supervisor|officer)\): (\S+) / (\S+)(?: — ([^,]+), quầy / desks ([^ ]+))?",
                          text, re.M)
    assert {a[1] for a in accounts} == {"admin", "giamsat", "canbo-ca", "canbo-stp"}
    for role, username, password, agency_name, desks in accounts:
        r = requests.post(demo.url + "/api/v1/auth/login", json={"username": username, "password": password}, timeout=5)
        assert r.status_code == 200, (username, r.text)
        user = r.json()["user"]
        assert user["role"] == role
        if role == "officer":
            agency = config.agency(user["agency"])
            numbers = sorted(d.number for d in config.desks if d.agency == agency.code)
            assert agency_name == agency.name
            low, _, high = desks.partition("–")
            assert (int(low), int(high or low)) == (numbers[0], numbers[-1])
            assert numbers == list(range(numbers[0], numbers[-1] + 1))
            # he can work one of those desks
            token = {"Authorization": "Bearer " + r.json()["access_token"]}
            assert requests.post(f"{demo.url}/api/v1/desks/{numbers[0]}/next", headers=token, timeout=5).status_code == 200
            requests.post(f"{demo.url}/api/v1/desks/{numbers[0]}/close", headers=token, timeout=5)


def test_the_qr_links_use_the_public_url(demo):
    kiosk = demo.config.kiosks[0].token
    r = requests.post(demo.url + "/api/v1/tickets", json={"service": demo.config.agencies[0].services[0].code},
                      headers={"Authorization": f"Bearer {kiosk}"}, timeout=5)
    assert r.status_code == 201 and r.json()["ticket"]["status_url"].startswith(demo.public + "/t/")
    assert demo.public in show(demo, demo.public)


def test_a_bad_public_url_is_refused_with_a_clear_line(tmp_path, demo):
    r = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--config", str(demo.config_path),
                        "--public-url", "ftp://x"], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert r.returncode == 2 and "--public-url" in r.stderr


def test_demo_sh_uses_this_listing_and_the_lan_address():
    """demo.sh starts every site of hub.toml, each on its config's port with the token the hub
    expects, and makes and lists the accounts through demo_info.py."""
    from server.hub.config import load_hub_config

    script = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    for verb in ("hub-users hub.toml", "users \"$1\"", "show-hub hub.toml", "show \"$1\"", "kiosk-token"):
        assert f"scripts/demo_info.py {verb}" in script, verb
    assert "--public-url" in script and "HANGDOI_LAN" in script and ".venv/bin/python" in script
    sites = dict((code, (path, int(port))) for path, port, code in
                 re.findall(r'"(\S+) (\d{4}) ([A-Z0-9-]+)"', script))
    hub = load_hub_config(ROOT / "hub.toml")
    assert set(sites) == {s.code for s in hub.sites}
    for entry in hub.sites:
        path, port = sites[entry.code]
        if path == "$TT":                           # config.toml plus the [site] table demo.sh appends
            config = load_config(ROOT / "config.toml")
            assert f'code = "{entry.code}"' in script and f'hub_token = "{entry.token}"' in script
        else:
            config = load_config(ROOT / path)
            assert config.site.code == entry.code and config.site.hub_token == entry.token
        assert config.server.port == port, entry.code
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "demo.sh")]).returncode == 0
