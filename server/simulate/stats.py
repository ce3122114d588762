"""The figures of the report: percentiles, and how far an estimated wait was from the real one.

Error of one estimate (both in simulated seconds):

    absolute error   = |estimate − actual|
    relative error   = |estimate − actual| / max(actual, FLOOR_S)      with FLOOR_S = 5 minutes

``actual`` is the time from the ticket's issue to its first call. The floor keeps a visitor who was
told "0 min" and called after 40 s from counting as an infinite error: below 5 minutes of real
waiting, errors are measured against 5 minutes. The report gives the median of each (and the 90th
percentile), over every ticket that was called at least once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

FLOOR_S = 5 * 60.0


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0–100) with linear interpolation between closest ranks; None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    if len(xs) == 1:
        return float(xs[0])
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return float(xs[lo])
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


def abs_error(estimate_s: float, actual_s: float) -> float:
    return abs(estimate_s - actual_s)


def rel_error(estimate_s: float, actual_s: float, floor_s: float = FLOOR_S) -> float:
    """|estimate − actual| / max(actual, floor): 0.2 means 20 %."""
    return abs(estimate_s - actual_s) / max(actual_s, floor_s)


@dataclass(frozen=True)
class ErrorSummary:
    n: int
    median_abs_s: float | None
    p90_abs_s: float | None
    median_rel: float | None           # fraction: 0.18 = 18 %
    p90_rel: float | None
    median_bias_s: float | None        # median of (estimate − actual): > 0 means estimates ran long
    within_20pct: float | None         # share of tickets whose relative error was under 20 %

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "median_abs_min": _min(self.median_abs_s),
            "p90_abs_min": _min(self.p90_abs_s),
            "median_pct": _pct(self.median_rel),
            "p90_pct": _pct(self.p90_rel),
            "median_bias_min": _min(self.median_bias_s),
            "within_20pct_share": None if self.within_20pct is None else round(self.within_20pct * 100, 1),
            "definition": "relative error = |estimate - actual| / max(actual, 5 min); actual = issue to first call",
        }


def error_summary(pairs: Iterable[tuple[float, float]], floor_s: float = FLOOR_S) -> ErrorSummary:
    """Summary over (estimate_s, actual_s) pairs."""
    pairs = list(pairs)
    if not pairs:
        return ErrorSummary(0, None, None, None, None, None, None)
    absolute = [abs_error(e, a) for e, a in pairs]
    relative = [rel_error(e, a, floor_s) for e, a in pairs]
    return ErrorSummary(
        n=len(pairs),
        median_abs_s=median(absolute),
        p90_abs_s=percentile(absolute, 90),
        median_rel=median(relative),
        p90_rel=percentile(relative, 90),
        median_bias_s=median(e - a for e, a in pairs),
        within_20pct=sum(r < 0.2 for r in relative) / len(relative),
    )


def wait_summary(waits_s: list[float]) -> dict:
    """p50/p90/max of waits, in minutes."""
    return {"n": len(waits_s), "p50_min": _min(percentile(waits_s, 50)), "p90_min": _min(percentile(waits_s, 90)),
            "max_min": _min(max(waits_s) if waits_s else None)}


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100.0, 1)
