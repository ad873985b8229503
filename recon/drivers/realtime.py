"""The real-time driver: the core's cycle on the shared :class:`Schedule`, waiting on a monotonic
clock, stopping cleanly on SIGTERM.

A stop request (SIGTERM, SIGINT or :meth:`RealtimeDriver.stop`) lets the current cycle finish and
ends the run before the next one; the wait between cycles wakes immediately. A cycle that does not
finish soon after a stop signal is cut short (:mod:`recon.drivers.stopsignal`) and not counted. The
run holds the loop's lease in its store (:mod:`recon.store.lease`); a second writer stops it.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from recon.core.errors import ReconError
from recon.core.record import CycleRecord
from recon.drivers.loop import Loop, run_once
from recon.drivers.spec import RealtimeSpec
from recon.drivers.stopsignal import Interrupted, StopSignals
from recon.store.lease import LeaseLost, StateConflict


class RealtimeDriver:
    """Run *loop* as *spec* says until stopped; keep the recent records, errors and counters."""

    def __init__(self, loop: Loop, spec: RealtimeSpec) -> None:
        self.loop, self.spec, self._stop = loop, spec, threading.Event()
        self.records: deque[CycleRecord] = deque(maxlen=spec.keep)
        self.errors: deque[str] = deque(maxlen=spec.keep)
        self.cycles = self.failed = 0  # failed: cycles that observed nothing or could not run at all
        self.interrupted = False  # the last cycle was cut short by a stop signal

    def stop(self, *_: Any) -> None:
        self._stop.set()

    def run(self, max_cycles: int | None = None, install_signals: bool = True) -> list[CycleRecord]:
        """Run until stopped (or *max_cycles*); return the recent records (at most *keep*). Holds the
        loop's lease throughout (:meth:`Loop.hold`: LeaseHeld if another process runs the loop)."""
        self.loop.hold(self.spec.lease_seconds())
        try:
            with StopSignals(self._stop, install_signals) as signals:
                while not self._stop.is_set():
                    self.cycles += 1
                    try:
                        with signals.cycle():
                            self._cycle()
                    except ReconError as e:  # the state store (locked, unwritable): this cycle did nothing
                        self.failed += 1
                        self.errors.append(str(e))
                        if isinstance(e, (LeaseLost, StateConflict)):  # a second process runs this loop
                            self._stop.set()
                        if self.spec.on_error is not None:
                            self.spec.on_error(e)
                    except Interrupted:
                        self.cycles, self.interrupted = self.cycles - 1, True
                        break
                    if max_cycles is not None and self.cycles >= max_cycles:
                        break
                    self._stop.wait(self.spec.schedule.next_delay(self.spec.rng))
        finally:
            self.loop.release()
        return list(self.records)

    def _cycle(self) -> None:
        s, loop = self.spec, self.loop
        result = run_once(loop, s.wall(), clock=s.monotonic)
        self.records.append(result.record)
        self.failed += not result.record.paused and result.record.observed_count is None
        if s.events is not None:
            s.events.append(result.record)
        if s.metrics is not None:
            s.metrics.observe(result.record)
            if loop.store is not None:
                s.metrics.pending.labels(loop.name).set(loop.store.pending_count(loop.name))
        if s.on_record is not None:
            s.on_record(result)
