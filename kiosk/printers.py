"""Printer backends for the print agent: send ready ESC/POS jobs, report paper state.

    printer = open_printer(parse_printer_spec("network:10.0.0.7"))  # width from the spec
    printer.print_ticket(ticket)      # = send(ticket_job(ticket, width, native_qr), name=...)
    printer.status()                  # "online" | "paper_out" | "paper_low" | "offline" | "unknown"
    printer.close()

usb, serial, file and cups wrap python-escpos' printer classes and hand them
the job bytes unchanged (``_raw``); network talks raw TCP itself (below); preview:DIR decodes the job back
into a picture (``kiosk.escpos_decode``) and writes ``DIR/<name>.png``.
Every fault (refused connection, missing device, timeout, python-escpos or
driver error, missing optional package) is raised as ``PrinterError`` with a
one-line message and ``state`` "offline" or "paper_out". pyusb, pyserial and
pycups are imported only when a printer of that kind is opened.

Status: network, usb and serial printers are asked with DLE EOT 4 (paper
sensor); a printer that does not answer in time is "unknown". CUPS reports its
queue state; a file is "online" when it can be written.

A network job counts as printed only when the printer took all of it (issue 9):
the job is written against one deadline (``SEND_TIMEOUT_S``, or
``$HANGDOI_PRINT_TIMEOUT_S``); a printer known to answer DLE EOT 4 is asked once
more at the end of the job, on the same connection, so its reply, within the same
deadline, comes only after it has read the whole ticket; a printer without
status is waited for, within the deadline, until it has acknowledged every byte
(Linux ``TIOCOUTQ`` reaching 0: what is unsent or unacknowledged). A printer that stops reading (paper jam,
cover open) fails the job with ``PrinterError`` saying how much it took
(``taken`` of ``total`` bytes); one that took everything but does not confirm
fails it with a message ending in ``(unconfirmed)`` (state "unknown"): the agent never reports such a
job as printed.
"""
from __future__ import annotations

import fcntl
import os
import socket
import struct
import termios
import time
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from .escpos_decode import decode_job
from .escpos_job import job_name, ticket_job
from .printer_spec import CupsSpec, NetworkSpec, PreviewSpec, PrinterSpec, SerialSpec, UsbSpec
from .ticket_layout import TicketPrint

PAPER_STATUS = b"\x10\x04\x04"  # DLE EOT 4: real-time paper sensor status
CONNECT_TIMEOUT_S = 3.0


def _seconds_from_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if 0.1 <= value <= 600 else default


SEND_TIMEOUT_S = _seconds_from_env("HANGDOI_PRINT_TIMEOUT_S", 10.0)   # the write deadline of one job
STATUS_TIMEOUT_S = 1.5
UNCONFIRMED = "(unconfirmed)"   # the end of the message of a job the printer took but did not confirm


class PrinterError(Exception):
    """The ticket could not be printed. ``state``: "offline", "paper_out" or "unknown". ``unsent``:
    the printer could not even be reached, so not one byte of the job went out (safe to try again).
    ``taken``/``total``: how many bytes of the job the printer took, when it stopped taking them."""

    def __init__(self, message: str, state: str = "offline", unsent: bool = False, *,
                 taken: int | None = None, total: int | None = None):
        super().__init__(message)
        self.state = state
        self.unsent = unsent
        self.taken, self.total = taken, total


def paper_state(reply: bytes) -> str:
    """Meaning of the reply to DLE EOT 4: bits 5-6 paper end, bits 2-3 near end."""
    if len(reply) < 1 or reply[0] & 0x93 != 0x12:  # fixed bits: 1 and 4 set, 0 and 7 clear
        return "unknown"
    if reply[0] & 0x60:
        return "paper_out"
    if reply[0] & 0x0C:
        return "paper_low"
    return "online"


