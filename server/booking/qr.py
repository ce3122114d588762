"""The booking's QR: ``HDB1.<payload>.<signature>``, base64url, signed by the hub with Ed25519.

The payload is the booking as the site needs it to check it in on its own: ``{"c": code,
"s": site, "v": service, "d": "YYYY-MM-DD", "a": "08:00" | null, "b": "08:30" | null,
"k": "booked" | "remote"}``. A site holds the hub's public key (sent with every ingest answer)
and verifies the signature; nothing personal is in it. A typed code (8 digits) is the same
booking found by its code in the copy of its bookings the hub sent the site.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "HDB1."
CODE = re.compile(r"^\d{8}$")
MAX_TEXT = 1000


class BadBookingText(ValueError):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A new signing key, its 32 raw bytes as base64url (kept in the hub's database)."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return _b64(raw)


def public_key_of(private_b64: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.from_private_bytes(_unb64(private_b64))
    return _b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def sign_booking(private_b64: str, payload: dict) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    signature = Ed25519PrivateKey.from_private_bytes(_unb64(private_b64)).sign(body)
    return f"{PREFIX}{_b64(body)}.{_b64(signature)}"


@dataclass(frozen=True)
class BookingText:
    code: str
    claim: dict | None = None          # the signed payload, when the text was the QR


def normalize_code(text: str) -> str | None:
    digits = re.sub(r"[\s\-]", "", text)
    return digits if CODE.match(digits) else None


def read_booking_text(text: object, public_key_b64: str | None) -> BookingText:
    """What the kiosk's scanner or keypad gave: the QR (verified) or a typed code."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise BadBookingText("the booking's code or QR could not be read")
    text = text.strip()
    if not text.startswith(PREFIX):
        code = normalize_code(text)
        if code is None:
            raise BadBookingText("a booking's code has 8 digits")
        return BookingText(code)
    if not public_key_b64:
        raise BadBookingText("this site has not received the hub's key yet: type the booking's 8-digit code")
    try:
        body_b64, sig_b64 = text[len(PREFIX):].split(".")
        body, signature = _unb64(body_b64), _unb64(sig_b64)
        Ed25519PublicKey.from_public_bytes(_unb64(public_key_b64)).verify(signature, body)
        claim = json.loads(body)
    except (ValueError, InvalidSignature, TypeError):
        raise BadBookingText("the booking's QR is not one the province's hub signed") from None
    if not isinstance(claim, dict) or not isinstance(claim.get("c"), str) or not CODE.match(claim["c"]):
        raise BadBookingText("the booking's QR is not one the province's hub signed")
    return BookingText(claim["c"], claim)
