"""A network thermal printer stand-in on 127.0.0.1 (raw TCP, like port 9100): it keeps every job's
bytes with the time its last byte arrived, answers the real-time status queries DLE EOT 1–4 (4:
the paper sensor, ``status_byte``) wherever they come (alone, or at the end of a job, answered
after the job's bytes were read, as a printer does), and can refuse connections as a switched-off
printer does. Used by tests and bench/print_bench.py.

Faults, as keyword arguments:

- ``stall_after=N``: a jammed printer. It reads the first N bytes of a job and then stops reading
  (with a small receive buffer, as a printer's is, so the kernel cannot take the rest for it), and
  from then on reads nothing on any connection, status queries included, until ``release()``.
  The bytes it got are in ``partial``.
- ``answers_status=False``: a printer without real-time status (DLE EOT is never answered).
- ``status_replies=K``: answers only the first K status queries, then stays silent (a printer that
  took a job but never confirms it).
"""
from __future__ import annotations

import socket
import threading
import time

PAPER_STATUS = b"\x10\x04\x04"
DLE_EOT = b"\x10\x04"
#: replies to DLE EOT 1 (printer), 2 (offline cause), 3 (error cause): fixed bits only, all well
STATUS_REPLIES = {1: 0x16, 2: 0x12, 3: 0x12}
SMALL_RCVBUF = 2048
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
    def __init__(self, port: int = 0, *, stall_after: int | None = None, answers_status: bool = True,
                 status_replies: int | None = None):
        self.status_byte = ONLINE
        self.jobs: list[bytes] = []
        self.done_at: list[float] = []          # time.perf_counter() of each job's last byte
        self.status_queries = 0
        self.connections = 0                   # job connections (a burst may share one)
        self.stall_after = stall_after
        self.answers_status = answers_status
        self.status_replies = status_replies
        self.partial: list[bytes] = []         # what a stalled job got before the printer stopped reading
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._cond = threading.Condition()
        self._sock: socket.socket | None = None
        self.port = port
        self.listen()

    def release(self) -> None:
        """Clear the jam: stalled connections are closed, new ones are served again."""
        self._released.set()
        self.stalled.clear()

    # ---- switching on and off
    def listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.stall_after is not None:       # before listen: accepted connections inherit it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RCVBUF)
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

    def _status_reply(self, n: int) -> bytes | None:
        with self._cond:
            self.status_queries += 1
            if not self.answers_status or (self.status_replies is not None and self.status_queries > self.status_replies):
                return None
        return bytes([self.status_byte if n == 4 else STATUS_REPLIES.get(n, 0x12)])

    def _jam(self, conn: socket.socket, data: bytes) -> None:
        """Stop reading: hold the connection open, unread, until released (or the other side goes)."""
        self.stalled.set()
        if data:
            with self._cond:
                self.partial.append(data)
                self._cond.notify_all()
        self._released.wait(60)

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(10)
        data, last = b"", None
        try:
            if self.stalled.is_set():
                self._jam(conn, b"")
                return
            while True:
                want = 65536
                if self.stall_after is not None:
                    want = min(want, self.stall_after - len(data))
                    if want <= 0:
                        self._jam(conn, data)
                        data = b""
                        return
                chunk = conn.recv(want)
                if not chunk:
                    break
                data += chunk
                last = time.perf_counter()
                if len(data) >= 3 and data[-3:-1] == DLE_EOT and 1 <= data[-1] <= 4:
                    n = data[-1]                     # a real-time status query, answered when read
                    data = data[:-3]
                    reply = self._status_reply(n)
                    if reply is not None:
                        conn.sendall(reply)
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