class Printer:
    """Base class: ``send`` raw job bytes, ``status``, ``close``."""

    def __init__(self, spec: PrinterSpec, width_dots: int):
        self.spec, self.width_dots, self.native_qr = spec, width_dots, spec.native_qr

    def send(self, job: bytes, name: str | None = None) -> None:
        raise NotImplementedError

    def status(self) -> str:
        return "unknown"

    def close(self) -> None:
        pass

    def print_ticket(self, t: TicketPrint) -> None:
        self.send(ticket_job(t, self.width_dots, self.native_qr), name=job_name(t))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


def _fault(what: str, exc: BaseException, unsent: bool = False) -> PrinterError:
    if isinstance(exc, ConnectionRefusedError):
        return PrinterError(f"{what} refused the connection (is it switched on, is the port right?)", unsent=unsent)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return PrinterError(f"{what} did not answer in time", unsent=unsent)
    detail = " ".join(str(getattr(exc, "msg", "") or exc or type(exc).__name__).split())
    return PrinterError(f"{what}: {detail}", unsent=unsent)


@lru_cache(maxsize=None)
def _append_file_class():
    """python-escpos' File, keeping earlier jobs when the target is a plain file (imported on first use)."""
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import File

    class AppendFile(File):
        def open(self, raise_not_found: bool = True) -> None:
            try:
                self.device = open(self.devfile, "ab")
            except OSError as e:
                raise DeviceNotFoundError(f"cannot open {self.devfile}: {e.strerror}") from e

    return AppendFile


def _unacknowledged(sock: socket.socket) -> int | None:
    """Bytes written to ``sock`` that the peer has not acknowledged yet (Linux), or None."""
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except (OSError, AttributeError):
        return None


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} B"


