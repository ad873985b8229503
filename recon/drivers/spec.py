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
