"""What a real-time run is given: its schedule and rng, where its records go, which clocks it reads.

Grouped in one frozen object so that the real-time driver's signature stays two arguments long and a
caller names every setting it changes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recon.drivers.schedule import OnRecord, Schedule, Uniform
from recon.eventlog import EventLog
from recon.metrics import LoopMetrics


@dataclass(frozen=True, slots=True)
class RealtimeSpec:
    """How a watch runs: its *schedule* and *rng*, where records go, and which clocks it reads."""

    schedule: Schedule = Schedule(60.0, 0.1)
    rng: Uniform = field(default_factory=random.Random)
    events: EventLog | None = None
    metrics: LoopMetrics | None = None
    on_record: OnRecord | None = None
    on_error: Callable[[Exception], Any] | None = None
    keep: int = 1000               # a watch runs for days: keep the recent records, not every one
    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    lease_ttl: float | None = None  # seconds the loop's lease outlives its holder; None: lease_seconds()

    def lease_seconds(self) -> float:
        """How long the loop's lease lasts past each renewal: LEASE_CYCLES of the longest wait between
        cycles, at least LEASE_MIN seconds, so a crashed watch frees its loop after a bounded time."""
        if self.lease_ttl is not None:
            return self.lease_ttl
        return max(LEASE_CYCLES * self.schedule.interval * (1 + self.schedule.jitter), LEASE_MIN)


# A watch renews its lease as every cycle starts, so it lapses only if a cycle and the wait after it last
# longer than this many of the longest waits (then the save's compare-and-set still stops the loop).
LEASE_CYCLES = 3
LEASE_MIN = 30.0
