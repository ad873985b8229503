"""When cycles run: every *interval* seconds, each gap stretched by a uniform ± *jitter* fraction.

The schedule exists once; the SimPy driver and the real-time driver only differ in how they wait
for the delay it gives. A jittered schedule draws from an *rng* it is handed (a numpy Generator in
simulation, a ``random.Random`` in real time), never from global random state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from recon.core.record import CycleResult

OnRecord = Callable[[CycleResult], Any]


class Uniform(Protocol):
    def uniform(self, low: float, high: float, /) -> float: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """A cycle every *interval* seconds ± *jitter* (a fraction of the interval in [0, 1))."""

    interval: float
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("interval must be positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction of the interval in [0, 1)")

    def check(self, rng: Uniform | None) -> None:
        """Refuse a jittered schedule without an rng, when the driver is built rather than later."""
        if self.jitter and rng is None:
            raise ValueError("a jittered schedule needs an rng (a numpy Generator or random.Random)")

    def next_delay(self, rng: Uniform | None) -> float:
        """Seconds until the next cycle; draws from *rng* only when jittered."""
        if not self.jitter:
            return self.interval
        self.check(rng)
        return self.interval * (1.0 + rng.uniform(-self.jitter, self.jitter))  # type: ignore[union-attr]
