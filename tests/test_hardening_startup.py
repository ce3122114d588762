"""Hardening (issue 9, item 10): start-up on a full disk and a config nested thousands deep end
with one clear line and exit 2, like the other storage and config problems — no traceback."""
from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from tests.centers import TWO_STP_DESKS_AND_CA, center_toml
from tests.live_server import ROOT, free_port, write_config


def hangdoi(*args: str, preexec_fn=None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec_fn)


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    text = (result.stdout + result.stderr).strip()
    assert "Traceback" not in text, text
    assert len(text.splitlines()) == 1, text
    return text


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_a_config_nested_five_thousand_deep_is_one_line_and_exit_2(tmp_path, command):
    path = tmp_path / "nested.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    result = hangdoi(command, str(path)) if command == "check-config" else hangdoi("serve", "--config", str(path))
    assert result.returncode == 2, result
    # check-config's own format: the file and how many problems, then each with its place
    text = (result.stdout + result.stderr).strip()
    assert "Traceback" not in text and "RecursionError" not in text, text
    assert text.splitlines() == [f"{path}: 1 problem",
                                 "  file: arrays or tables nested too deeply (a config needs a few levels)"], text


@pytest.mark.slow
def test_starting_on_a_full_disk_is_one_line_and_exit_2(tmp_path):
    """The disk is full from the start: the server's files may not grow past 4 KB (RLIMIT_FSIZE,
    as in tests/test_drills.py; Python ignores SIGXFSZ, so a write fails with EFBIG)."""
    port = free_port()
    config = write_config(tmp_path, center_toml("data/full.db", desks=TWO_STP_DESKS_AND_CA), port)

    def full_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = hangdoi("serve", "--config", str(config), "--port", str(port), preexec_fn=full_disk)
    assert result.returncode == 2, result
    line = one_clear_line(result)
    assert "full.db" in line and "disk" in line, line
