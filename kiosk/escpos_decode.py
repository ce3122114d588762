"""Read back the ESC/POS subset that ``kiosk.escpos_job`` writes, as a picture.

Used by the ``preview:DIR`` printer (PNG files for demos and tests) and by the
tests, which check that a job prints exactly what ``render_ticket`` drew.
Understood: ``ESC @``, ``GS P``, ``ESC a``, ``ESC J``, ``GS v 0`` (all four
sizes), ``GS ( k`` QR model 2 and ``GS V`` cuts. Anything else raises
``DecodeError`` naming the offset: a printer would misprint it, so must we.

A native QR code becomes a placeholder box of the size the printer draws
(``qr_boxes``), and its data string is returned in ``qr_data``;
``draw_qr=True`` draws the real symbol there instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageDraw

from .ticket_layout import WHITE, qr_image, qr_modules

DOTS_PER_INCH = 203


class DecodeError(ValueError):
    """The bytes are not in the ESC/POS subset we print."""


@dataclass
class DecodedTicket:
    image: Image.Image  # mode "1", width_dots wide, as long as the paper fed
    qr_data: list[str]
    cut: bool
    qr_boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # x, y, w, h
    rasters: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # x, y, w, h, GS v 0 mode


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DecodeError(f"command at offset {self.pos} is cut short (needs {n} more bytes)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def word(self) -> int:
        return int.from_bytes(self.take(2), "little")


def decode_job(data: bytes, width_dots: int = 576, draw_qr: bool = False) -> DecodedTicket:
    """The paper a printer would produce from ``data``; DecodeError for anything unknown."""
    r = _Reader(bytes(data))
    pieces: list[tuple[int, int, Image.Image]] = []
    qr_boxes: list[tuple[int, int, int, int]] = []
    qr_data: list[str] = []
    rasters: list[tuple[int, int, int, int, int]] = []
    y, align, unit, cut = 0, 0, 1.0, False
    qr = {"module": 3, "stored": None}

    def x_for(w: int) -> int:
        if w > width_dots:
            raise DecodeError(f"{w} dots wide does not fit on {width_dots}-dot paper")
        return (0, (width_dots - w) // 2, width_dots - w)[align]

    while r.pos < len(r.data):
        start = r.pos
        cmd = r.take(2)
        if cmd == b"\x1b@":
            align, unit = 0, 1.0
        elif cmd == b"\x1dP":
            _, vy = r.byte(), r.byte()
            unit = DOTS_PER_INCH / vy if vy else 1.0
        elif cmd == b"\x1ba":
            n = r.byte()
            if n not in (0, 1, 2, 48, 49, 50):
                raise DecodeError(f"ESC a {n} at offset {start}: bad justification")
            align = n % 48
        elif cmd == b"\x1bJ":
            y += round(r.byte() * unit)
        elif cmd == b"\x1dv":
            if r.byte() != 48:
                raise DecodeError(f"GS v at offset {start} is not GS v 0")
            m = r.byte()
            if m % 48 > 3:
                raise DecodeError(f"GS v 0 mode {m} at offset {start}")
            xbytes, rows = r.word(), r.word()
            band = ImageChops.invert(Image.frombytes("1", (xbytes * 8, rows), r.take(xbytes * rows)))
            sx, sy = (2 if m % 48 in (1, 3) else 1), (2 if m % 48 in (2, 3) else 1)
            if (sx, sy) != (1, 1):
                band = band.resize((band.width * sx, band.height * sy), Image.Resampling.NEAREST)
            pieces.append((x_for(band.width), y, band))
            rasters.append((pieces[-1][0], y, band.width, band.height, m % 48))
            y += band.height
        elif cmd == b"\x1d(":
            if r.take(1) != b"k":
                raise DecodeError(f"GS ( at offset {start} is not GS ( k")
            params = r.take(r.word())
            if len(params) < 2 or params[0] != 49:
                raise DecodeError(f"GS ( k at offset {start}: only QR codes (cn=49) are printed")
            fn, rest = params[1], params[2:]
            if fn == 65 and rest[:1] != b"2":
                raise DecodeError(f"QR model {rest[:1]!r} at offset {start}: only model 2")
            elif fn == 67:
                qr["module"] = rest[0]
            elif fn == 69 and rest != b"1":
                raise DecodeError(f"QR error correction {rest!r} at offset {start}: only level M")
            elif fn == 80:
                qr["stored"] = rest[1:].decode("utf-8")
            elif fn == 81:
                if qr["stored"] is None:
                    raise DecodeError(f"QR print at offset {start} without stored data")
                side = qr_modules(qr["stored"]) * qr["module"]
                box = (x_for(side), y, side, side)
                qr_boxes.append(box)
                qr_data.append(qr["stored"])
                pieces.append((box[0], y, _qr_picture(qr["stored"], qr["module"], side, draw_qr)))
                y += side
            elif fn not in (65, 69):
                raise DecodeError(f"GS ( k function {fn} at offset {start}")
        elif cmd == b"\x1dV":
            m = r.byte()
            if m in (65, 66):
                y += round(r.byte() * unit)
            elif m not in (0, 1, 48, 49):
                raise DecodeError(f"GS V {m} at offset {start}")
            cut = True
        else:
            raise DecodeError(f"unknown command {r.data[start:start + 4].hex(' ')} at offset {start}")

    image = Image.new("1", (width_dots, y), WHITE)
    for x, top, piece in pieces:
        image.paste(piece, (x, top))
    return DecodedTicket(image, qr_data, cut, qr_boxes, rasters)


def _qr_picture(data: str, module: int, side: int, real: bool) -> Image.Image:
    if real:
        return qr_image(data, module)
    box = Image.new("1", (side, side), WHITE)
    draw = ImageDraw.Draw(box)
    draw.rectangle((0, 0, side - 1, side - 1), outline=0, width=2)
    draw.line((0, 0, side - 1, side - 1), fill=0)
    draw.line((0, side - 1, side - 1, 0), fill=0)
    return box
