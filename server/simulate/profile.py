"""The day being replayed: when visitors come, what they come for, how long each service takes.

Everything here is plain data and arithmetic over a ``random.Random`` (no server, no clock), so a
seed gives the same day every time and the tests can check the shape of it.

Times of day are *simulated* seconds since local midnight (``7.5 * 3600`` is 07:30).

The arrival profile is piecewise constant: a relative intensity per half hour, highest right after
opening (the burst of 150–250 tickets in the first hour reported by centers), a dip over the lunch
break (11:30–13:30, when most desks pause), a smaller second peak when the afternoon opens, and a
slow end. ``arrival_times`` draws exactly N arrivals from it: the order statistics of N independent
draws from that density, which is what a Poisson process conditioned on N arrivals looks like.
"""
from __future__ import annotations

import bisect
import hashlib
import math
import random
from dataclasses import dataclass, field

# (start, end, relative intensity) over the working day; outside these the intensity is 0.
DEFAULT_PROFILE: tuple[tuple[str, str, float], ...] = (
    ("07:00", "07:30", 0.6),     # people waiting for the doors (only counts if --hours starts earlier)
    ("07:30", "08:00", 3.0),     # the burst after opening
    ("08:00", "08:30", 2.2),
    ("08:30", "09:00", 1.6),
    ("09:00", "10:00", 1.3),
    ("10:00", "11:00", 1.0),
    ("11:00", "11:30", 0.7),
    ("11:30", "12:00", 0.3),     # lunch: few come, most desks pause
    ("12:00", "13:00", 0.15),
    ("13:00", "13:30", 0.4),
    ("13:30", "14:00", 1.2),     # the afternoon opens
    ("14:00", "15:00", 1.1),
    ("15:00", "16:00", 0.9),
    ("16:00", "16:30", 0.6),
    ("16:30", "17:00", 0.3),
    ("17:00", "18:00", 0.1),
)

# Minutes a desk needs per visitor, by service of the demo config (contract's Thái Nguyên center).
# Other configs' services get a stable pseudo-random mean in 8–25 min (``service_mean_min``).
SERVICE_MEAN_MIN: dict[str, float] = {
    "CA-CC": 10, "CA-XNC": 15, "CA-GPLX": 8, "CA-ANTT": 12,
    "THUE-DK": 12, "THUE-KK": 10, "THUE-TB": 8, "THUE-HD": 12,
    "BHXH-THU": 10, "BHXH-BHYT": 8, "BHXH-CD": 15,
    "STP-LLTP": 8, "STP-CCCT": 15, "STP-HTQT": 20, "STP-BTTP": 15,
    "SNNMT-DD": 25, "SNNMT-MT": 20, "SNNMT-NN": 15,
    "STC-DKDN": 20, "STC-DTU": 20, "STC-NSTS": 15,
    "SXD-QHXD": 20, "SXD-NOBDS": 18, "SXD-GTVT": 12,
    "SNV-LDVL": 12, "SNV-NCC": 12, "SNV-TCCB": 15,
    "SYT-HN": 12, "SYT-DUOC": 12, "SYT-BTXH": 15,
    "SCT-TM": 12, "SCT-DNL": 15, "SCT-XTTM": 12,
    "VPUBND-TTHC": 15, "SKHCN-KHCN": 15, "SKHCN-BCVT": 12,
    "SGDDT-VB": 10, "SGDDT-CSGD": 15,
    "SVHTTDL-VHGD": 12, "SVHTTDL-TTDL": 12, "SVHTTDL-BCXB": 12,
    "SNGV-HTQT": 15, "SDTTG-TG": 12, "SDTTG-DT": 12, "TTT-TCD": 25,
    "BQLKCN-DT": 20, "BQLKCN-LDXD": 18, "PCTN-CD": 10, "NSTN-CN": 8,
    "BDTN-BCCI": 8, "VNPT-CKS": 10, "TTPVHCC-PAKN": 10,
}

# How much busier than its desks alone suggest an agency is: police, tax, social insurance and land
# carry most of a provincial center's visitors; the supervision counter sees few.
DEFAULT_AGENCY_LOAD: dict[str, float] = {
    "CA": 1.5, "THUE": 1.3, "BHXH": 1.3, "SNNMT": 1.3, "STP": 1.1, "TTPVHCC": 0.15,
}
OTHER_AGENCY_LOAD = 0.8

PRIORITY_KINDS = (("elderly", 0.60), ("disabled", 0.15), ("pregnant", 0.10), ("veteran", 0.10), ("child", 0.05))

SERVICE_SIGMA = 0.45          # lognormal shape of service times (coefficient of variation ≈ 0.47)
OFFICER_SIGMA = 0.12          # officers differ: each desk's speed factor, lognormal around 1


