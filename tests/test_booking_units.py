"""The pieces hub and sites share for bookings (server/booking): ID numbers, the card's QR, the
signed booking QR and the slots."""
from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from server.booking.ids import IdCard, InvalidIdCard, InvalidIdNumber, id_hash, normalize_id_number, parse_id_card
from server.booking.qr import BadBookingText, new_private_key, public_key_of, read_booking_text, sign_booking
from server.booking.slots import checkin_window, day_slots


def test_id_numbers_are_12_digits_and_kept_only_as_a_keyed_hash():
    assert normalize_id_number(" 001 089 012 345 ") == "001089012345"
    for bad in ("12345678901", "1234567890123", "00108901234a", "", None, 1234, "0" * 12):
        with pytest.raises(InvalidIdNumber):
            normalize_id_number(bad)
    a, b = id_hash("k" * 16, "001089012345"), id_hash("other-key-123456", "001089012345")
    assert a != b and len(a) == 32 and "001089012345" not in a
    assert a == id_hash(b"k" * 16, "001089012345")


def test_the_card_gives_the_number_and_birth_date_and_nothing_else():
    card = parse_id_card("001089012345|123456789|Nguyễn Văn A|15031960|Nam|Phường Phan Đình Phùng, Thái Nguyên|01012021")
    assert card == IdCard("001089012345", date(1960, 3, 15))
    assert card.age_on(date(2020, 3, 14)) == 59 and card.age_on(date(2020, 3, 15)) == 60
    assert "001089012345" not in repr(card) and "Nguyễn" not in repr(card)
    assert parse_id_card("001089012345").birth_date is None
    for bad in ("", "hello", "12345|x", "001089012345||A|31021960", "001089012345||A|1503196", "x" * 2000, None):
        with pytest.raises(InvalidIdCard):
            parse_id_card(bad)


def test_the_hub_signs_and_a_site_verifies_offline():
    private = new_private_key()
    public = public_key_of(private)
    payload = {"c": "12345678", "s": "TN-TT", "v": "STP-LLTP", "d": "2026-12-07", "a": "08:00", "b": "08:30", "k": "booked"}
    text = sign_booking(private, payload)
    got = read_booking_text(text, public)
    assert got.code == "12345678" and got.claim == payload
    assert read_booking_text(" 1234 5678 ", None).code == "12345678" and read_booking_text("12345678", None).claim is None
    other = public_key_of(new_private_key())
    head, body, sig = text.split(".")
    forged = sign_booking(new_private_key(), dict(payload, s="TN-TS"))
    for bad, key in ((text, other), (forged, public), (f"{head}.{body}.{sig[:-2]}AA", public),
                     (f"{head}.{body}", public), (text, None), ("HDB1.!!.??", public), ("1234567", public), ("", public)):
        with pytest.raises(BadBookingText):
            read_booking_text(bad, key)


def test_slots_are_whole_and_check_in_opens_30_minutes_before():
    assert day_slots([(time(7, 30), time(9, 15)), (time(13, 0), time(14, 0))], 30) == [
        (time(7, 30), time(8, 0)), (time(8, 0), time(8, 30)), (time(8, 30), time(9, 0)),
        (time(13, 0), time(13, 30)), (time(13, 30), time(14, 0))]
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    opens, closes = checkin_window(date(2026, 12, 7), time(8, 0), time(8, 30), tz)
    assert (opens.hour, opens.minute, closes.hour, closes.minute) == (7, 30, 8, 30)
