"""The printer SPEC of ``hangdoi kiosk --printer SPEC`` (contract, section 1).

Forms::

    usb:VID:PID              hexadecimal ids, with or without 0x: usb:04b8:0202, usb:0x0416:0x5011
    serial:DEVICE[:BAUD]     serial:/dev/ttyUSB0, serial:COM3:19200 (default 9600, standard rates only)
    network:HOST[:PORT]      network:192.168.1.50, network:printer.local:9100, network:[fe80::1]:9100
    file:PATH                file:/dev/usb/lp0 (jobs are appended to the file)
    cups:QUEUE               cups:Kiosk_Printer (sent raw)
    preview:DIR              preview:/tmp/tickets (each ticket as a PNG, for demos and tests)

Options, our choice, follow the SPEC after commas so that one string says
everything about the printer::

    width=576 | width=384 | width=80mm | width=58mm   paper width in dots (default 576 = 80 mm)
    qr=native | qr=image                              QR drawn by the printer (default), or
                                                      printed as a picture for printers without GS ( k

e.g. ``usb:0416:5011,width=384`` or ``network:10.0.0.7,qr=image``. Options
start at the first comma followed by ``name=``; a device path may contain
commas otherwise. A serial DEVICE ending in ``:digits`` is read as DEVICE:BAUD.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import ClassVar

FORMS = ("usb:VID:PID, serial:DEVICE[:BAUD], network:HOST[:PORT], file:PATH, cups:QUEUE, "
         "preview:DIR, optionally followed by ,width=576|384 and ,qr=native|image")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
WIDTH_ALIASES = {"80mm": 576, "58mm": 384}
_HOSTNAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


class PrinterSpecError(ValueError):
    """A printer SPEC that cannot be used; the message is one line, in English."""


@dataclass(frozen=True)
class PrinterSpec:
    """What every printer has: its kind and the paper options. One subclass per kind holds what
    that kind needs to be reached, and nothing else."""
    kind: ClassVar[str] = ""
    width_dots: int = 576
    native_qr: bool = True

    def target(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        opts = ("" if self.width_dots == 576 else f",width={self.width_dots}") + ("" if self.native_qr else ",qr=image")
        return f"{self.kind}:{self.target()}{opts}"


@dataclass(frozen=True, kw_only=True)
class UsbSpec(PrinterSpec):
    kind: ClassVar[str] = "usb"
    vendor_id: int
    product_id: int

    def target(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"


@dataclass(frozen=True, kw_only=True)
class SerialSpec(PrinterSpec):
    kind: ClassVar[str] = "serial"
    device: str
    baudrate: int = 9600

    def target(self) -> str:
        return f"{self.device}:{self.baudrate}"


@dataclass(frozen=True, kw_only=True)
class NetworkSpec(PrinterSpec):
    kind: ClassVar[str] = "network"
    host: str                     # IPv6 without brackets
    port: int = 9100

    def target(self) -> str:
        return (f"[{self.host}]" if ":" in self.host else self.host) + f":{self.port}"


@dataclass(frozen=True, kw_only=True)
class FileSpec(PrinterSpec):
    kind: ClassVar[str] = "file"
    path: str                     # jobs are appended to it

    def target(self) -> str:
        return self.path


@dataclass(frozen=True, kw_only=True)
class PreviewSpec(FileSpec):
    kind: ClassVar[str] = "preview"
    # path: the directory each ticket goes to as a PNG


@dataclass(frozen=True, kw_only=True)
class CupsSpec(PrinterSpec):
    kind: ClassVar[str] = "cups"
    queue: str                    # sent raw

    def target(self) -> str:
        return self.queue


SPECS: dict[str, type[PrinterSpec]] = {c.kind: c for c in (UsbSpec, SerialSpec, NetworkSpec, FileSpec, PreviewSpec,
                                                              CupsSpec)}


def _fail(message: str) -> PrinterSpecError:
    return PrinterSpecError(f"{message} (accepted: {FORMS})")


def _hex_id(kind: str, text: str) -> int:
    digits = text[2:] if text.lower().startswith("0x") else text
    if not digits:
        raise _fail(f"usb: {kind} id is empty")
    if not re.fullmatch(r"[0-9A-Fa-f]{1,4}", digits):
        if re.fullmatch(r"[0-9A-Fa-f]+", digits):
            raise _fail(f'usb: {kind} id "{text}" is longer than 4 hexadecimal digits')
        raise _fail(f'usb: {kind} id "{text}" is not hexadecimal')
    value = int(digits, 16)
    if value == 0:
        raise _fail(f'usb: {kind} id "{text}" must not be 0')
    return value


def _options(text: str) -> tuple[str, dict]:
    found = re.search(r",[A-Za-z_]+=", text)
    if not found:
        return text, {}
    body, opts = text[:found.start()], {}
    for item in text[found.start() + 1:].split(","):
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep:
            raise _fail(f'option "{item}" is not name=value')
        if name == "width":
            dots = WIDTH_ALIASES.get(value.lower()) or (int(value) if value.isdigit() else None)
            if dots is None or dots % 8 or not 256 <= dots <= 1024:
                raise _fail(f'width "{value}" must be 80mm, 58mm or dots (a multiple of 8 from 256 to 1024)')
            opts["width_dots"] = dots
        elif name == "qr":
            if value.lower() not in ("native", "image"):
                raise _fail(f'qr "{value}" must be native or image')
            opts["native_qr"] = value.lower() == "native"
        else:
            raise _fail(f'unknown option "{name}" (options are width and qr)')
    return body, opts


def _network(rest: str) -> dict:
    if rest.startswith("["):
        host, sep, tail = rest[1:].partition("]")
        if not sep:
            raise _fail(f'network: "{rest}" has no closing "]"')
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _fail(f'network: "{host}" is not an IPv6 address') from None
        if tail and not tail.startswith(":"):
            raise _fail(f'network: unexpected "{tail}" after "]"')
        port_text = tail[1:] if tail else None
    else:
        if rest.count(":") > 1:
            raise _fail(f'network: IPv6 address "{rest}" must be in brackets, e.g. network:[{rest}]:9100')
        host, sep, port_text = rest.partition(":")
        port_text = port_text if sep else None
        if not host:
            raise _fail("network: host is missing")
        if not _HOSTNAME.fullmatch(host):
            raise _fail(f'network: "{host}" is not a host name or IP address')
    port = 9100
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise _fail(f'network: port "{port_text}" must be a number from 1 to 65535')
        port = int(port_text)
    return {"host": host, "port": port}


def _serial(rest: str) -> dict:
    device, baud = rest, 9600
    head, sep, tail = rest.rpartition(":")
    if sep and re.fullmatch(r"\d*[A-Za-z]*", tail):  # looks like a baud rate (by-path names do not)
        if not tail.isdigit():
            raise _fail(f'serial: baud rate "{tail}" is not a number')
        device, baud = head, int(tail)
        if baud not in BAUD_RATES:
            raise _fail(f"serial: baud rate {baud} is not a standard rate ({', '.join(map(str, BAUD_RATES))})")
    if not device:
        raise _fail("serial: device is missing, e.g. serial:/dev/ttyUSB0")
    return {"device": device, "baudrate": baud}


def parse_printer_spec(spec: str) -> PrinterSpec:
    """Parse a SPEC; raise PrinterSpecError naming what is wrong and the accepted forms."""
    if not isinstance(spec, str) or not spec.strip():
        raise _fail("printer spec is empty")
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    kind = kind.lower()
    if not sep:
        raise _fail(f'printer spec "{spec}" is not KIND:TARGET')
    if kind not in SPECS:
        raise _fail(f'unknown printer kind "{kind}"')
    rest, opts = _options(rest)
    if not rest:
        raise _fail(f"{kind}: nothing after {kind}:")
    if kind == "usb":
        parts = rest.split(":")
        if len(parts) != 2:
            raise _fail(f'usb: "{rest}" must be VID:PID, e.g. usb:04b8:0202')
        fields = {"vendor_id": _hex_id("vendor", parts[0]), "product_id": _hex_id("product", parts[1])}
    elif kind == "serial":
        fields = _serial(rest)
    elif kind == "network":
        fields = _network(rest)
    elif kind == "cups":
        if re.search(r"[\s/#]", rest) or not rest.isprintable():
            raise _fail(f'cups: queue name "{rest}" may not contain spaces, "/" or "#"')
        fields = {"queue": rest}
    else:  # file, preview
        if "\x00" in rest:
            raise _fail(f"{kind}: path contains a NUL character")
        fields = {"path": rest}
    return SPECS[kind](**fields, **opts)
