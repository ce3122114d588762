"""Signed, expiring access tokens, and the server's secret key kept in the database.

The key lives in the database so that every server process of one installation signs and
checks tokens alike, and a restart does not sign everybody out.
"""
from __future__ import annotations

import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..storage import Storage, get_setting


def secret_key(storage: Storage) -> str:
    with storage.write() as db:
        key = get_setting(db, "secret_key")
        if key:
            return key
        key = secrets.token_urlsafe(48)
        db.execute("INSERT INTO settings (key, value) VALUES ('secret_key', ?)", [key])
        return key


class TokenSigner:
    def __init__(self, key: str, ttl_s: float):
        self._serializer = URLSafeTimedSerializer(key, salt="hangdoi-access-token")
        self.ttl_s = ttl_s

    def issue(self, user_id: int, token_version: int) -> str:
        return self._serializer.dumps({"u": user_id, "v": token_version})

    def verify(self, token: str) -> tuple[int, int] | None:
        """(user id, token version), or None for a forged, malformed or expired token."""
        try:
            data = self._serializer.loads(token, max_age=self.ttl_s)
            return int(data["u"]), int(data["v"])
        except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
            return None
