"""The print agent (kiosk.agent, ``hangdoi kiosk``) against the real server process and a network
printer stand-in on 127.0.0.1: what reaches the printer decodes back into the rendered ticket,
paper-out and offline printers are reported, jobs survive agent and server restarts, and old
jobs are never printed late."""
from __future__ import annotations

import functools
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio
from PIL import ImageChops, ImageDraw
from pyzbar import pyzbar

from kiosk.agent import PrintAgent, ticket_print
from kiosk.escpos_decode import decode_job
from kiosk.printer_spec import parse_printer_spec
from kiosk.ticket_layout import layout_ticket, render_ticket
from tests import live_server
from tests.live_server import ROOT, LiveServer, free_port, write_config
from tests.printer_standin import ONLINE, PAPER_OUT, PrinterStandIn

pytestmark = pytest.mark.slow

MAX_DELAY_S = 4
CENTER = "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
CONFIG = """
[center]
name = "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
timezone = "Asia/Ho_Chi_Minh"

[server]
port = {PORT}
database = "data/agent.db"

[limits]
kiosk_tickets_per_minute = 0

[printing]
max_delay_s = %d

[[agencies]]
code = "STP"
name = "Sở Tư pháp"
  [[agencies.services]]
  code = "STP-LLTP"
  name = "Lý lịch tư pháp có yếu tố nước ngoài"
  prefix = "A"

[[desks]]
number = 1
agency = "STP"
services = ["STP-LLTP"]
""" % MAX_DELAY_S + "".join(f"""
[[kiosks]]
id = "kiosk-{i}"
token = "agent-kiosk-token-{i}"
""" for i in range(1, 9))


def token(i: int) -> str:
    return f"agent-kiosk-token-{i}"


def make_server(tmp_path: Path) -> LiveServer:
    port = free_port()
    return LiveServer(write_config(tmp_path, CONFIG, port), port)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with make_server(tmp_path_factory.mktemp("agent")) as live:
        yield live


@pytest.fixture
def agents():
    started: list[PrintAgent] = []

    def start(server, i: int, spec: str, **kw) -> PrintAgent:
        agent = PrintAgent(server.url, token(i), parse_printer_spec(spec), status_interval_s=kw.pop("interval", 0.2),
                           heartbeat_s=5, **kw)
        started.append(agent)
        return agent.start()

    yield start
    for agent in started:
        agent.close()


@pytest.fixture
def printer():
    stand_in = PrinterStandIn()
    yield stand_in
    stand_in.close()


