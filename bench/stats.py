"""Summaries of repeated measurements: the median with its spread, and interleaved timing.

A median of repeated runs says what a run typically costs; the spread (p25–p75
and min–max) says how much to trust it on a busy machine.  Contenders are timed
round-robin, in a rotating order, so that load from elsewhere falls on all of
them alike instead of on whichever ran during a burst.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Stat:
    """The median, quartiles and extremes of some samples (one sample: all the same)."""

    median: float
    p25: float
    p75: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stat:
        if not samples:
            raise ValueError("no samples to summarise")
        ordered = sorted(samples)
        if len(ordered) == 1:
            value = ordered[0]
            return cls(value, value, value, value, value, 1)
        p25, _, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(statistics.median(ordered), p25, p75, ordered[0], ordered[-1], len(ordered))

    def scaled(self, factor: float) -> Stat:
        """The same summary in another unit (``factor`` times every figure)."""
        return Stat(
            self.median * factor, self.p25 * factor, self.p75 * factor, self.low * factor, self.high * factor, self.n
        )

    def spread(self, digits: int = 2) -> str:
        """``p25–p75`` as text, or ``-`` for a single sample."""
        if self.n == 1:
            return "-"
        return f"{self.p25:.{digits}f}–{self.p75:.{digits}f}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def interleaved(contenders: Mapping[str, Callable[[], object]], runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each contender, ``runs`` each after ``warmup`` unmeasured rounds, round-robin."""
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(warmup + runs):
        shift = round_no % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            contenders[name]()
            elapsed = time.perf_counter() - started
            if round_no >= warmup:
                samples[name].append(elapsed)
    return samples


def ratio(ours: float | None, anchor: float | None) -> float | None:
    """``ours / anchor``, or None when either is missing or the anchor is zero."""
    if ours is None or anchor is None or anchor == 0:
        return None
    return ours / anchor


__all__ = ["Stat", "interleaved", "ratio"]
