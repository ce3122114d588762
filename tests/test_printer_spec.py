"""Printer SPEC parsing, and the backends opened from a SPEC (network, file, preview)."""
from __future__ import annotations

import socket
import threading

import pytest
from PIL import Image, ImageChops
from pyzbar import pyzbar

from kiosk import printers
from kiosk.escpos_job import ticket_job
from kiosk.printer_spec import PrinterSpec, PrinterSpecError, parse_printer_spec
from kiosk.printers import PrinterError, open_printer, paper_state
from kiosk.ticket_layout import render_ticket
from test_ticket_layout import make_ticket


@pytest.mark.parametrize("spec, fields", [
    ("usb:04b8:0202", dict(kind="usb", vendor_id=0x04B8, product_id=0x0202)),
    ("usb:0x0416:0X5011", dict(kind="usb", vendor_id=0x0416, product_id=0x5011)),
    ("USB:4b8:e15", dict(kind="usb", vendor_id=0x04B8, product_id=0x0E15)),
    ("serial:/dev/ttyUSB0", dict(kind="serial", device="/dev/ttyUSB0", baudrate=9600)),
    ("serial:COM3:115200", dict(kind="serial", device="COM3", baudrate=115200)),
    ("serial:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0",
     dict(kind="serial", device="/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0", baudrate=9600)),
    ("network:192.168.1.50", dict(kind="network", host="192.168.1.50", port=9100)),
    ("network:printer-1.local:9101", dict(kind="network", host="printer-1.local", port=9101)),
    ("network:[fe80::1]:9100", dict(kind="network", host="fe80::1", port=9100)),
    ("network:[::1]", dict(kind="network", host="::1", port=9100)),
    ("file:/dev/usb/lp0", dict(kind="file", path="/dev/usb/lp0")),
    ("cups:Kiosk_Printer", dict(kind="cups", queue="Kiosk_Printer")),
    ("preview:/tmp/tickets", dict(kind="preview", path="/tmp/tickets", width_dots=576, native_qr=True)),
    ("usb:0416:5011,width=384", dict(kind="usb", width_dots=384)),
    ("network:10.0.0.7,width=58mm,qr=image", dict(kind="network", host="10.0.0.7", width_dots=384, native_qr=False)),
    ("file:/tmp/a,b.bin", dict(kind="file", path="/tmp/a,b.bin")),
])
def test_good_specs(spec, fields):
    parsed = parse_printer_spec(spec)
    assert isinstance(parsed, PrinterSpec)
    for name, value in fields.items():
        assert getattr(parsed, name) == value, name
    assert parse_printer_spec(str(parsed)) == parsed  # str() gives a canonical SPEC back
    with pytest.raises(Exception):
        parsed.kind = "file"  # frozen


@pytest.mark.parametrize("spec, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("/dev/usb/lp0", "not KIND:TARGET"),
    ("lpt:1", 'unknown printer kind "lpt"'),
    ("usb:", "nothing after usb:"),
    ("usb:04b8", "must be VID:PID"),
    ("usb:04b8:0202:7", "must be VID:PID"),
    ("usb:zz:0202", 'vendor id "zz" is not hexadecimal'),
    ("usb:04b8:xyz", 'product id "xyz" is not hexadecimal'),
    ("usb:0x:0202", "vendor id is empty"),
    ("usb:12345:0202", "longer than 4 hexadecimal digits"),
    ("usb:0000:0202", "must not be 0"),
    ("serial:", "nothing after serial:"),
    ("serial::9600", "device is missing"),
    ("serial:/dev/ttyS0:9601", "9601 is not a standard rate"),
    ("serial:/dev/ttyS0:fast", 'baud rate "fast" is not a number'),
    ("network:", "nothing after network:"),
    ("network::9100", "host is missing"),
    ("network:fe80::1", "must be in brackets"),
    ("network:[fe80::1", 'no closing "]"'),
    ("network:[printer]:9100", "not an IPv6 address"),
    ("network:[::1]9100", 'unexpected "9100"'),
    ("network:host:0", 'port "0" must be a number from 1 to 65535'),
    ("network:host:70000", 'port "70000"'),
    ("network:host:http", 'port "http"'),
    ("network:bad_host!", "not a host name or IP address"),
    ("file:", "nothing after file:"),
    ("cups:my queue", "may not contain spaces"),
    ("cups:a/b", "may not contain spaces"),
    ("preview:", "nothing after preview:"),
    ("usb:04b8:0202,width=500", 'width "500"'),
    ("usb:04b8:0202,width=wide", 'width "wide"'),
    ("usb:04b8:0202,qr=yes", 'qr "yes" must be native or image'),
    ("usb:04b8:0202,colour=red", 'unknown option "colour"'),
    ("usb:04b8:0202,width=384,junk", 'option "junk" is not name=value'),
])
def test_bad_specs_say_what_is_wrong(spec, words):
    with pytest.raises(PrinterSpecError) as caught:
        parse_printer_spec(spec)
    message = str(caught.value)
    assert words in message
    assert "usb:VID:PID" in message and "network:HOST[:PORT]" in message  # shows the accepted forms
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


