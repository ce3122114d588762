"""The printed ticket of a booking (issue 13): "Đặt lịch 08:00–08:30" under the code, read back from
the ESC/POS bytes the printer gets (tests/escpos_decode.py), on both paper widths; "Từ xa" for a
remote number; a walk-in's ticket as before."""
from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image, ImageChops

from escpos_decode import decode_job
from kiosk.agent import ticket_print
from kiosk.escpos_job import ticket_job
from kiosk.ticket_layout import _Page, _style, layout_ticket, render_ticket
from server.printing.jobs import source_label
from test_ticket_layout import make_ticket

WIDTHS = (576, 384)
BOOKED = "Đặt lịch 08:00–08:30"


def line_picture(text: str, width: int) -> Image.Image:
    """The line alone, as the ticket draws a source line (the service's size, bold, centred)."""
    s = _style(width)
    page = _Page(width, s)
    page.text(text, s.service, bold=True)
    return page.paint()


def find_line(picture: Image.Image, text: str) -> int | None:
    """The row where ``text`` is printed in ``picture`` (same ink, same place), or None."""
    needle = line_picture(text, picture.width)
    box = ImageChops.invert(needle).getbbox()
    needle = needle.crop(box)
    want = needle.tobytes()
    for y in range(0, picture.height - needle.height + 1):
        if picture.crop((box[0], y, box[2], y + needle.height)).tobytes() == want:
            return y
    return None


def printed(t, width: int) -> Image.Image:
    """What the printer prints: the job's bytes decoded back, the QR drawn as the printer would."""
    return decode_job(ticket_job(t, width), width, draw_qr=True).image


@pytest.mark.parametrize("width", WIDTHS)
def test_a_booked_ticket_prints_its_slot_under_the_code(width):
    t = make_ticket(source_label=BOOKED, priority_label="Ưu tiên: Người cao tuổi")
    texts = [text for _, text in layout_ticket(t, width).texts]
    assert BOOKED in texts
    assert texts.index("A012") < texts.index(BOOKED) < texts.index("Ưu tiên: Người cao tuổi")
    paper = printed(t, width)
    y = find_line(paper, BOOKED)
    assert y is not None, "the booking's line is not in the printed bytes"
    code_y = layout_ticket(t, width).code_box[1]
    assert code_y < y < code_y + 300                                   # right under the big code
    assert find_line(printed(make_ticket(), width), BOOKED) is None    # a walk-in's ticket has none


@pytest.mark.parametrize("width", WIDTHS)
def test_a_remote_number_prints_tu_xa(width):
    paper = printed(make_ticket(source_label="Từ xa"), width)
    assert find_line(paper, "Từ xa") is not None
    assert find_line(paper, BOOKED) is None


def test_the_walk_in_ticket_is_unchanged():
    assert render_ticket(make_ticket()).tobytes() == render_ticket(make_ticket(source_label=None)).tobytes()
    assert render_ticket(make_ticket(source_label=BOOKED)).height > render_ticket(make_ticket()).height


def test_the_print_job_carries_the_line_from_the_ticket():
    """The server's print job (server/printing/jobs.py) says it; the agent prints what it says."""
    assert source_label("booked", "08:00-08:30") == BOOKED        # the tickets' row writes a hyphen
    assert source_label("booked", "08:00–08:30") == BOOKED        # T writes an en dash
    assert source_label("booked", None) == "Đặt lịch"
    assert source_label("remote", None) == "Từ xa"
    assert source_label("walk_in", None) is None and source_label(None, None) is None
    t = make_ticket()
    payload = {"center_name": t.center_name, "priority_label": None, "source_label": BOOKED,
               "ticket": {"code": t.code, "service_name": t.service_name, "agency_name": t.agency_name,
                          "issued_at": t.issued_at.isoformat(), "waiting_ahead": t.waiting_ahead,
                          "estimated_wait_s": t.estimated_wait_s, "status_url": t.status_url,
                          "source": "booked", "slot": "08:00–08:30"}}
    assert ticket_print(payload) == replace(t, source_label=BOOKED)
