"""The ESC/POS job: small, and it prints exactly the rendered ticket."""
from __future__ import annotations


import pytest
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import ImageChops, ImageDraw
from pyzbar import pyzbar

from escpos_decode import DecodeError, decode_job
from kiosk.escpos_job import EscposJob, qr_native, ticket_job
from kiosk.ticket_layout import layout_ticket, render_ticket
from test_ticket_layout import LONG_SERVICE, make_ticket

WIDTHS = (576, 384)
BUSY = dict(service_name="Đăng ký hộ tịch, quốc tịch, chứng thực và lý lịch tư pháp có yếu tố nước ngoài",
            priority_label="Ưu tiên: Người cao tuổi")


def blank_boxes(img, boxes):
    img = img.copy()
    for x, y, w, h in boxes:
        ImageDraw.Draw(img).rectangle((x, y, x + w - 1, y + h - 1), fill=255)
    return img


def same_picture(a, b) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


def test_job_is_small():
    sizes = {width: len(ticket_job(make_ticket(**BUSY), width)) for width in WIDTHS}
    print(f"job bytes per ticket: {sizes}")
    assert sizes[576] < 20_000
    assert sizes[384] < sizes[576]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("fields", [{}, BUSY, {"service_name": LONG_SERVICE, "code": "B1234"}])
def test_job_prints_exactly_the_rendered_ticket(width, fields):
    t = make_ticket(**fields)
    decoded = decode_job(ticket_job(t, width), width)
    lay = layout_ticket(t, width)
    assert decoded.qr_data == [t.status_url]
    assert decoded.qr_boxes == [lay.qr_box]
    assert decoded.cut
    # Pixel-identical everywhere except where the printer draws the QR symbol itself.
    assert same_picture(blank_boxes(decoded.image, decoded.qr_boxes), blank_boxes(lay.image, [lay.qr_box]))


@pytest.mark.parametrize("width", WIDTHS)
def test_raster_qr_fallback_prints_everything_identically(width):
    t = make_ticket(**BUSY)
    job = ticket_job(t, width, native_qr=False)
    decoded = decode_job(job, width)
    assert decoded.qr_data == [] and b"\x1d(k" not in job
    assert same_picture(decoded.image, render_ticket(t, width))
    found = [s.data.decode() for s in pyzbar.decode(decoded.image.convert("L"))]
    assert found == [t.status_url]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_blank_raster_rows_and_bands_are_cropped(width):
    decoded = decode_job(ticket_job(make_ticket(**BUSY), width), width)
    ink = ImageChops.invert(decoded.image)
    assert len(decoded.rasters) > 5
    for x, y, w, h, mode in decoded.rasters:
        step = 2 if mode == 3 else 1
        for row in range(y, y + h, step):
            assert ink.crop((x, row, x + w, row + 1)).getbbox(), f"blank raster row {row}"
        x0, _, x1, _ = ink.crop((x, y, x + w, y + h)).getbbox()
        assert min(x0, w - x1) < 8 * step, f"band at row {y} is not cropped to its ink"


def test_big_code_is_sent_at_half_resolution():
    t = make_ticket()
    decoded = decode_job(ticket_job(t), 576)
    doubled = [r for r in decoded.rasters if r[4] == 3]
    cx, cy, cw, ch = layout_ticket(t).code_box
    assert [(x, y, w, h) for x, y, w, h, _ in doubled] == [(cx, cy, cw, ch)]


def test_native_qr_bytes_match_python_escpos():
    url = "http://127.0.0.1:5000/t/8f3a2c1e"
    d = Dummy()
    d.qr(url, ec=QR_ECLEVEL_M, size=6, native=True)
    assert qr_native(url, 6) == d.output


def test_job_knows_its_name_and_starts_and_ends_right():
    job = ticket_job(make_ticket(code="A 12/3"))
    assert isinstance(job, EscposJob) and isinstance(job, bytes)
    assert job.name == "20261122-083015-A_12_3"
    assert job.startswith(b"\x1b@") and job.endswith(b"\x1dVA\x00")


@pytest.mark.parametrize("bad, words", [
    (b"\x1b@Hello", "unknown command"),
    (b"\x1b@\x1dv0\x00\x02\x00\x05\x00\xff", "cut short"),
    (b"\x1b@\x1dv0\x00\x50\x00\x01\x00" + b"\xff" * 80, "does not fit"),
    (b"\x1b@\x1d(k\x03\x001Q0", "without stored data"),
    (b"\x1b@\x1ba\x07", "justification"),
])
def test_decoder_refuses_what_it_does_not_know(bad, words):
    with pytest.raises(DecodeError, match=words):
        decode_job(bad, 576)


