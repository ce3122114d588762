"""Start the real ``hangdoi serve`` as a subprocess for tests that need one (HTTP, websockets, crashes)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, text: str, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text.replace("{PORT}", str(port)), encoding="utf-8")
    return path


class LiveServer:
    def __init__(self, config_path: Path, port: int, log_path: Path | None = None, *,
                 env: dict[str, str] | None = None, preexec_fn=None):
        """``env``: extra environment variables of the server process (e.g. libfaketime's);
        ``preexec_fn``: run in the child before the server starts (e.g. to drop capabilities)."""
        self.config_path = config_path
        self.extra_env = dict(env or {})
        self.preexec_fn = preexec_fn
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path or config_path.with_name(f"server-{port}.log")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> "LiveServer":
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.extra_env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--config", str(self.config_path), "--port", str(self.port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=0.5).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout}s: {self.log()}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
