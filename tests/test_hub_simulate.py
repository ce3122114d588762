"""`hangdoi simulate --province N` (issue 12): N real sites feeding one real hub for a compressed
day; it exits 0 only when the hub's view of every site equals the site's own."""
from __future__ import annotations

import subprocess
import sys

from tests.live_server import ROOT


def test_a_province_day_ends_with_the_hubs_view_equal_to_every_sites():
    done = subprocess.run([sys.executable, "-m", "server.cli", "simulate", "--province", "2", "--visitors", "40",
                           "--speed", "1200", "--hours", "08:00-09:00", "--config", "sites/xa-than-sa.toml"],
                          capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the hub's view equals every site's own" in done.stdout
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith(("TN-TT", "TN-X01"))]
    assert len(rows) == 2 and all(row[-1] == "yes" for row in rows)
    assert sum(int(row[1]) for row in rows) == 40
