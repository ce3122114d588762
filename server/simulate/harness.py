"""Everything around the simulated day: the temporary center (config copy, fresh database, officer
users made with ``hangdoi user add``), the real ``hangdoi serve`` process, the preview print agents
(``hangdoi kiosk``, when that command exists), and the server's CPU time and memory from /proc.

Every process started here is started by its own pid and stopped by that pid, listens on (or talks
to) 127.0.0.1 only, and every wait has a deadline.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class SimError(Exception):
    """The simulation cannot run (bad option, server would not start, ...): one line for the user."""


# ---- a small TOML writer (tomllib reads; nothing in the standard library writes) --------------
def _toml_string(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)          # TOML basic strings share JSON's escapes
    return out.replace("\x7f", "\\u007f")


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "-_" for c in k) and k.isascii() else _toml_string(k)


def _is_table_array(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dump_toml(data: dict) -> str:
    lines: list[str] = []

    def table(path: list[str], d: dict, header: str | None) -> None:
        if header:
            lines.append("")
            lines.append(header)
        for k, v in d.items():
            if not isinstance(v, dict) and not _is_table_array(v):
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in d.items():
            sub = path + [_toml_key(k)]
            if isinstance(v, dict):
                table(sub, v, "[" + ".".join(sub) + "]")
            elif _is_table_array(v):
                for item in v:
                    table(sub, item, "[[" + ".".join(sub) + "]]")

    table([], data, None)
    return "\n".join(lines).lstrip("\n") + "\n"


# ---- the temporary center -------------------------------------------------------------------
@dataclass
class ExtraDesks:
    agency: str
    count: int
    opens_at: float | None          # simulated seconds since midnight; None = at the start


@dataclass
class SimCenter:
    """What the driver needs to know about the center it runs."""

    url: str
    desks: list[tuple[int, str, tuple[str, ...]]]             # (number, agency, services)
    agency_names: dict[str, str]
    service_agency: dict[str, str]
    kiosk_tokens: list[tuple[str, str]]                       # (kiosk id, token)
    hall_tokens: list[tuple[str, str]]                        # (display id, token)
    desk_display_tokens: list[tuple[str, str, int]]           # (display id, token, desk)
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)   # agency ("*" = any) → (user, password)
    extra_desk_opening: dict[int, float] = field(default_factory=dict)  # desk number → sim time it opens
    extra_desks: set[int] = field(default_factory=set)                  # the what-if desks
    notes: list[str] = field(default_factory=list)
    scaled_default_service_min: float | None = None
    supervisor: tuple[str, str] | None = None                 # reads the server's own report of the day


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_sim_config(source: Path, folder: Path, port: int, speed: float, extras: list[ExtraDesks],
                     kiosks: int, halls: int, desk_displays: int, voice: bool = True) -> tuple[Path, SimCenter]:
    """Copy ``source`` into ``folder`` for a compressed day: loopback port, fresh database, default
    service time divided by the speed, no opening hours, the simulation's kiosks and displays, and
    the what-if desks. Returns the new config's path and what the driver needs."""
    from ..config import ConfigError, load_config

    try:
        original = load_config(source)
        raw = tomllib.loads(Path(source).read_text(encoding="utf-8"))
    except ConfigError as err:
        raise SimError(f"{source}: not a valid config:\n{err}") from None
    except OSError as err:
        raise SimError(f"cannot read {source}: {err.strerror}") from None
    notes: list[str] = []
    url = f"http://127.0.0.1:{port}"
    raw["server"] = {"host": "127.0.0.1", "port": port, "database": str(folder / "data" / "simulate.db")}
    raw.setdefault("center", {})["public_url"] = url
    queue = raw.setdefault("queue", {})
    default_min = float(queue.get("default_service_min", original.queue.default_service_min))
    queue["default_service_min"] = default_min / speed
    # a simulated day runs `speed` times faster: its kiosks issue far more than a real kiosk a minute
    raw.setdefault("limits", {})["kiosk_tickets_per_minute"] = 0
    if "opening_hours" in raw:
        raw.pop("opening_hours")
        notes.append("opening_hours left out of the simulated center: its server runs on the real clock")

    agencies = {a.code: a for a in original.agencies}
    desks = [dict(d) for d in raw.get("desks", [])]
    next_number = max([d["number"] for d in desks] or [0]) + 1
    extra_opening: dict[int, float] = {}
    extra_numbers: set[int] = set()
    for extra in extras:
        if extra.agency not in agencies:
            raise SimError(f"--desks-extra: unknown agency {extra.agency!r} "
                           f"(one of {', '.join(sorted(agencies))})")
        services = [s.code for s in agencies[extra.agency].services]
        for _ in range(extra.count):
            desks.append({"number": next_number, "name": f"Quầy {next_number} – {agencies[extra.agency].name} (thêm)",
                          "agency": extra.agency, "services": services})
            if extra.opens_at is not None:
                extra_opening[next_number] = extra.opens_at
            extra_numbers.add(next_number)
            next_number += 1
    raw["desks"] = desks

    kiosk_tokens = [(f"sim-kiosk-{i}", "sim-" + secrets.token_urlsafe(18)) for i in range(1, kiosks + 1)]
    raw["kiosks"] = list(raw.get("kiosks", [])) + [
        {"id": k, "name": f"Ki-ốt mô phỏng {i}", "token": t} for i, (k, t) in enumerate(kiosk_tokens, 1)]
    hall_tokens = [(f"sim-hall-{i}", "sim-" + secrets.token_urlsafe(18)) for i in range(1, halls + 1)]
    # the busiest agencies' first desks get a desk display each
    by_agency: dict[str, int] = {}
    for d in desks:
        by_agency.setdefault(d["agency"], d["number"])
    ranked = sorted(by_agency.items(), key=lambda kv: -sum(1 for d in desks if d["agency"] == kv[0]))
    desk_tokens = [(f"sim-desk-{n}", "sim-" + secrets.token_urlsafe(18), n) for _, n in ranked[:desk_displays]]
    raw["displays"] = list(raw.get("displays", [])) + [
        # the first hall board speaks (the server then renders each call's voice, as in a real hall)
        {"id": d, "name": f"Màn hình sảnh mô phỏng {i}", "token": t, "kind": "hall", "audio": voice and i == 1}
        for i, (d, t) in enumerate(hall_tokens, 1)] + [
        {"id": d, "name": f"Màn hình quầy {n} mô phỏng", "token": t, "kind": "desk", "desk": n, "audio": False}
        for d, t, n in desk_tokens]

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(dump_toml(raw), encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as err:
        raise SimError(f"the simulated center's config is not valid:\n{err}") from None
    center = SimCenter(
        url=url,
        desks=[(d.number, d.agency, tuple(d.services)) for d in config.desks],
        agency_names={a.code: a.name for a in config.agencies},
        service_agency={s.code: a.code for a in config.agencies for s in a.services},
        kiosk_tokens=kiosk_tokens, hall_tokens=hall_tokens, desk_display_tokens=desk_tokens,
        extra_desk_opening=extra_opening, extra_desks=extra_numbers, notes=notes, scaled_default_service_min=default_min / speed)
    return path, center


def cli_command(*args: str) -> list[str]:
    """``hangdoi ARGS`` through this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "server.cli", *args]


def create_users(config_path: Path, agencies: list[str], log) -> tuple[dict[str, tuple[str, str]], tuple[str, str]]:
    """One officer per agency and one supervisor, made with ``hangdoi user add`` (password on
    standard input). Returns (agency → (user, password), (supervisor, password))."""
    logins = {a: (f"sim-{a.lower().replace('_', '-')}"[:32], secrets.token_urlsafe(12)) for a in agencies}
    supervisor = ("sim-supervisor", secrets.token_urlsafe(12))

    def add(agency: str | None) -> None:
        user, password = logins[agency] if agency else supervisor
        role = ["--role", "officer", "--agency", agency] if agency else ["--role", "supervisor"]
        done = subprocess.run(cli_command("user", "add", user, *role, "--config", str(config_path)),
                              input=password + "\n", text=True, capture_output=True, timeout=60)
        if done.returncode != 0:
            raise SimError(f"hangdoi user add {user} failed: {(done.stderr or done.stdout).strip()}")
        log.write(done.stdout)

    add(None)                                  # creates and migrates the database, alone
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(add, agencies))
    return logins, supervisor


# ---- processes ------------------------------------------------------------------------------
class Process:
    """A child process we started, known by its pid, stopped by it."""

    def __init__(self, name: str, argv: list[str], log_path: Path, cwd: Path | None = None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout)
        self._log.close()
        return self.proc.returncode


def start_server(config_path: Path, port: int, folder: Path, timeout: float = 30) -> Process:
    import requests

    server = Process("server", cli_command("serve", "--config", str(config_path), "--host", "127.0.0.1",
                                           "--port", str(port)), folder / "server.log", cwd=folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise SimError(f"hangdoi serve exited with {server.proc.returncode}:\n{server.tail()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=0.5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.stop()
    raise SimError(f"hangdoi serve did not answer within {timeout:.0f} s:\n{server.tail()}")


def kiosk_agent_available() -> bool:
    """Whether this installation has the print agent (``hangdoi kiosk``, issue 4)."""
    try:
        done = subprocess.run(cli_command("kiosk", "--help"), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "--printer" in done.stdout


def start_print_agent(url: str, kiosk_id: str, token: str, folder: Path) -> tuple[Process, Path]:
    preview = folder / "printed" / kiosk_id
    preview.mkdir(parents=True, exist_ok=True)
    agent = Process(f"agent {kiosk_id}", cli_command("kiosk", "--server", url, "--token", token,
                                                     "--printer", f"preview:{preview}"),
                    folder / f"agent-{kiosk_id}.log", cwd=folder)
    return agent, preview


def printed_codes(preview: Path, codes: set[str]) -> tuple[int, dict[str, int]]:
    """PNG files in a preview folder, and how many of them carry each known ticket code in their
    name (``20261122-083015-A012.png``; a second print of it would be ``...-A012-2.png``)."""
    files = list(preview.glob("*.png")) if preview.exists() else []
    counts: dict[str, int] = {}
    for f in files:
        for token in f.stem.split("-"):
            if token in codes:
                counts[token] = counts.get(token, 0) + 1
                break
    return len(files), counts


# ---- /proc ------------------------------------------------------------------------------------
def proc_usage(pid: int) -> dict | None:
    """CPU seconds (user + system, this process) and memory (current and peak RSS, MB) from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    utime, stime = int(fields[11]), int(fields[12])
    mem = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            mem[key] = int(value.split()[0]) / 1024
    return {"cpu_s": (utime + stime) / ticks, "user_s": utime / ticks, "system_s": stime / ticks,
            "rss_mb": mem.get("VmRSS"), "peak_rss_mb": mem.get("VmHWM")}


def check_loopback(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SimError(f"--server {url!r}: expected http://HOST:PORT")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SimError(f"--server {url!r}: the simulation only drives a server on this machine (127.0.0.1); "
                       "it would flood a real center with made-up visitors")
    return url.rstrip("/")
