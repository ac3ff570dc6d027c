"""Interleaved micro-benchmark rounds: each candidate timed in turn, medians and spread."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Loop = Callable[[int], None]  # runs the measured operation n times


@dataclass
class Samples:
    """
    Nanoseconds per operation, one sample per round.
    """

    name: str
    ns: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ns)

    @property
    def spread(self) -> float:
        """
        Half the interquartile range, as a fraction of the median.
        """
        if len(self.ns) < 4:
            return 0.0
        q = statistics.quantiles(self.ns, n=4)
        return (q[2] - q[0]) / 2 / self.median


def calibrate(loop: Loop, target_s: float) -> int:
    n = 1
    while True:
        start = time.perf_counter()
        loop(n)
        elapsed = time.perf_counter() - start
        if elapsed > target_s / 4:
            return max(1, int(n * target_s / elapsed))
        n *= 4


def interleave(candidates: dict[str, Loop], rounds: int, target_s: float) -> dict[str, Samples]:
    """
    Time every candidate once per round, in turn, so drifts of the machine hit them all.
    """
    sizes = {name: calibrate(loop, target_s) for name, loop in candidates.items()}
    out = {name: Samples(name) for name in candidates}
    for _ in range(rounds):
        for name, loop in candidates.items():
            n = sizes[name]
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter_ns()
                loop(n)
                elapsed = time.perf_counter_ns() - start
            finally:
                gc.enable()
            out[name].ns.append(elapsed / n)
    return out
