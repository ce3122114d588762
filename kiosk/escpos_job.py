"""One ticket as the ESC/POS byte stream a thermal printer prints.

The bytes are written by hand rather than through python-escpos' ``Dummy``
printer: seven small commands, no printer profile, no warnings, and every byte
is ours to decode again (``kiosk.escpos_decode``). A test checks that our QR
commands equal what python-escpos' ``qr(..., native=True)`` sends.

Commands used::

    ESC @                   initialise
    GS P 203 203            motion unit = 1/203 inch, i.e. one dot of a 203 dpi printer
                            (Epson's default vertical unit is half a dot, clones' one dot)
    ESC a n                 justification: 0 left, 1 centre, 2 right (sent only when it changes)
    GS v 0 m xL xH yL yH d  raster band; m=0 normal, m=3 double width and height (the big code)
    ESC J n                 feed n dots: blank runs of the picture are never sent as raster
    GS ( k ...              native QR code: model 2, module size, level M, store, print
    GS V 65 0               feed to the cutter and cut

How the picture from ``kiosk.ticket_layout`` becomes bytes: rows without ink
become feeds; each run of inked rows is one raster band, cropped to its ink
(a centred window whose width is a multiple of 8, or left/right aligned when
that is narrower); the code is sent at half resolution in double mode; the QR
symbol is drawn by the printer from the URL (``native_qr=False`` rasterises it
instead, for printers without ``GS ( k``).
"""
from __future__ import annotations

from PIL import Image, ImageChops

from .ticket_layout import TicketPrint, layout_ticket

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
MOTION_UNIT_DOTS = GS + b"P" + bytes([203, 203])
CUT = GS + b"V" + bytes([65, 0])
MAX_BAND_ROWS = 255  # keep single raster commands small for printers with small buffers
LEFT, CENTER, RIGHT = 0, 1, 2


class EscposJob(bytes):
    """The job bytes, plus ``name`` (e.g. ``20261122-083015-A012``) for files and logs."""

    name: str = ""

    def __new__(cls, data: bytes, name: str = ""):
        job = super().__new__(cls, data)
        job.name = name
        return job


def job_name(t: TicketPrint) -> str:
    code = "".join(c if c.isalnum() or c in "-_" else "_" for c in t.code) or "ticket"
    return f"{t.issued_at:%Y%m%d-%H%M%S}-{code}"


def feed(dots: int) -> bytes:
    out = b""
    while dots > 0:
        out += ESC + b"J" + bytes([min(dots, 255)])
        dots -= 255
    return out


def raster(img: Image.Image, double: bool = False) -> bytes:
    """``GS v 0`` for a mode "1" picture (its width a multiple of 8); ink = 1 bits."""
    if img.width % 8:
        raise ValueError("raster width must be a multiple of 8")
    data = ImageChops.invert(img).tobytes()
    head = GS + b"v0" + bytes([3 if double else 0])
    return head + (img.width // 8).to_bytes(2, "little") + img.height.to_bytes(2, "little") + data


def qr_native(data: str, module: int) -> bytes:
    """``GS ( k``: QR model 2, ``module`` dots per module, error correction M, print."""

    def fn(code: int, params: bytes) -> bytes:
        return GS + b"(k" + (len(params) + 2).to_bytes(2, "little") + b"1" + bytes([code]) + params

    return (fn(65, bytes([50, 0])) + fn(67, bytes([module])) + fn(69, bytes([49]))
            + fn(80, b"0" + data.encode("utf-8")) + fn(81, b"0"))


def _window(x0: int, x1: int, width: int) -> tuple[int, int, int]:
    """Narrowest byte-wide window holding ink columns [x0, x1): (align, left, right)."""
    half = -(-max(width // 2 - x0, x1 - width // 2) // 4) * 4
    options = [
        (2 * half, CENTER, width // 2 - half, width // 2 + half),
        (-(-x1 // 8) * 8, LEFT, 0, -(-x1 // 8) * 8),
        (-(-(width - x0) // 8) * 8, RIGHT, width - -(-(width - x0) // 8) * 8, width),
    ]
    _, align, left, right = min(options, key=lambda o: (o[0], o[1] != CENTER))
    return align, left, right


class _Writer:
    def __init__(self, width: int):
        self.out = bytearray(INIT + MOTION_UNIT_DOTS)
        self.width, self.align, self.pending = width, LEFT, 0

    def _flush(self, align: int) -> None:
        self.out += feed(self.pending)
        self.pending = 0
        if align != self.align:
            self.out += ESC + b"a" + bytes([align])
            self.align = align

    def picture(self, img: Image.Image, top: int, bottom: int) -> None:
        """Rows [top, bottom) of the full-width ticket picture: feeds and cropped bands."""
        ink = ImageChops.invert(img.crop((0, top, self.width, bottom)))
        stride = self.width // 8
        rows = ink.tobytes()
        blank = bytes(stride)
        y = 0
        while y < bottom - top:
            if rows[y * stride:(y + 1) * stride] == blank:
                self.pending += 1
                y += 1
                continue
            end = y
            while end < bottom - top and end - y < MAX_BAND_ROWS and rows[end * stride:(end + 1) * stride] != blank:
                end += 1
            x0, _, x1, _ = ink.crop((0, y, self.width, end)).getbbox()
            align, left, right = _window(x0, x1, self.width)
            self._flush(align)
            self.out += raster(img.crop((left, top + y, right, top + end)))
            y = end

    def double(self, half: Image.Image) -> None:
        self._flush(CENTER)
        self.out += raster(half, double=True)

    def qr(self, data: str, module: int) -> None:
        self._flush(CENTER)
        self.out += qr_native(data, module)

    def finish(self) -> bytes:
        self._flush(self.align)
        return bytes(self.out + CUT)


def ticket_job(t: TicketPrint, width_dots: int = 576, native_qr: bool = True) -> EscposJob:
    """ESC/POS bytes printing ``render_ticket(t, width_dots)`` (QR natively unless told not to)."""
    lay = layout_ticket(t, width_dots, draw_qr=not native_qr)
    w = _Writer(width_dots)
    cx, cy, _, ch = lay.code_box
    w.picture(lay.image, 0, cy)
    w.double(lay.code_half)
    y = cy + ch
    if native_qr:
        _, qy, _, qh = lay.qr_box
        w.picture(lay.image, y, qy)
        w.qr(t.status_url, lay.qr_module)
        y = qy + qh
    w.picture(lay.image, y, lay.image.height)
    return EscposJob(w.finish(), job_name(t))
