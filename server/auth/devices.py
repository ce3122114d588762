"""Device tokens from the config (kiosks, displays), found in constant time."""
from __future__ import annotations

import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    id: str
    kind: str            # "kiosk" | "display"
    name: str
    display_kind: str | None = None
    desk: int | None = None
    audio: bool = False


class DeviceRegistry:
    def __init__(self, config):
        self._devices = [(k.token.encode(), Device(k.id, "kiosk", k.name)) for k in config.kiosks]
        self._devices += [(d.token.encode(), Device(d.id, "display", d.name, d.kind, d.desk, d.audio))
                          for d in config.displays]

    def find(self, token: str) -> Device | None:
        """Compare against every token, always all of them, so timing tells nothing."""
        given = token.encode("utf-8", "replace")
        found = None
        for expected, device in self._devices:
            if hmac.compare_digest(given, expected):
                found = device
        return found

    def by_id(self, device_id: str) -> Device | None:
        return next((d for _, d in self._devices if d.id == device_id), None)
