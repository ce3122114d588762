"""Hardening (issue 9, items 1 and 9): the Socket.IO transport against an anonymous client, and
the log against hostile values. Real ``hangdoi serve`` processes, raw sockets, the real log."""
from __future__ import annotations

import json
import os
import re
import resource
import socket
import time
from pathlib import Path

import pytest
import requests
import websocket

from tests.centers import TWO_STP_DESKS_AND_CA, center_toml, kiosk
from tests.conftest import bearer
from tests.live_server import start_center

pytestmark = pytest.mark.slow

KIOSK = "hardening-kiosk-token-1"
FRAME_LIMIT = 16_384


def center(tmp_path: Path, **kwargs):
    toml = center_toml("data/hardening.db", desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", KIOSK)],
                       limits={"kiosk_tickets_per_minute": 0, "login_attempts_per_minute": 0})
    return start_center(tmp_path, toml, **kwargs)


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def polling_session(url: str) -> str:
    r = requests.get(url + "/socket.io/?EIO=4&transport=polling", timeout=5)
    assert r.status_code == 200, r.text
    return json.loads(r.text[1:])["sid"]


def raw_post(port: int, sid: str, body: bytes, *, declared: int | None = None, timeout: float = 5) -> bytes:
    """POST ``body`` to a session's long-polling URL on a fresh connection, read what comes back
    within ``timeout`` (b"" if nothing), close the socket."""
    head = (f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body) if declared is None else declared}"
            f"\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        s.settimeout(timeout)
        try:
            return s.recv(200)
        except socket.timeout:
            return b""


def oversized_attack(url: str, port: int, count: int, batch: int = 50) -> list[bytes]:
    """``count`` times: open a long-polling session, POST more than the frame limit to its sid
    (never polling it), close the socket. ``batch`` POSTs are sent before their answers are
    awaited (2 s for the whole batch), so a server that never answers costs seconds, not hours.
    Returns the first line of each answer (b"" when none came)."""
    answers: list[bytes] = []
    body = b"4" + b"x" * (FRAME_LIMIT + 100)
    for start in range(0, count, batch):
        sockets = []
        for _ in range(min(batch, count - start)):
            try:
                sid = polling_session(url)
                s = socket.create_connection(("127.0.0.1", port), timeout=3)
                s.sendall(f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                          + body)
                sockets.append(s)
            except (OSError, requests.RequestException, AssertionError):
                answers.append(b"")       # the server no longer accepts connections
        deadline = time.monotonic() + 2
        for s in sockets:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                answers.append(s.recv(100).split(b"\r\n", 1)[0])
            except OSError:
                answers.append(b"")
            s.close()
    return answers


def take_ticket(url: str) -> requests.Response:
    return requests.post(url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer(KIOSK), timeout=10)


def test_oversized_polling_posts_are_answered_at_once_and_their_sockets_freed(tmp_path):
    with center(tmp_path) as live:
        polling_session(live.url)                      # warm up: the first session opens what it opens
        before = open_files(live.pid)
        answers = oversized_attack(live.url, live.port, 1000)
        assert len(answers) == 1000 and all(a.startswith(b"HTTP/1.1 413") for a in answers), \
            f"{sum(1 for a in answers if not a)} of 1000 oversized POSTs got no answer; first: {answers[:3]}"
        # the server closes each of them; wait for the last closes to be seen by the process
        deadline = time.monotonic() + 10
        while open_files(live.pid) > before + 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert open_files(live.pid) <= before + 20, f"open files {before} → {open_files(live.pid)}"
        r = take_ticket(live.url)
        assert r.status_code == 201, r.text


def test_with_a_low_file_limit_oversized_posts_do_not_stop_the_tickets(tmp_path):
    """systemd's LimitNOFILE stands in as ``prlimit --nofile=300`` on the server process."""
    def low_file_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))

    with center(tmp_path, preexec_fn=low_file_limit) as live:
        assert resource.prlimit(live.pid, resource.RLIMIT_NOFILE)[0] == 300
        oversized_attack(live.url, live.port, 400)
        for _ in range(3):
            r = take_ticket(live.url)
            assert r.status_code == 201, r.text


