"""The ``hangdoi`` command as an installer uses it: exit codes and one-line messages."""
from __future__ import annotations

import subprocess
import sys

from server.auth.users import authenticate
from server.config import load_config
from server.storage import Storage
from tests.conftest import ROOT

MINI = """
[center]
name = "Trung tâm thử"
timezone = "Asia/Ho_Chi_Minh"
[server]
database = "db/test.db"
[[agencies]]
code = "STP"
name = "Sở Tư pháp"
  [[agencies.services]]
  code = "STP-LLTP"
  name = "Lý lịch tư pháp"
  prefix = "A"
[[desks]]
number = 1
agency = "STP"
services = ["STP-LLTP"]
"""


def hangdoi(*args, stdin: str = "", cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "server.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_check_config_ok_on_the_demo_config():
    r = hangdoi("check-config", str(ROOT / "config.toml"))
    assert r.returncode == 0, r.stderr
    assert "52 desks" in r.stdout


def test_check_config_names_every_problem_with_its_place(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINI.replace('services = ["STP-LLTP"]', 'services = ["XYZ"]').replace('prefix = "A"', 'prefix = "a1"'),
                   encoding="utf-8")
    r = hangdoi("check-config", str(bad))
    assert r.returncode == 2
    assert 'desks[0].services: unknown service "XYZ"' in r.stderr
    assert "agencies[0].services[0].prefix" in r.stderr
    assert "Traceback" not in r.stderr


def test_check_config_missing_file_and_broken_toml(tmp_path):
    r = hangdoi("check-config", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not found" in r.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[center\nname = 1", encoding="utf-8")
    r = hangdoi("check-config", str(broken))
    assert r.returncode == 2 and "line 1" in r.stderr and "Traceback" not in r.stderr


def test_user_add_reads_the_password_from_stdin(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(MINI, encoding="utf-8")
    r = hangdoi("user", "add", "lan", "--role", "officer", "--agency", "STP", "--config", str(cfg), stdin="bí-mật-123\n")
    assert r.returncode == 0, r.stderr
    storage = Storage(load_config(cfg).server.database)
    user = authenticate(storage, "lan", "bí-mật-123")
    assert user is not None and user.role == "officer" and user.agency == "STP"
    assert authenticate(storage, "lan", "bí-mật-124") is None
    with storage.read() as db:
        stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("scrypt$") and "bí-mật" not in stored


def test_user_add_errors_exit_2_with_one_line(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(MINI, encoding="utf-8")
    ok = hangdoi("user", "add", "lan", "--role", "supervisor", "--config", str(cfg), stdin="mat-khau-1\n")
    assert ok.returncode == 0
    cases = [
        (("user", "add", "lan", "--role", "admin"), "mat-khau-2\n", "already exists"),
        (("user", "add", "minh", "--role", "officer", "--agency", "XXX"), "mat-khau-2\n", "unknown agency"),
        (("user", "add", "minh", "--role", "officer"), "mat-khau-2\n", "needs --agency"),
        (("user", "add", "minh", "--role", "admin"), "\n", "empty"),
        (("user", "add", "minh", "--role", "admin"), "", "empty"),
    ]
    for args, stdin, words in cases:
        r = hangdoi(*args, "--config", str(cfg), stdin=stdin)
        assert r.returncode == 2, (args, r.stderr)
        assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_database_file_is_private(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(MINI, encoding="utf-8")
    hangdoi("user", "add", "lan", "--role", "admin", "--config", str(cfg), stdin="mat-khau-1\n")
    assert (tmp_path / "db" / "test.db").stat().st_mode & 0o077 == 0


def test_serve_refuses_a_second_server_on_the_same_database(tmp_path):
    from tests.live_server import LiveServer, free_port

    cfg = tmp_path / "config.toml"
    cfg.write_text(MINI, encoding="utf-8")
    with LiveServer(cfg, free_port()):
        r = hangdoi("serve", "--config", str(cfg), "--port", str(free_port()))
        assert r.returncode == 2
        assert "already running" in r.stderr and "Traceback" not in r.stderr


def test_serve_stops_cleanly_on_sigterm_and_logs_in_one_line_each(tmp_path):
    import requests

    from tests.live_server import LiveServer, free_port

    cfg = tmp_path / "config.toml"
    cfg.write_text(MINI + '[[kiosks]]\nid = "k1"\ntoken = "kiosk-token-k1"\n', encoding="utf-8")
    server = LiveServer(cfg, free_port()).start()
    r = requests.post(server.url + "/api/v1/tickets", json={"service": "STP-LLTP"},
                      headers={"Authorization": "Bearer kiosk-token-k1"})
    assert r.status_code == 201
    assert server.stop() == 0
    log = server.log()
    assert "issued A001 (STP-LLTP)" in log
    assert "SIGTERM" in log and log.rstrip().endswith("stopped")
    assert "WARNING" not in log and "development server" not in log and "Traceback" not in log
