"""A network thermal printer stand-in on 127.0.0.1 (raw TCP, like port 9100): it keeps every job's
bytes with the time its last byte arrived, answers DLE EOT 4 (paper sensor) with ``status_byte``,
and can refuse connections as a switched-off printer does. Used by tests and bench/print_bench.py."""
from __future__ import annotations

import socket
import threading
import time

PAPER_STATUS = b"\x10\x04\x04"
ONLINE = 0x12              # fixed bits only: paper present
PAPER_OUT = 0x12 | 0x60    # paper-end sensor bits 5 and 6
PAPER_LOW = 0x12 | 0x0C


CUT = b"\x1dVA\x00"                   # GS V 65 0: feed and cut, the end of every ticket


def split_tickets(data: bytes) -> list[bytes]:
    """One connection's bytes as tickets, each ending with its cut (a tail without cut stays whole)."""
    out, start = [], 0
    while True:
        end = data.find(CUT, start)
        if end < 0:
            break
        out.append(data[start:end + len(CUT)])
        start = end + len(CUT)
    if start < len(data):
        out.append(data[start:])
    return out


class PrinterStandIn:
    def __init__(self, port: int = 0):
        self.status_byte = ONLINE
        self.jobs: list[bytes] = []
        self.done_at: list[float] = []          # time.perf_counter() of each job's last byte
        self.status_queries = 0
        self.connections = 0                   # job connections (a burst may share one)
        self._cond = threading.Condition()
        self._sock: socket.socket | None = None
        self.port = port
        self.listen()

    # ---- switching on and off
    def listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        self.port = sock.getsockname()[1]
        self._sock = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def refuse(self) -> None:
        """Switch off: later connections are refused."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    close = refuse

    @property
    def spec(self) -> str:
        return f"network:127.0.0.1:{self.port}"

    # ---- serving
    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(10)
        data, last = b"", None
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                last = time.perf_counter()
                if data == PAPER_STATUS:            # a status query: answer, it is not a job
                    with self._cond:
                        self.status_queries += 1
                    conn.sendall(bytes([self.status_byte]))
                    data = b""
        except OSError:
            pass
        finally:
            conn.close()
        if data:
            with self._cond:
                self.connections += 1
                for ticket in split_tickets(data):   # an agent may send a burst in one connection
                    self.jobs.append(ticket)
                    self.done_at.append(last)
                self._cond.notify_all()

    def wait_jobs(self, n: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.jobs) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.jobs)
