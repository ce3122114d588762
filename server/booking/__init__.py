"""Bookings and remote numbers (contract section 7): what hub and sites share, free of Flask.

- ``ids``: the citizen's ID number (12 digits), its keyed hash (the only form ever stored), and
  the chip ID card's QR text (only the number and the birth date are read; nothing else kept);
- ``qr``: the hub's Ed25519 signature on a booking's QR, verified by a site with the hub's public
  key, so check-in works while the site cannot reach the hub;
- ``slots``: a day's slots from opening hours, and the check-in window of a slot.
"""
