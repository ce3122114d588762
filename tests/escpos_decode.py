"""Test helper: read an ESC/POS job back into a picture.

``decode_job(data, width_dots) -> DecodedTicket(image, qr_data, cut, qr_boxes, rasters)``
understands exactly the subset ``kiosk.escpos_job`` writes (ESC @, GS P, ESC a,
ESC J, GS v 0, GS ( k QR, GS V) and raises ``DecodeError`` on anything else.
The decoding core lives in ``kiosk/escpos_decode.py`` because the
``preview:DIR`` printer needs it too; this module is the tests' entry point.
"""
from kiosk.escpos_decode import DecodedTicket, DecodeError, decode_job

__all__ = ["DecodedTicket", "DecodeError", "decode_job"]
