"""A small TCP relay between a site and the hub, that a test can cut, delay or blackhole.

Run as its own process: ``python tests/relay.py LISTEN_PORT TARGET_PORT CONTROL_PORT``. It
forwards ``127.0.0.1:LISTEN_PORT`` to ``127.0.0.1:TARGET_PORT``; a line sent to the control port
changes its mode and is answered ``ok``:

- ``pass``: forward (the default);
- ``cut``: close every open connection and refuse new ones (the link is down: connection reset);
- ``blackhole``: accept, read and drop everything, never answer (a link that hangs: timeouts);
- ``delay SECONDS``: forward, each chunk held that long (a slow link).

``Relay`` below starts and drives one from a test.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


class _Server:
    def __init__(self, listen: int, target: int, control: int):
        self.target = target
        self.mode, self.delay = "pass", 0.0
        self.lock = threading.Lock()
        self.conns: set[socket.socket] = set()
        self.listener = self._listen(listen)
        self.control = self._listen(control)

    @staticmethod
    def _listen(port: int) -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        return s

    def _close_all(self) -> None:
        with self.lock:
            conns, self.conns = self.conns, set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def serve_control(self) -> None:
        while True:
            conn, _ = self.control.accept()
            with conn, conn.makefile("rw") as f:
                for line in f:
                    words = line.split()
                    if not words:
                        continue
                    if words[0] in ("pass", "cut", "blackhole", "delay"):
                        self.mode = words[0]
                        self.delay = float(words[1]) if words[0] == "delay" else 0.0
                        if self.mode in ("cut", "blackhole"):
                            self._close_all()
                        f.write("ok\n")
                    else:
                        f.write("unknown\n")
                    f.flush()

    def serve(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if self.mode == "cut":
                client.close()
                continue
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with self.lock:
            self.conns.add(client)
        if self.mode == "blackhole":
            self._drain(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self.lock:
            self.conns.add(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _drain(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.mode == "blackhole":
                    continue
                if self.mode == "cut":
                    break
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class Relay:
    """A relay process, from a test: ``Relay(target_port).start()``, then ``.cut()``, ``.restore()``..."""

    def __init__(self, target: int, listen: int, control: int):
        self.target, self.port, self.control_port = target, listen, control
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Relay":
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(self.port), str(self.target),
                                      str(self.control_port)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.send("pass")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the relay did not start")

    def send(self, line: str) -> None:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=5) as s:
            s.sendall((line + "\n").encode())
            assert s.makefile().readline().strip() == "ok"

    def cut(self) -> None:
        self.send("cut")

    def blackhole(self) -> None:
        self.send("blackhole")

    def delay(self, seconds: float) -> None:
        self.send(f"delay {seconds}")

    def restore(self) -> None:
        self.send("pass")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def main(argv: list[str]) -> None:
    listen, target, control = map(int, argv[1:4])
    server = _Server(listen, target, control)
    threading.Thread(target=server.serve_control, daemon=True).start()
    server.serve()


if __name__ == "__main__":
    main(sys.argv)
