"""Hardening (issue 9, item 6): a long one-word name neither takes quadratic time to lay out
nor stops the server's loop while its ticket is drawn."""
from __future__ import annotations

import sqlite3
import threading

import pytest
import requests

from kiosk.ticket_layout import font, wrap
from tests.centers import TWO_STP_DESKS_AND_CA, center_toml, kiosk
from tests.conftest import bearer
from tests.live_server import start_center


class CountingFont:
    """A font that counts the characters it is asked to measure (the work of a layout)."""

    def __init__(self, f, budget: int):
        self.f, self.measured, self.budget = f, 0, budget

    def getlength(self, text, *args, **kwargs):
        self.measured += len(text)
        if self.measured > self.budget:      # fail at once rather than measure for minutes
            raise AssertionError(f"more than {self.budget} characters measured")
        return self.f.getlength(text, *args, **kwargs)


def measured(text: str, max_w: int = 560) -> tuple[int, list[str]]:
    f = CountingFont(font(26, True), budget=100 * len(text))
    lines = wrap(text, f, max_w)
    return f.measured, lines


@pytest.mark.parametrize("letter", ["Ư", "i", "\u200b"])     # wide, narrow, invisible
def test_wrapping_a_long_word_is_linear_in_its_length(letter):
    small, lines_small = measured(letter * 600)
    big, lines_big = measured(letter * 4800)
    assert "".join(lines_big) == letter * 4800                        # nothing lost
    assert all(font(26, True).getlength(line) <= 560 for line in lines_big)
    assert big <= 8 * small * 1.5, f"8× the text cost {big / small:.1f}× the measuring"


def test_wrapping_many_words_is_linear_too():
    small, _ = measured("Hộ tịch " * 100)
    big, _ = measured("Hộ tịch " * 800)
    assert big <= 8 * small * 1.5, f"8× the text cost {big / small:.1f}× the measuring"


KIOSK = "layout-kiosk-token-1"


@pytest.mark.slow
def test_health_answers_while_a_long_named_ticket_is_drawn(tmp_path):
    toml = center_toml("data/layout.db", desks=TWO_STP_DESKS_AND_CA, kiosks=[kiosk("kiosk-1", KIOSK)],
                       limits={"kiosk_tickets_per_minute": 0})
    with start_center(tmp_path, toml) as live:
        r = requests.post(live.url + "/api/v1/tickets", json={"service": "STP-LLTP"}, headers=bearer(KIOSK), timeout=10)
        assert r.status_code == 201, r.text
        ticket_id = r.json()["ticket"]["id"] if "ticket" in r.json() else r.json()["id"]
        # whatever length the config allows, the database can hold more: name the service in it
        db = sqlite3.connect(live.database, timeout=10)
        with db:
            db.execute("UPDATE services SET name = ? WHERE code = 'STP-LLTP'", ["Ư" * 12_000])
        db.close()
        done = threading.Event()
        result = {}

        def draw():
            try:
                result["png"] = requests.get(live.url + f"/api/v1/tickets/{ticket_id}/ticket.png",
                                             headers=bearer(KIOSK), timeout=120)
            finally:
                done.set()

        threading.Thread(target=draw, daemon=True).start()
        answered_meanwhile = 0
        while not done.is_set():
            try:
                if requests.get(live.url + "/api/v1/health", timeout=2).status_code == 200 and not done.is_set():
                    answered_meanwhile += 1
            except requests.RequestException:
                pass
        assert done.wait(130)
        assert result["png"].status_code == 200 and result["png"].content.startswith(b"\x89PNG")
        assert answered_meanwhile >= 1, "/health was not answered while the ticket was drawn"
