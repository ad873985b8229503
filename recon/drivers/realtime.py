"""The real-time driver: run a loop every *interval* seconds with jitter, stop cleanly on SIGTERM.

A stop request (SIGTERM, SIGINT or :meth:`stop`) lets the current cycle finish and ends the run
before the next one; the wait between cycles wakes immediately. A stop signal always stops: a cycle
still running STOP_GRACE seconds after it (blocked on a read or a server), or at a second signal,
is cut short by :class:`Interrupted` and not counted.
"""

from __future__ import annotations

import random
from collections import deque
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from recon.core.cycle import CycleRecord
from recon.core.errors import ReconError
from recon.drivers.loop import Loop, run_once
from recon.eventlog import EventLog
from recon.metrics import LoopMetrics

# Seconds a cycle may run on after a stop signal before it is interrupted.
STOP_GRACE = 2.0


class Interrupted(BaseException):
    """A cycle cut short by a stop signal. A BaseException, so no ``except Exception`` in a cycle can
    swallow it and keep a stopped watch running."""


class RealtimeDriver:
    def __init__(self, loop: Loop, interval: float = 60.0, jitter: float = 0.1, *, seed: int | None = None,
                 events: EventLog | None = None, metrics: LoopMetrics | None = None,
                 on_record: Callable[[CycleRecord], Any] | None = None,
                 on_error: Callable[[Exception], Any] | None = None, keep: int = 1000,
                 wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        if not 0 <= jitter < 1:
            raise ValueError("jitter is a fraction of the interval in [0, 1)")
        self.loop, self.interval, self.jitter = loop, interval, jitter
        self.events, self.metrics, self.on_record, self.on_error = events, metrics, on_record, on_error
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._wall, self._mono = wall, monotonic
        # A watch runs for days: keep the recent records and counters, not every record.
        self.records: deque[CycleRecord] = deque(maxlen=keep)
        self.cycles = 0
        self.failed = 0      # cycles that observed nothing or could not run at all
        self.errors: deque[str] = deque(maxlen=keep)
        self.interrupted = False  # the last cycle was cut short by a stop signal
        self._in_cycle = False

    def stop(self, *_: Any) -> None:
        self._stop.set()

    def _on_signal(self, *_: Any) -> None:
        again = self._stop.is_set()
        self._stop.set()
        if self._in_cycle:
            if again:
                raise Interrupted
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE)  # SIGALRM: _on_alarm

    def _on_alarm(self, *_: Any) -> None:
        if self._in_cycle:
            raise Interrupted

    def next_delay(self) -> float:
        return self.interval * (1 + self._rng.uniform(-self.jitter, self.jitter))

    def run(self, max_cycles: int | None = None, install_signals: bool = True) -> list[CycleRecord]:
        """Run until stopped (or *max_cycles*); return the recent records (at most *keep*)."""
        old: dict[int, Any] = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                old[sig] = signal.signal(sig, self._on_signal)
            old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        try:
            while not self._stop.is_set():
                self.cycles += 1
                self._in_cycle = True
                try:
                    self._checked_cycle()
                except Interrupted:
                    self.cycles -= 1
                    self.interrupted = True
                    break
                finally:
                    self._in_cycle = False
                    if old:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                if max_cycles is not None and self.cycles >= max_cycles:
                    break
                self._stop.wait(self.next_delay())
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
        return list(self.records)

    def _checked_cycle(self) -> None:
        try:
            self._cycle()
        except ReconError as e:  # the state store (locked, unwritable): this cycle did nothing
            self.failed += 1
            self.errors.append(str(e))
            if self.on_error is not None:
                self.on_error(e)

    def _cycle(self) -> None:
        record, _, _ = run_once(self.loop, self._wall(), clock=self._mono)
        self.records.append(record)
        if not record.paused and record.observed_count is None:
            self.failed += 1
        if self.events is not None:
            self.events.append(record)
        if self.metrics is not None:
            self.metrics.observe(record)
            if self.loop.store is not None:
                self.metrics.pending.labels(self.loop.name).set(self.loop.store.pending_count(self.loop.name))
        if self.on_record is not None:
            self.on_record(record)