# --- backends ---------------------------------------------------------------------------

class FakeNetworkPrinter:
    """A TCP server on 127.0.0.1 standing in for a printer on port 9100.

    Records what each connection sent; answers DLE EOT 4 with ``reply`` (None: stays silent).
    """

    def __init__(self, reply: bytes | None = b"\x12", family=socket.AF_INET, host="127.0.0.1"):
        self.reply, self.received = reply, []
        self.server = socket.socket(family, socket.SOCK_STREAM)
        self.server.bind((host, 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                    if data.endswith(printers.PAPER_STATUS) and self.reply is not None:
                        conn.sendall(self.reply)
                self.received.append(data)

    def close(self):
        self.stopped.set()
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def fake_printer():
    made = []

    def start(**kwargs):
        made.append(FakeNetworkPrinter(**kwargs))
        return made[-1]

    yield start
    for fake in made:
        fake.close()


def wait_for(predicate, seconds=3.0):
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end and not predicate():
        time.sleep(0.01)
    return predicate()


def test_network_printer_receives_exactly_the_job(fake_printer):
    fake = fake_printer()
    job = ticket_job(make_ticket())
    with open_printer(parse_printer_spec(f"network:127.0.0.1:{fake.port}")) as printer:
        printer.send(job)
        printer.send(job)
    assert wait_for(lambda: len(fake.received) == 2)
    assert fake.received == [bytes(job), bytes(job)]


def test_network_printer_over_ipv6(fake_printer):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        fake = fake_printer(family=socket.AF_INET6, host="::1")
    except OSError:
        pytest.skip("cannot listen on ::1")
    printer = open_printer(parse_printer_spec(f"network:[::1]:{fake.port}"))
    printer.send(b"\x1b@")
    assert wait_for(lambda: fake.received == [b"\x1b@"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_an_offline_printer_error():
    printer = open_printer(parse_printer_spec(f"network:127.0.0.1:{free_port()}"))
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@")
    assert caught.value.state == "offline"
    assert "refused" in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert printer.status() == "offline"


@pytest.mark.parametrize("reply, state", [
    (b"\x12", "online"), (b"\x72", "paper_out"), (b"\x1e", "paper_low"), (b"\x7e", "paper_out"),
    (None, "unknown"),
])
def test_network_status_reads_the_paper_sensor(fake_printer, monkeypatch, reply, state):
    monkeypatch.setattr(printers, "STATUS_TIMEOUT_S", 0.3)
    fake = fake_printer(reply=reply)
    printer = open_printer(parse_printer_spec(f"network:127.0.0.1:{fake.port}"))
    assert printer.status() == state
    assert wait_for(lambda: fake.received == [printers.PAPER_STATUS])


@pytest.mark.parametrize("reply, state", [
    (b"", "unknown"), (b"\x00", "unknown"), (b"\xff", "unknown"), (b"\x12", "online"),
    (b"\x32", "paper_out"), (b"\x52", "paper_out"), (b"\x16", "paper_low"), (b"\x1a", "paper_low"),
])
def test_paper_state_bits(reply, state):
    assert paper_state(reply) == state


def test_preview_writes_a_png_named_after_the_ticket(tmp_path):
    t = make_ticket(status_url="http://127.0.0.1:5000/t/preview-check-42")
    printer = open_printer(parse_printer_spec(f"preview:{tmp_path / 'out'},width=384"))
    assert printer.status() == "online"
    printer.print_ticket(t)
    path = tmp_path / "out" / "20261122-083015-A012.png"
    assert printer.last_path == path and path.exists()
    img = Image.open(path)
    assert img.width == 384
    assert [s.data.decode() for s in pyzbar.decode(img.convert("L"))] == [t.status_url]
    # The printout is the rendered ticket, dot for dot (the QR drawn from the job's data).
    assert ImageChops.difference(img.convert("L"), render_ticket(t, 384).convert("L")).getbbox() is None
    printer.send(ticket_job(t, 384))  # the job carries its name; a second copy does not overwrite
    assert printer.last_path == tmp_path / "out" / "20261122-083015-A012-2.png"


def test_preview_refuses_bytes_it_cannot_print(tmp_path):
    printer = open_printer(parse_printer_spec(f"preview:{tmp_path}"))
    with pytest.raises(PrinterError, match="not printable"):
        printer.send(b"\x1b@plain text", name="x")


def test_file_printer_appends_jobs(tmp_path):
    target = tmp_path / "printer.bin"
    printer = open_printer(parse_printer_spec(f"file:{target}"))
    assert printer.status() == "online"
    printer.send(b"\x1b@one")
    printer.send(b"\x1b@two")
    assert target.read_bytes() == b"\x1b@one\x1b@two"


def test_file_printer_missing_directory_is_offline(tmp_path):
    printer = open_printer(parse_printer_spec(f"file:{tmp_path}/missing/lp0"))
    assert printer.status() == "offline"
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@")
    assert caught.value.state == "offline" and "missing" in str(caught.value)


MISSING_PACKAGES = """
import sys, tempfile
for name in ("usb", "usb.core", "usb.util", "serial", "cups"):
    sys.modules[name] = None  # as if pyusb, pyserial and pycups were not installed
from kiosk.printer_spec import parse_printer_spec
from kiosk.printers import PrinterError, open_printer
from kiosk.ticket_layout import TicketPrint
from datetime import datetime, timezone
t = TicketPrint("Trung tâm", "Sở Tư pháp", "Lý lịch tư pháp", "A001",
                datetime(2026, 11, 22, 8, 30, tzinfo=timezone.utc), 0, None, "http://x/t/1")
open_printer(parse_printer_spec("preview:" + tempfile.mkdtemp())).print_ticket(t)  # still works
for spec in ("usb:04b8:0202", "serial:/dev/ttyS0", "cups:Kiosk"):
    printer = open_printer(parse_printer_spec(spec))  # opening never needs the package
    try:
        printer.send(b"\x1b@")
    except PrinterError as e:
        print(e.state, e, "|", printer.status())
"""


def test_missing_optional_packages_give_clear_printer_errors():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", MISSING_PACKAGES], cwd=root, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stdout
    for line, package in zip(lines, ("pyusb", "pyserial", "pycups")):
        assert line.startswith("offline ") and f"pip install {package}" in line
        assert line.endswith("| offline")


def test_width_comes_from_the_spec_unless_given():
    assert open_printer(parse_printer_spec("preview:/tmp/x,width=384")).width_dots == 384
    assert open_printer(parse_printer_spec("preview:/tmp/x"), 384).width_dots == 384
    assert open_printer(parse_printer_spec("preview:/tmp/x")).width_dots == 576


def test_serial_printer_over_a_pseudo_terminal():
    pytest.importorskip("serial", reason="pyserial is not installed")
    import os
    import tty

    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    try:
        printer = open_printer(parse_printer_spec(f"serial:{os.ttyname(slave)}:19200"))
        job = ticket_job(make_ticket())
        got = bytearray()

        def read_job():
            while len(got) < len(job):
                got.extend(os.read(master, 65536))

        reader = threading.Thread(target=read_job)
        reader.start()
        printer.send(job)
        reader.join(5)
        assert bytes(got) == bytes(job)
        answer = threading.Thread(target=lambda: (os.read(master, 3), os.write(master, b"\x72")))
        answer.start()
        assert printer.status() == "paper_out"
        answer.join()
        printer.close()
    finally:
        os.close(master)
        os.close(slave)
