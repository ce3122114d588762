"""The printed queue ticket, drawn as a crisp 1-bit picture.

Thermal printers only know Vietnamese through exotic code pages, so the whole
ticket is rendered with Pillow and DejaVu Sans (Debian ``fonts-dejavu-core``)
and printed as raster graphics; see ``kiosk.escpos_job`` for the bytes.

Public API::

    TicketPrint(...)                      # what goes on the ticket
    render_ticket(t, width_dots=576)      # PIL image, mode "1", width == width_dots
    ticket_png(t, width_dots=576)         # the same picture as PNG bytes
    layout_ticket(t, width_dots, draw_qr) # picture + where the code and QR sit (for the encoder)
    qr_matrix(data) / qr_image(data, module)

Paper widths: 576 dots (80 mm paper) and 384 dots (58 mm); any multiple of 8
from 256 to 1024 works. Text is NFC-normalised (DejaVu has every precomposed
Vietnamese letter), drawn without antialiasing, and wrapped by words, so
nothing is ever cut off.

The big ticket code is drawn at half resolution and doubled, so the printer can
receive it at a quarter of the size (``GS v 0`` double width/height mode) and
the printout still matches this picture dot for dot.
"""
from __future__ import annotations

import io
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from server import i18n  # the words of the ticket (ticket.*): the same catalog as every screen

FONT_DIRS = (
    Path(os.environ.get("HANGDOI_FONT_DIR", "/usr/share/fonts/truetype/dejavu")),
    Path(__file__).with_name("fonts"),
)
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
WHITE = 255  # mode "1" pixel values: 0 ink, 255 paper (1 would be stored as 1)
QR_ERROR = qrcode.constants.ERROR_CORRECT_M  # printed natively as ESC/POS level "M"
# Stacked Vietnamese diacritics reach above the font's ascent: measure lines with these.
_TALL, _DEEP = "ẤẦẨẪẬỚỜỞỠỢÁ|", "gjpqyỵỴ|"


class FontMissingError(RuntimeError):
    """The Vietnamese-capable font is not installed."""


@dataclass(frozen=True)
class TicketPrint:
    center_name: str
    agency_name: str
    service_name: str
    code: str
    issued_at: datetime  # aware, center local time
    waiting_ahead: int
    estimated_wait_s: int | None
    status_url: str  # encoded in the QR code
    priority_label: str | None = None  # e.g. "Ưu tiên: Người cao tuổi"
    courtesy: str = i18n.t("ticket.courtesy")
    estimate: dict | None = None  # the ticket's `estimate` (kind, opens_at): "Chưa có quầy mở", ...
    source_label: str | None = None  # a booked or remote ticket: "Đặt lịch 08:00–08:30", "Từ xa"


@dataclass(frozen=True)
class Layout:
    image: Image.Image  # the whole ticket, mode "1"
    code_box: tuple[int, int, int, int]  # x, y, w, h of the doubled code bitmap
    code_half: Image.Image  # the code at half resolution (printed double size)
    qr_box: tuple[int, int, int, int]  # x, y, w, h of the QR symbol (no quiet zone)
    qr_module: int  # dots per QR module
    texts: tuple[tuple[int, str], ...]  # (top y, text) of every line drawn, top to bottom


@dataclass(frozen=True)
class _Style:
    margin: int
    title: int
    agency: int
    service: int
    body: int
    small: int
    code_max_h: int  # cap on the code's ink height (full resolution)
    qr_target: int  # wanted QR side in dots


def _style(width: int) -> _Style:
    if width >= 480:  # 80 mm paper
        return _Style(8, 24, 22, 26, 22, 20, int(width * 0.35), 232)
    return _Style(6, 20, 19, 22, 19, 17, int(width * 0.35), 200)  # 58 mm


