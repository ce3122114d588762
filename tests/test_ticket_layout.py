"""The ticket picture: Vietnamese glyphs, both paper widths, wrapping, QR, the big code."""
from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageDraw
from pyzbar import pyzbar

from kiosk.ticket_layout import (
    TicketPrint,
    font,
    layout_ticket,
    render_ticket,
    ticket_png,
    wait_text,
    wrap,
)

WIDTHS = (576, 384)
VIETNAMESE = ("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯàáâãèéêìíòóôõùúýăđĩũơư"
              + "".join(chr(c) for c in range(0x1EA0, 0x1EFA)))  # Ạ ... ỹ: every tone on every vowel
NOTDEF = "\U000F0000"  # a private-use code point: no font has it, so it is drawn as .notdef
LONG_SERVICE = ("Đăng ký hộ tịch, quốc tịch, chứng thực bản sao từ bản chính, chữ ký và hợp đồng giao dịch "
                "có yếu tố nước ngoài theo Nghị-định-số-23/2015/NĐ-CP-về-chứng-thực-bản-sao")


def make_ticket(**changes) -> TicketPrint:
    t = TicketPrint(
        center_name="Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên",
        agency_name="Sở Tư pháp",
        service_name="Lý lịch tư pháp",
        code="A012",
        issued_at=datetime(2026, 11, 22, 8, 30, 15, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        waiting_ahead=12,
        estimated_wait_s=1860,
        status_url="http://127.0.0.1:5000/t/8f3a2c1e-7b4d-4e2a-9c1f-2b3d4e5f6a7b",
    )
    return replace(t, **changes)


def glyph(ch: str, bold: bool = False) -> bytes:
    img = Image.new("1", (60, 60), 255)
    ImageDraw.Draw(img).text((10, 10), ch, font=font(32, bold), fill=0)
    return img.tobytes()


@pytest.mark.parametrize("bold", [False, True])
def test_every_vietnamese_letter_has_a_real_glyph(bold):
    notdef = glyph(NOTDEF, bold)
    missing = [ch for ch in VIETNAMESE if glyph(ch, bold) == notdef]
    assert not missing, f"drawn as the .notdef box: {''.join(missing)}"


def test_diacritics_change_the_ink():
    pairs = [("Đ", "D"), ("ă", "a"), ("ị", "i"), ("ố", "o"), ("ữ", "u"), ("ỷ", "y")]
    assert all(glyph(a) != glyph(b) for a, b in pairs)
    plain = "Dang ky ho tich, quoc tich"
    accented = "Đăng ký hộ tịch, quốc tịch"
    assert render_ticket(make_ticket(service_name=accented)).tobytes() != \
        render_ticket(make_ticket(service_name=plain)).tobytes()


def test_decomposed_text_is_normalised_to_precomposed_glyphs():
    nfc = "Đăng ký hộ tịch, quốc tịch"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    a = render_ticket(make_ticket(service_name=nfc))
    b = render_ticket(make_ticket(service_name=nfd))
    assert a.tobytes() == b.tobytes()


def test_lines_are_in_the_agreed_order():
    t = make_ticket(priority_label="Ưu tiên: Người cao tuổi", waiting_ahead=7, estimated_wait_s=None)
    texts = [text for _, text in layout_ticket(t).texts]
    wanted = ["TRUNG TÂM", "Sở Tư pháp", "Lý lịch tư pháp", "A012", "Ưu tiên: Người cao tuổi",
              "Số người đang chờ trước quý khách: 7", "Thời gian chờ dự kiến: Chưa có quầy mở",
              "22/11/2026 08:30", "Quét mã để theo dõi lượt của quý khách", "Xin cảm ơn quý khách!"]
    positions = [next(i for i, text in enumerate(texts) if w in text) for w in wanted]
    assert positions == sorted(positions), texts
    ys = [y for y, _ in layout_ticket(t).texts]
    assert ys == sorted(ys)
    assert not any(" bạn" in text for text in texts), texts      # visitors are "quý khách" everywhere


@pytest.mark.parametrize("seconds, words", [
    (None, "Chưa có quầy mở"), (20, "dưới 1 phút"), (1860, "khoảng 31 phút"),
    (5400, "khoảng 1 giờ 30 phút"), (7200, "khoảng 2 giờ"),
])
def test_wait_wording(seconds, words):
    assert wait_text(seconds) == f"Thời gian chờ dự kiến: {words}"


@pytest.mark.parametrize("width", WIDTHS)
def test_width_is_exact_and_nothing_is_cut_off(width):
    short = render_ticket(make_ticket(), width)
    long = render_ticket(make_ticket(service_name=LONG_SERVICE, center_name="Trung tâm " * 12,
                                     priority_label="Ưu tiên: Phụ nữ có thai, người khuyết tật"), width)
    for img in (short, long):
        assert img.mode == "1" and img.width == width
        ink = ImageChops.invert(img).getbbox()
        assert ink[0] >= 4 and ink[2] <= width - 4, f"ink touches the paper edge: {ink}"
        assert ink[1] > 0 and ink[3] < img.height, "ink touches the top or bottom"
    assert long.height > short.height + 100  # the long names wrapped onto more lines


def test_wrap_keeps_every_word_and_fits():
    f = font(22)
    for max_w in (200, 360, 560):
        lines = wrap(LONG_SERVICE, f, max_w)
        assert all(f.getlength(line) <= max_w for line in lines)
        assert "".join(lines).replace(" ", "") == LONG_SERVICE.replace(" ", "")
        assert len(lines) > 1


@pytest.mark.parametrize("width", WIDTHS)
def test_qr_in_png_decodes_to_status_url(width):
    t = make_ticket(status_url="http://127.0.0.1:5000/t/01JD3Q8Z7X5K2M9N4P6R8S0T2V?site=tn")
    img = Image.open(io.BytesIO(ticket_png(t, width)))
    assert img.width == width
    found = [s.data.decode() for s in pyzbar.decode(img.convert("L")) if s.type == "QRCODE"]
    assert found == [t.status_url]


def ink_bands(img: Image.Image) -> list[tuple[int, int]]:
    ink = ImageChops.invert(img)
    bands, start = [], None
    for y in range(img.height + 1):
        has = y < img.height and ink.crop((0, y, img.width, y + 1)).getbbox() is not None
        if has and start is None:
            start = y
        elif not has and start is not None:
            bands.append((start, y))
            start = None
    return bands


@pytest.mark.parametrize("width", WIDTHS)
def test_code_is_the_tallest_text_and_fills_the_width(width):
    lay = layout_ticket(make_ticket(priority_label="Ưu tiên: Người cao tuổi"), width)
    _, qy, _, qh = lay.qr_box
    bands = [(a, b) for a, b in ink_bands(lay.image) if b <= qy or a >= qy + qh]  # all text, no QR
    tallest = max(bands, key=lambda band: band[1] - band[0])
    cx, cy, cw, ch = lay.code_box
    assert tallest == (cy, cy + ch)
    others = [b - a for a, b in bands if (a, b) != tallest]
    assert ch > 2.5 * max(others)
    code_ink = ImageChops.invert(lay.image.crop((0, cy, width, cy + ch))).getbbox()
    assert code_ink[2] - code_ink[0] > 0.85 * width  # as large as the paper allows


def test_short_code_is_capped_in_height_not_absurd():
    lay = layout_ticket(make_ticket(code="A1"), 576)
    assert lay.code_box[3] <= 0.36 * 576




def test_bad_width_is_refused():
    with pytest.raises(ValueError, match="multiple of 8"):
        render_ticket(make_ticket(), 500)


def test_missing_font_names_the_debian_package(tmp_path, monkeypatch):
    import kiosk.ticket_layout as layout

    monkeypatch.setattr(layout, "FONT_DIRS", (tmp_path,))
    layout.font.cache_clear()
    try:
        with pytest.raises(layout.FontMissingError, match="apt-get install fonts-dejavu-core"):
            render_ticket(make_ticket())
    finally:
        layout.font.cache_clear()