def hhmm(text: str) -> float:
    """``"07:30"`` → 27000.0 (seconds since midnight). Raises ValueError on anything else."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected HH:MM, got {text!r}")
    h, m = int(parts[0]), int(parts[1])
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 24 * 60:
        raise ValueError(f"not a time of day: {text!r}")
    return float(h * 3600 + m * 60)


def clock_text(t: float) -> str:
    """27000 → ``"07:30"`` (seconds since midnight → HH:MM)."""
    t = max(0, int(round(t)))
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def parse_window(text: str) -> tuple[float, float]:
    """``"07:30-17:00"`` → (27000, 61200)."""
    if "-" not in text:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    a, b = text.split("-", 1)
    start, end = hhmm(a), hhmm(b)
    if end <= start:
        raise ValueError(f"the window {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class ArrivalProfile:
    """A piecewise-constant arrival intensity over the day."""

    pieces: tuple[tuple[float, float, float], ...]     # (start_s, end_s, intensity)

    @classmethod
    def default(cls) -> "ArrivalProfile":
        return cls(tuple((hhmm(a), hhmm(b), w) for a, b, w in DEFAULT_PROFILE))

    def clipped(self, start: float, end: float) -> "ArrivalProfile":
        """The same intensity, zero outside [start, end). A window outside every piece gets a flat one."""
        pieces = tuple((max(a, start), min(b, end), w) for a, b, w in self.pieces
                       if min(b, end) > max(a, start) and w > 0)
        return ArrivalProfile(pieces or ((start, end, 1.0),))

    def mass(self, a: float, b: float) -> float:
        """∫ intensity over [a, b)."""
        return sum(w * max(0.0, min(b, e) - max(a, s)) for s, e, w in self.pieces)

    def share(self, a: float, b: float) -> float:
        total = self.mass(self.pieces[0][0], self.pieces[-1][1])
        return self.mass(a, b) / total if total else 0.0

    def sample(self, rng: random.Random) -> float:
        """One arrival time drawn from the intensity (inverse of the cumulative mass)."""
        cumulative, total = [], 0.0
        for s, e, w in self.pieces:
            total += w * (e - s)
            cumulative.append(total)
        u = rng.random() * total
        i = min(bisect.bisect_right(cumulative, u), len(self.pieces) - 1)
        s, e, w = self.pieces[i]
        before = cumulative[i] - w * (e - s)
        return s + (u - before) / w if w else s

    def arrival_times(self, n: int, rng: random.Random) -> list[float]:
        return sorted(self.sample(rng) for _ in range(n))

    def per_hour(self, times: list[float]) -> dict[int, int]:
        """Counts of ``times`` by the hour they fall in (8 → 08:00–08:59)."""
        out: dict[int, int] = {}
        for t in times:
            out[int(t // 3600)] = out.get(int(t // 3600), 0) + 1
        return out


def service_mean_min(code: str) -> float:
    """Mean minutes per visitor of a service: the table above, or a stable 8–25 min for others."""
    if code in SERVICE_MEAN_MIN:
        return float(SERVICE_MEAN_MIN[code])
    h = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16)
    return 8.0 + h % 18


def lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw with the given mean (not median)."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


@dataclass
class ServiceMix:
    """Which service a visitor comes for: weight ∝ (desk time given to it ÷ its mean service time)
    × the agency's load factor, so that each agency's desks are about as busy as its load factor says.
    ``overrides`` (agency or service code → factor) come from ``--mix CODE=WEIGHT``."""

    weights: dict[str, float]                       # service code → weight
    agency_of: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_center(cls, desks: list[tuple[int, str, tuple[str, ...]]], agency_of: dict[str, str],
                   overrides: dict[str, float] | None = None) -> "ServiceMix":
        overrides = overrides or {}
        desk_time: dict[str, float] = {code: 0.0 for code in agency_of}
        for _number, _agency, services in desks:
            for code in services:
                desk_time[code] = desk_time.get(code, 0.0) + 1.0 / len(services)
        weights = {}
        for code, agency in agency_of.items():
            load = overrides.get(code, overrides.get(agency, DEFAULT_AGENCY_LOAD.get(agency, OTHER_AGENCY_LOAD)))
            weights[code] = desk_time.get(code, 0.0) / service_mean_min(code) * load
        if not any(w > 0 for w in weights.values()):
            raise ValueError("no service has a desk and a weight above 0")
        return cls(weights, dict(agency_of))

    def pick(self, rng: random.Random) -> str:
        codes = [c for c, w in self.weights.items() if w > 0]
        return rng.choices(codes, weights=[self.weights[c] for c in codes])[0]

    def shares(self) -> dict[str, float]:
        total = sum(self.weights.values())
        return {c: w / total for c, w in self.weights.items()}


def parse_pairs(values: tuple[str, ...] | list[str], what: str) -> list[tuple[str, str]]:
    """``("CA=4", "THUE=2@08:00")`` → ``[("CA", "4"), ("THUE", "2@08:00")]``."""
    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise ValueError(f"{what}: expected CODE=VALUE, got {part!r}")
            key, val = part.split("=", 1)
            out.append((key.strip(), val.strip()))
    return out


def pick_priority(rng: random.Random, share: float) -> str | None:
    if rng.random() >= share:
        return None
    kinds, weights = zip(*PRIORITY_KINDS)
    return rng.choices(kinds, weights=weights)[0]