@lru_cache(maxsize=None)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (Bold) at ``size`` pixels; FontMissingError names the fix."""
    name = BOLD if bold else REGULAR
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size, layout_engine=ImageFont.Layout.BASIC)
    raise FontMissingError(
        f"font {name} not found in {', '.join(map(str, FONT_DIRS))}: "
        "install it with `apt-get install fonts-dejavu-core` (or set HANGDOI_FONT_DIR)"
    )


@lru_cache(maxsize=None)
def _line_box(f: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """(top, bottom) of any Vietnamese line relative to the draw origin."""
    return f.getbbox(_TALL)[1], f.getbbox(_DEEP)[3]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def wrap(text: str, f: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Greedy word wrap; a word longer than the line is split by characters.

    Linear in the length of ``text``: no string longer than a line can hold is ever measured (a
    line holds at most ``max_w // 2`` characters: no glyph is narrower than 2 dots, and invisible
    ones do not make a line longer than that), and a long word is cut by a binary search over
    that many characters, not by trying one cut after another (a 384-letter service name took
    seconds that way, and ``/health`` waited meanwhile)."""
    most = max(1, max_w // 2)

    def fits(s: str) -> bool:
        return len(s) <= most and f.getlength(s) <= max_w

    lines: list[str] = []
    line = ""
    for word in nfc(text).split(" "):
        trial = f"{line} {word}" if line else word
        if fits(trial):
            line = trial
            continue
        if line:
            lines.append(line)
        line = ""
        while not fits(word):  # a very long word: hard-break it
            lo, hi = 1, min(len(word) - 1, most)   # longest prefix that fits, at least 1 character
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if f.getlength(word[:mid]) <= max_w:
                    lo = mid
                else:
                    hi = mid - 1
            lines.append(word[:lo])
            word = word[lo:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


@lru_cache(maxsize=1024)  # names of centers, agencies, services repeat on every ticket
def balanced_wrap(text: str, f: ImageFont.FreeTypeFont, max_w: int) -> tuple[str, ...]:
    """Word wrap into as few lines as ``wrap`` would, but with lines of even length
    (no lonely last word)."""
    lines = wrap(text, f, max_w)
    if len(lines) < 2:
        return tuple(lines)
    lo, hi = max_w // len(lines), max_w
    while lo < hi:  # narrowest width that still needs no extra line
        mid = (lo + hi) // 2
        if len(wrap(text, f, mid)) <= len(lines):
            hi = mid
        else:
            lo = mid + 1
    return tuple(wrap(text, f, lo))


def wait_text(estimated_wait_s: int | None, estimate: dict | None = None) -> str:
    """The wait line of the ticket: "Thời gian chờ dự kiến: khoảng 31 phút"; ``estimate`` is the
    ticket's ``estimate`` (kind, opens_at) when known ("Chưa có quầy mở")."""
    return i18n.t("ticket.wait", t=i18n.wait(estimated_wait_s, estimate=estimate))


def qr_matrix(data: str) -> list[list[bool]]:
    """Modules of the QR symbol as a printer's native encoder builds it (byte mode, level M)."""
    q = qrcode.QRCode(error_correction=QR_ERROR, border=0, box_size=1)
    q.add_data(data, optimize=0)
    q.make(fit=True)
    return q.get_matrix()


def qr_modules(data: str) -> int:
    """Side of the QR symbol in modules (cheap: no mask evaluation)."""
    q = qrcode.QRCode(error_correction=QR_ERROR, border=0)
    q.add_data(data, optimize=0)
    return q.best_fit() * 4 + 17


def qr_image(data: str, module: int) -> Image.Image:
    m = qr_matrix(data)
    n = len(m)
    small = Image.new("1", (n, n), WHITE)
    small.putdata([0 if dark else WHITE for row in m for dark in row])
    return small.resize((n * module, n * module), Image.Resampling.NEAREST)


def qr_module_size(n_modules: int, target: int) -> int:
    """Dots per module for a symbol about ``target`` dots wide: 3..8."""
    return max(3, min(8, target // n_modules))


class _Page:
    """Collects drawing operations top to bottom, then paints them on one image."""

    def __init__(self, width: int, style: _Style):
        self.w, self.s, self.y = width, style, 0
        self.ops: list[tuple] = []

    def gap(self, dots: int) -> None:
        self.y += dots

    def text(self, text: str, size: int, bold: bool = False, inverse: bool = False) -> None:
        """Centered, word-wrapped lines; ``inverse`` prints white on a black box."""
        f = font(size, bold)
        top, bottom = _line_box(f)
        pad = size // 3 if inverse else 0
        for line in balanced_wrap(text, f, self.w - 2 * self.s.margin - 2 * pad):
            self.ops.append(("text", self.y + pad, line, f, inverse, pad))
            self.y += bottom - top + 2 * pad + (0 if inverse else max(2, size // 5))
        if inverse:
            self.y += max(2, size // 5)

    def rule(self, length: int) -> None:
        self.ops.append(("rule", self.y, length))
        self.y += 2

    def box(self, w: int, h: int, picture: Image.Image | None, label: str = "") -> tuple[int, int, int, int]:
        """Reserve a centered w×h area (and paste ``picture`` there unless None)."""
        x, y = (self.w - w) // 2, self.y
        self.ops.append(("box", y, x, picture, label))
        self.y += h
        return x, y, w, h

    def paint(self) -> Image.Image:
        img = Image.new("1", (self.w, self.y), WHITE)
        draw = ImageDraw.Draw(img)
        for kind, y, *rest in self.ops:
            if kind == "text":
                line, f, inverse, pad = rest
                top, bottom = _line_box(f)
                left, _, right, _ = f.getbbox(line)
                x = (self.w - (right - left)) // 2 - left
                if inverse:
                    draw.rectangle((x + left - pad, y - pad, x + right + pad - 1, y + bottom - top + pad - 1), fill=0)
                draw.text((x, y - top), line, font=f, fill=WHITE if inverse else 0)
            elif kind == "rule":
                x = (self.w - rest[0]) // 2
                draw.rectangle((x, y, x + rest[0] - 1, y + 1), fill=0)
            elif rest[1] is not None:  # a bitmap: the code or the QR symbol
                img.paste(rest[1], (rest[0], y))
        return img


def _code_half(code: str, width: int, style: _Style) -> Image.Image:
    """The ticket code, as wide as the paper allows, at half resolution."""
    avail, max_h = (width - 2 * style.margin) // 2, style.code_max_h // 2
    ref = font(100, True).getbbox(code)
    size = int(100 * min(avail / max(1, ref[2] - ref[0]), max_h / max(1, ref[3] - ref[1])))
    while size > 8:
        left, top, right, bottom = font(size, True).getbbox(code)
        if right - left <= avail and bottom - top <= max_h:
            break
        size -= 1
    f = font(size, True)
    left, top, right, bottom = f.getbbox(code)
    w = -(-(right - left) // 8) * 8
    img = Image.new("1", (w, bottom - top), WHITE)
    ImageDraw.Draw(img).text(((w - (right - left)) // 2 - left, -top), code, font=f, fill=0)
    return img


def layout_ticket(t: TicketPrint, width_dots: int = 576, draw_qr: bool = True) -> Layout:
    """The ticket picture and the places of its code and QR symbol.

    ``draw_qr=False`` leaves the QR area blank (the printer draws it natively).
    """
    if width_dots % 8 or not 256 <= width_dots <= 1024:
        raise ValueError(f"width_dots must be a multiple of 8 between 256 and 1024, not {width_dots}")
    if not t.code.strip():
        raise ValueError("the ticket code is empty")
    s = _style(width_dots)
    p = _Page(width_dots, s)
    p.gap(4)
    p.text(nfc(t.center_name).upper(), s.title, bold=True)
    p.text(t.agency_name, s.agency)
    p.gap(6)
    p.rule(width_dots // 3)
    p.gap(10)
    p.text(t.service_name, s.service, bold=True)
    p.gap(4)
    p.text(i18n.t("ticket.number"), s.small)
    p.gap(8)
    half = _code_half(nfc(t.code), width_dots, s)
    big = half.resize((half.width * 2, half.height * 2), Image.Resampling.NEAREST)
    code_box = p.box(big.width, big.height, big, label=nfc(t.code))
    p.gap(16)
    if t.source_label:
        p.text(t.source_label, s.service, bold=True)
        p.gap(6)
    if t.priority_label:
        p.text(t.priority_label, s.body, bold=True, inverse=True)
        p.gap(6)
    p.text(i18n.t("ticket.ahead", n=t.waiting_ahead), s.body)
    p.text(wait_text(t.estimated_wait_s, t.estimate), s.body)
    p.text(i18n.t("ticket.issued_at", date=i18n.date(t.issued_at), time=f"{t.issued_at:%H:%M}"), s.body)
    n = qr_modules(t.status_url)
    module = qr_module_size(n, s.qr_target)
    p.gap(4 * module)  # quiet zone
    qr = qr_image(t.status_url, module) if draw_qr else None
    qr_box = p.box(n * module, n * module, qr)
    p.gap(3 * module)
    p.text(i18n.t("ticket.scan"), s.small)
    p.gap(4)
    p.text(t.courtesy, s.small)
    p.gap(8)
    texts = tuple((op[1], op[2] if op[0] == "text" else op[4]) for op in p.ops
                  if op[0] == "text" or op[0] == "box" and op[4])
    return Layout(p.paint(), code_box, half, qr_box, module, texts)


def render_ticket(t: TicketPrint, width_dots: int = 576) -> Image.Image:
    """The whole ticket as a 1-bit picture exactly ``width_dots`` wide."""
    return layout_ticket(t, width_dots).image


def ticket_png(t: TicketPrint, width_dots: int = 576) -> bytes:
    buf = io.BytesIO()
    render_ticket(t, width_dots).save(buf, "PNG")
    return buf.getvalue()
