"""The citizen's ID number (số định danh cá nhân, the 12 digits of the CCCD) and the ID card's QR.

Decree 13/2023/NĐ-CP: an ID number is kept only as ``id_hash`` — an HMAC-SHA256 with a secret of
the installation, the same at the hub and every site, so that the province can count a person's
tickets without anyone holding the number. The card's QR also carries the name, sex and address:
``parse_id_card`` reads the number and the birth date and drops the rest at once.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

ID_NUMBER = re.compile(r"^\d{12}$")


class InvalidIdNumber(ValueError):
    pass


class InvalidIdCard(ValueError):
    pass


def normalize_id_number(text: object) -> str:
    """The 12 digits, spaces and dots a person may type removed; InvalidIdNumber otherwise."""
    if not isinstance(text, str):
        raise InvalidIdNumber("the ID number must be text of 12 digits")
    digits = re.sub(r"[\s.\-]", "", text)
    if not ID_NUMBER.match(digits):
        raise InvalidIdNumber("the ID number (số định danh cá nhân) has 12 digits")
    if digits == "0" * 12:
        raise InvalidIdNumber("the ID number (số định danh cá nhân) has 12 digits")
    return digits


def id_hash(key: str | bytes, id_number: str) -> str:
    """The keyed hash kept in place of the number (32 hex characters, 128 bits)."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise ValueError("an empty id_hash_key")
    return hmac.new(key, b"hangdoi-id:" + id_number.encode("ascii"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class IdCard:
    id_number: str
    birth_date: date | None

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def __repr__(self) -> str:             # never the number in a log or a traceback
        return "IdCard(<hidden>)"


MAX_CARD_TEXT = 1000


def parse_id_card(text: object) -> IdCard:
    """``ID|old ID|name|ddmmyyyy|sex|address|issue date`` (fields may be fewer) as the kiosk's 2D
    scanner reads the CCCD's QR. The number must be 12 digits; a birth date that is there must be
    a real date; the name, sex and address are never looked at."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CARD_TEXT:
        raise InvalidIdCard("the ID card's QR could not be read")
    fields = [f.strip() for f in text.strip().split("|")]
    try:
        number = normalize_id_number(fields[0])
    except InvalidIdNumber:
        raise InvalidIdCard("the ID card's QR does not start with a 12-digit ID number") from None
    birth = None
    if len(fields) > 3 and fields[3]:
        raw = fields[3]
        if not re.fullmatch(r"\d{8}", raw):
            raise InvalidIdCard("the ID card's birth date is not ddmmyyyy")
        try:
            birth = date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
        except ValueError:
            raise InvalidIdCard("the ID card's birth date is not a real date") from None
        if birth.year < 1900:
            raise InvalidIdCard("the ID card's birth date is not a real date")
    return IdCard(number, birth)
