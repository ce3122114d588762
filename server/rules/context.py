"""What every rule needs besides the database: the clock and the center's queue settings."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..clock import Clock
from .estimate import ServiceTimes

PRIORITIES = ("elderly", "disabled", "pregnant", "child", "veteran")


@dataclass(frozen=True)
class RuleContext:
    clock: Clock
    public_url: str
    priority_max_in_row: int = 3
    default_service_s: float = 20 * 60
    kiosk_tickets_per_minute: int = 0          # [limits]; 0 = a kiosk may issue without limit
    opening_hours: object = field(default=None, compare=False)   # the config's OpeningHours (None: always open)
    service_times: ServiceTimes = field(default_factory=ServiceTimes, compare=False)

    def mean_service_s(self, db, service: str) -> float:
        return self.service_times.get(db, service, self.clock.now(), self.default_service_s)

    def status_url(self, ticket_id: int, secret: str) -> str:
        return f"{self.public_url}/t/{ticket_id}?t={secret}"