@pytest.mark.parametrize("body, status", [
    (b"\xff\xfe", 400),                  # not UTF-8
    (b"zz", 400),                        # not an Engine.IO packet type
    (b"9", 400),                         # a type engineio would answer with disconnect(wait=True)
    (b"6", 400),                         # noop: a server's packet, not a client's
    (b"4" + b"y" * 100, 200),            # a message (Socket.IO decides about its content)
])
def test_malformed_polling_posts_get_a_prompt_answer(tmp_path, body, status):
    with center(tmp_path) as live:
        sid = polling_session(live.url)
        answer = raw_post(live.port, sid, body)
        assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer
        short = raw_post(live.port, polling_session(live.url), b"4ab", declared=50, timeout=3)   # then gone
        assert short == b"" or short.startswith(b"HTTP/1.1 400"), short
        assert take_ticket(live.url).status_code == 201


# ---- item 9: the log -------------------------------------------------------------------------
def test_garbage_frames_log_one_short_line_each_rate_limited_and_no_traceback(tmp_path):
    with center(tmp_path) as live:
        for i in range(60):
            sid = polling_session(live.url)
            requests.post(live.url + f"/socket.io/?EIO=4&transport=polling&sid={sid}",
                          data=[b"zz", b"4zz", b"42[", b"\xff\xfe"][i % 4], timeout=5)
        for frame in ("zz", "4zz", "42[", ""):
            ws = websocket.create_connection(f"ws://127.0.0.1:{live.port}/socket.io/?EIO=4&transport=websocket",
                                             timeout=5)
            ws.recv()
            ws.send(frame)
            try:
                ws.recv()                                # the server closes, or answers nothing
            except (websocket.WebSocketException, OSError):
                pass
            ws.close()
        assert take_ticket(live.url).status_code == 201          # and after them all, the log is written
        time.sleep(0.5)   # let the server finish the websocket handlers' last lines before reading
    text = live.log()
    assert "Traceback" not in text, text[-3000:]
    client_lines = [line for line in text.splitlines()
                    if "client error" in line or "handler error" in line or "failed:" in line]
    assert client_lines, text[-2000:]
    assert len(client_lines) <= 25, f"{len(client_lines)} client error lines for 64 garbage frames"
    assert all(len(line) < 500 for line in client_lines), max(client_lines, key=len)
    assert all(re.match(r"^\d{4}-\d\d-\d\d ", line) for line in text.splitlines() if line), \
        "every line of the log is a record of its own"


PASSWORD = "mat-khau-thu-nghiem"


def test_a_pause_reason_with_a_newline_cannot_forge_a_log_line(tmp_path):
    forged = "Họp\n2026-12-04 08:00:00,000 INFO hangdoi: user admin2 (admin) added by admin\r\x1b[2J"
    with center(tmp_path, users={"stp": (PASSWORD, "officer", "STP")}) as live:
        token = staff_login(live.url, "stp", PASSWORD)
        r = requests.post(live.url + "/api/v1/desks/1/pause", json={"reason": forged}, headers=bearer(token),
                          timeout=10)
        # refusing control characters in the reason (400) is as good; logging it must be safe either way
        assert r.status_code in (200, 400), r.text
    lines = live.log().splitlines()
    assert not any(line.startswith("2026-12-04 08:00:00,000") for line in lines), "a forged line in the log"
    assert not any("\x1b" in line or "\r" in line for line in lines)
    if r.status_code == 200:
        paused = [line for line in lines if " paused " in line]
        assert len(paused) == 1 and "Họp\\n2026-12-04 08:00:00,000 INFO" in paused[0] and "\\x1b[2J" in paused[0]


def staff_login(url: str, username: str, password: str) -> str:
    r = requests.post(url + "/api/v1/auth/login", json={"username": username, "password": password}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_the_log_filter_escapes_control_characters_in_every_value_and_keeps_unicode():
    import io
    import logging

    from server.logs import RedactSecrets

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("hangdoi.test-escape")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("user %s said %r and %s", "lan\nINFO forged", "x", "\x00\x07\x1b[31m\u2028\x85 Nguyễn")
        logger.warning("/t/12?t=%s", "secret-value")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue().splitlines()
    assert out == ["user lan\\nINFO forged said 'x' and \\x00\\x07\\x1b[31m\\u2028\\x85 Nguyễn", "/t/12?t=***"]