class NetworkPrinter(Printer):
    """Raw TCP (port 9100 by default); one connection per job or status query.

    ``confirms``: whether the printer answers DLE EOT 4 (None until asked by ``status``): then each
    job ends with that query and counts as printed only once the answer came after it."""

    def __init__(self, spec: NetworkSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self.what = f"network printer {spec.host}:{spec.port}"
        self.confirms: bool | None = None

    def _connect(self, timeout: float) -> socket.socket:
        sock = socket.create_connection((self.spec.host, self.spec.port), timeout=CONNECT_TIMEOUT_S)
        sock.settimeout(timeout)
        return sock

    def send(self, job: bytes, name: str | None = None) -> None:
        try:
            sock = self._connect(SEND_TIMEOUT_S)
        except Exception as e:                  # not reached: nothing of the job went out
            raise _fault(self.what, e, unsent=True) from e
        try:
            self._write(sock, bytes(job), time.monotonic() + SEND_TIMEOUT_S)
        finally:
            sock.close()

    def _stalled(self, taken: int, total: int) -> PrinterError:
        return PrinterError(
            f"máy in ngừng nhận phiếu: mới nhận {_kb(taken)} trên {_kb(total)} (kẹt giấy, mở nắp?) — "
            f"the printer stopped taking the ticket after {taken} of {total} bytes", taken=taken, total=total)

    def _write(self, sock: socket.socket, job: bytes, deadline: float) -> None:
        confirm = self.confirms is True
        data = memoryview(job + PAPER_STATUS if confirm else job)
        total, sent = len(job), 0
        try:
            while sent < len(data):             # the write deadline: sendall's timeout is per call
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                sent += sock.send(data[sent:])
        except (socket.timeout, TimeoutError):
            raise self._stalled(self._taken(sock, sent, total), total) from None
        except OSError as e:
            raise _fault(self.what, e) from e
        if confirm:
            # the printer answers the query after the ticket only once it has read the whole ticket
            try:
                sock.settimeout(max(STATUS_TIMEOUT_S, deadline - time.monotonic()))
                reply = sock.recv(1)
            except OSError:
                reply = b""
            state = paper_state(reply)
            if state == "unknown":
                taken = self._taken(sock, len(data), total)
                if taken < total:
                    raise self._stalled(taken, total)
                raise PrinterError("máy in đã nhận phiếu nhưng không xác nhận đã in — "
                                   f"the printer took the ticket but did not confirm it {UNCONFIRMED}",
                                   state="unknown", taken=total, total=total)
            if state == "paper_out":
                raise PrinterError("máy in hết giấy khi đang in — the printer ran out of paper during the ticket",
                                   state="paper_out", taken=total, total=total)
            return
        # no status to ask: drain, until the printer itself acknowledged every byte
        pause = 0.0005
        while (left := _unacknowledged(sock)) and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(0.02, pause * 2)
        if left:
            raise self._stalled(self._taken(sock, len(data), total), total)

    @staticmethod
    def _taken(sock: socket.socket, sent: int, total: int) -> int:
        """How much of the job (``total`` bytes) the printer acknowledged, ``sent`` bytes written."""
        left = _unacknowledged(sock)
        return max(0, min(total, sent - (left or 0)))

    def status(self) -> str:
        try:
            sock = self._connect(STATUS_TIMEOUT_S)
        except OSError:
            return "offline"
        try:
            sock.sendall(PAPER_STATUS)
            state = paper_state(sock.recv(1))
        except OSError:
            state = "unknown"
        finally:
            sock.close()
        self.confirms = state != "unknown"
        return state


class _DevicePrinter(Printer):
    """USB and serial: the python-escpos device stays open between jobs."""

    what = "printer"

    def __init__(self, spec: PrinterSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self._dev = None

    def _make(self):
        raise NotImplementedError

    def _after_open(self, dev) -> None:
        pass

    def _device(self):
        if self._dev is None:
            dev = self._make()
            try:
                dev.open()
                self._after_open(dev)
            except Exception as e:
                raise _fault(self.what, e, unsent=True) from e
            self._dev = dev
        return self._dev

    def send(self, job: bytes, name: str | None = None) -> None:
        dev = self._device()
        try:
            dev._raw(bytes(job))
        except Exception as e:
            self.close()  # reopen on the next job: the cable may have been pulled
            raise _fault(self.what, e) from e

    def status(self) -> str:
        try:
            dev = self._device()
        except PrinterError:
            return "offline"
        try:
            dev._raw(PAPER_STATUS)
            return paper_state(bytes(dev._read()))
        except Exception:
            return "unknown"

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            try:
                dev.close()
            except Exception:
                pass


class UsbPrinter(_DevicePrinter):
    def __init__(self, spec: UsbSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self.what = f"USB printer {spec.vendor_id:04x}:{spec.product_id:04x}"

    def _make(self):
        from escpos.printer import usb as escpos_usb

        if not escpos_usb.is_usable():
            raise PrinterError("usb printers need pyusb: pip install pyusb (and apt-get install libusb-1.0-0)")
        return escpos_usb.Usb(self.spec.vendor_id, self.spec.product_id, timeout=int(SEND_TIMEOUT_S * 1000))

    def _after_open(self, dev) -> None:
        """python-escpos assumes endpoints 0x01/0x82; take the printer's own ones."""
        try:
            import usb.util

            intf = dev.device.get_active_configuration()[(0, 0)]
            for ep in intf:
                if usb.util.endpoint_type(ep.bmAttributes) != usb.util.ENDPOINT_TYPE_BULK:
                    continue
                if usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_OUT:
                    dev.out_ep = ep.bEndpointAddress
                else:
                    dev.in_ep = ep.bEndpointAddress
        except Exception:
            pass  # keep python-escpos' defaults


class SerialPrinter(_DevicePrinter):
    def __init__(self, spec: SerialSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self.what = f"serial printer {spec.device}"

    def _make(self):
        from escpos.printer import serial as escpos_serial

        if not escpos_serial.is_usable():
            raise PrinterError("serial printers need pyserial: pip install pyserial")
        return escpos_serial.Serial(self.spec.device, baudrate=self.spec.baudrate, timeout=STATUS_TIMEOUT_S)

    def _after_open(self, dev) -> None:
        dev.device.write_timeout = SEND_TIMEOUT_S  # a stalled printer must not hang the agent


class FilePrinter(Printer):
    """A device file such as /dev/usb/lp0 (or a plain file, appended to)."""

    def send(self, job: bytes, name: str | None = None) -> None:
        dev = _append_file_class()(self.spec.path)
        try:
            dev.open()
            dev._raw(bytes(job))
        except Exception as e:
            raise _fault(f"printer file {self.spec.path}", e) from e
        finally:
            dev.close()

    def status(self) -> str:
        path = Path(self.spec.path)
        if path.exists():
            return "online" if os.access(path, os.W_OK) else "offline"
        return "online" if os.access(path.parent, os.W_OK) and not str(path).startswith("/dev/") else "offline"


class CupsQueuePrinter(Printer):
    def __init__(self, spec: CupsSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self.what = f"CUPS queue {spec.queue}"

    def _open(self, job_name: str):
        from escpos.printer import cups as escpos_cups

        if not escpos_cups.is_usable():
            raise PrinterError("cups printers need pycups: pip install pycups (needs apt-get install libcups2-dev)")
        dev = escpos_cups.CupsPrinter(self.spec.queue)
        try:
            dev.open(job_name=job_name)
        except Exception as e:
            raise _fault(self.what, e) from e
        return dev

    def send(self, job: bytes, name: str | None = None) -> None:
        dev = self._open(name or getattr(job, "name", "") or "hangdoi-ticket")
        try:
            dev._raw(bytes(job))
            dev.close()  # submits the job
        except Exception as e:
            raise _fault(self.what, e) from e

    def status(self) -> str:
        try:
            dev = self._open("hangdoi-status")
            info = dev.printers.get(self.spec.queue, {})
        except Exception:
            return "offline"
        reasons = " ".join(info.get("printer-state-reasons", []))
        if "media-empty" in reasons or "media-needed" in reasons:
            return "paper_out"
        if info.get("printer-state") not in (3, 4):  # idle, processing
            return "offline"
        return "paper_low" if "media-low" in reasons else "online"


class PreviewPrinter(Printer):
    """Writes each job as ``DIR/<name>.png`` (e.g. 20261122-083015-A012.png)."""

    def __init__(self, spec: PreviewSpec, width_dots: int):
        super().__init__(spec, width_dots)
        self.directory = Path(spec.path)
        self.last_path: Path | None = None

    def send(self, job: bytes, name: str | None = None) -> None:
        name = name or getattr(job, "name", "") or datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "ticket"
        try:
            picture = decode_job(job, self.width_dots, draw_qr=True).image
        except ValueError as e:
            raise PrinterError(f"preview: the job is not printable ESC/POS: {e}") from e
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path, n = self.directory / f"{safe}.png", 1
            while path.exists():
                n += 1
                path = self.directory / f"{safe}-{n}.png"
            partial = path.with_name(f".{path.name}.part")   # written whole, then renamed: never seen half-done
            picture.save(partial, "PNG")
            partial.replace(path)
        except OSError as e:
            raise _fault(f"preview directory {self.directory}", e) from e
        self.last_path = path

    def status(self) -> str:
        folder = self.directory
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return "online" if os.access(folder, os.W_OK) else "offline"


BACKENDS = {
    "network": NetworkPrinter,
    "usb": UsbPrinter,
    "serial": SerialPrinter,
    "file": FilePrinter,
    "cups": CupsQueuePrinter,
    "preview": PreviewPrinter,
}


def open_printer(spec: PrinterSpec, width_dots: int | None = None) -> Printer:
    """The backend for ``spec``; ``width_dots`` overrides the spec's ``width=``.

    Nothing is contacted yet: faults show up in ``send`` (PrinterError) and ``status``.
    """
    return BACKENDS[spec.kind](spec, width_dots or spec.width_dots)