def issue(server, i: int, **body) -> dict:
    r = requests.post(server.url + "/api/v1/tickets", json={"service": "STP-LLTP", **body},
                      headers={"Authorization": f"Bearer {token(i)}"}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def db_value(server, sql: str, *args):
    return live_server.db_value(server.config_path.parent / "data" / "agent.db", sql, *args)


eventually = functools.partial(live_server.eventually, timeout=6.0)


def job_status(server, ticket_id):
    return db_value(server, "SELECT status FROM print_jobs WHERE ticket = ?", ticket_id)


def printer_state(server, kiosk):
    return db_value(server, "SELECT state FROM device_states WHERE device = ?", kiosk)


def expected_ticket(t: dict):
    labels = {"elderly": "Ưu tiên: Người cao tuổi", None: None}
    return ticket_print({"ticket": t, "center_name": CENTER, "priority_label": labels[t["priority"]]})


def blank(img, box):
    img = img.convert("L").copy()
    x, y, w, h = box
    ImageDraw.Draw(img).rectangle((x, y, x + w - 1, y + h - 1), fill=255)
    return img


# ---- printing ---------------------------------------------------------------------------------
def test_the_printer_gets_exactly_the_rendered_ticket(server, agents, printer):
    agent = agents(server, 1, printer.spec)
    t = issue(server, 1, priority="elderly")
    [job] = printer.wait_jobs(1)
    assert len(job) < 20_000
    decoded = decode_job(job, 576)
    assert decoded.cut and decoded.qr_data == [t["status_url"]]
    want = layout_ticket(expected_ticket(t), 576)
    assert decoded.qr_boxes == [want.qr_box]
    assert ImageChops.difference(blank(decoded.image, want.qr_box), blank(want.image, want.qr_box)).getbbox() is None
    assert eventually(lambda: job_status(server, t["id"]), "printed") == "printed"
    assert printer_state(server, "kiosk-1") == "online" and agent.printed == 1


def test_58mm_printer_without_native_qr(server, agents, printer):
    agents(server, 2, printer.spec + ",width=58mm,qr=image")
    t = issue(server, 2)
    [job] = printer.wait_jobs(1)
    decoded = decode_job(job, 384)
    assert decoded.qr_data == []                             # the QR code came as a picture
    assert ImageChops.difference(decoded.image.convert("L"),
                                 render_ticket(expected_ticket(t), 384).convert("L")).getbbox() is None
    assert [s.data.decode() for s in pyzbar.decode(decoded.image.convert("L"))] == [t["status_url"]]


def test_paper_out_is_reported_and_nothing_is_sent(server, agents, printer):
    screen = socketio.Client()
    states = []
    screen.on("printer_state", states.append)
    screen.connect(server.url, auth={"token": token(3)}, transports=["websocket"])
    try:
        printer.status_byte = PAPER_OUT
        agents(server, 3, printer.spec)
        assert eventually(lambda: printer_state(server, "kiosk-3"), "paper_out") == "paper_out"
        assert eventually(lambda: bool(states) and states[-1]["state"], "paper_out") == "paper_out"
        t = issue(server, 3)                                   # issuing is not blocked
        assert eventually(lambda: job_status(server, t["id"]), "failed") == "failed"
        assert db_value(server, "SELECT error FROM print_jobs WHERE ticket = ?", t["id"]) == "paper_out"
        assert printer.jobs == []
        printer.status_byte = ONLINE                          # new paper roll
        assert eventually(lambda: printer_state(server, "kiosk-3"), "online") == "online"
        assert eventually(lambda: states[-1]["state"], "online") == "online"
        t2 = issue(server, 3)
        assert len(printer.wait_jobs(1)) == 1
        assert eventually(lambda: job_status(server, t2["id"]), "printed") == "printed"
    finally:
        screen.disconnect()


def test_offline_printer_is_reported_and_issuing_goes_on(server, agents, printer):
    printer.refuse()
    agent = agents(server, 4, printer.spec)
    assert eventually(lambda: printer_state(server, "kiosk-4"), "offline") == "offline"
    started = time.perf_counter()
    t = issue(server, 4)
    assert time.perf_counter() - started < 2, "issuing waited for the printer"
    time.sleep(0.6)                                           # tried meanwhile: nothing went out, so held
    assert job_status(server, t["id"]) == "sent" and printer.jobs == []
    printer.listen()                                          # switched on again: the held job prints
    assert eventually(lambda: job_status(server, t["id"]), "printed") == "printed"
    assert eventually(lambda: printer_state(server, "kiosk-4"), "online") == "online"
    t2 = issue(server, 4)
    assert eventually(lambda: job_status(server, t2["id"]), "printed") == "printed"
    assert agent.printed == 2 and len(printer.jobs) == 2      # each once (tests/test_drills.py: the whole story)


def test_unacknowledged_jobs_print_after_an_agent_restart_once_each(server, agents, printer):
    first = agents(server, 5, printer.spec)
    printed = issue(server, 5)
    printer.wait_jobs(1)
    # the printer has the bytes before the agent acknowledges them: a job whose
    # acknowledgement never reached the server is printed again (at least once)
    assert eventually(lambda: job_status(server, printed["id"]), "printed") == "printed"
    first.close()
    assert eventually(lambda: printer_state(server, "kiosk-5"), "offline") == "offline"   # the agent is gone
    waiting = [issue(server, 5), issue(server, 5)]
    assert [job_status(server, t["id"]) for t in waiting] == ["pending", "pending"]
    agents(server, 5, printer.spec)
    jobs = printer.wait_jobs(3)
    assert len(jobs) == 3
    assert [decode_job(j).qr_data[0] for j in jobs[1:]] == [t["status_url"] for t in waiting]
    for t in waiting:
        assert eventually(lambda: job_status(server, t["id"]), "printed") == "printed"
    time.sleep(0.5)
    assert len(printer.jobs) == 3                             # nothing twice


def test_no_late_printing(server, agents, printer):
    t = issue(server, 6)                                      # no agent for kiosk-6 yet
    time.sleep(MAX_DELAY_S + 0.5)
    fresh = issue(server, 6)
    agents(server, 6, printer.spec)
    [job] = printer.wait_jobs(1)
    assert decode_job(job).qr_data == [fresh["status_url"]]
    assert job_status(server, t["id"]) == "expired"
    time.sleep(0.5)
    assert len(printer.jobs) == 1


def test_jobs_survive_a_server_crash(tmp_path, agents, printer):
    live = make_server(tmp_path).start()
    try:
        t = issue(live, 7)                                    # no agent: the job waits in the database
        live.kill9()
        live.start()
        agents(live, 7, printer.spec)
        [job] = printer.wait_jobs(1)
        assert decode_job(job).qr_data == [t["status_url"]]
        assert eventually(lambda: job_status(live, t["id"]), "printed") == "printed"
    finally:
        live.stop()


def test_agent_reconnects_by_itself_after_a_server_restart(tmp_path, agents, printer):
    live = make_server(tmp_path).start()
    try:
        agent = agents(live, 7, printer.spec)
        live.kill9()
        assert eventually(lambda: agent.connected, False) is False
        live.start()
        assert eventually(lambda: agent.connected, True, timeout=20) is True
        t = issue(live, 7)
        [job] = printer.wait_jobs(1)
        assert decode_job(job).qr_data == [t["status_url"]]
        assert eventually(lambda: job_status(live, t["id"]), "printed") == "printed"
    finally:
        live.stop()


def test_agent_waits_for_a_server_that_is_not_there_yet(tmp_path, agents, printer):
    live = make_server(tmp_path)
    import threading

    holder = {}
    thread = threading.Thread(target=lambda: holder.setdefault("agent", agents(live, 8, printer.spec)), daemon=True)
    thread.start()
    time.sleep(1.0)                                           # the agent retries meanwhile
    live.start()
    try:
        thread.join(20)
        assert holder["agent"].connected
        t = issue(live, 8)
        [job] = printer.wait_jobs(1)
        assert decode_job(job).qr_data == [t["status_url"]]
    finally:
        live.stop()


# ---- the command ------------------------------------------------------------------------------
def run_cli(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "server.cli", "kiosk", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("spec", ["bogus", "usb:zz:1", "network:", "serial:/dev/ttyS0:123", "preview:/tmp,width=500"])
def test_cli_bad_printer_spec_exits_2_with_one_line(spec):
    r = run_cli("--server", "http://127.0.0.1:9", "--token", "x" * 10, "--printer", spec)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "accepted:" in lines[0] and "Traceback" not in r.stderr


def test_cli_bad_server_url_and_refused_token(server, tmp_path):
    r = run_cli("--server", "ftp://x", "--token", "x" * 10, "--printer", f"preview:{tmp_path}")
    assert r.returncode == 2 and "http://" in r.stderr
    r = run_cli("--server", server.url, "--token", "not-a-kiosk-token", "--printer", f"preview:{tmp_path}")
    assert r.returncode == 2 and "refused the kiosk token" in r.stderr


def test_cli_preview_agent_writes_the_ticket_as_png(server, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "kiosk", "--server", server.url, "--token", token(8),
                             "--printer", f"preview:{tmp_path / 'out'}"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert eventually(lambda: printer_state(server, "kiosk-8"), "online", timeout=15) == "online"
        t = issue(server, 8)
        pngs = eventually(lambda: len(list((tmp_path / "out").glob("*.png"))), 1, timeout=10)
        assert pngs == 1
        [png] = (tmp_path / "out").glob("*.png")
        assert png.name.endswith(f"-{t['code']}.png")
        from PIL import Image

        def qr_in_png():
            try:                                              # the file may still be being written
                return [s.data.decode() for s in pyzbar.decode(Image.open(png).convert("L"))]
            except (OSError, SyntaxError):
                return None

        assert eventually(qr_in_png, [t["status_url"]]) == [t["status_url"]]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert "printed" in out
