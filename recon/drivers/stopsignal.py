"""Stop signals for a real-time run: a stop signal always stops.

SIGTERM or SIGINT asks the run to stop after the current cycle. A cycle still running STOP_GRACE
seconds later (blocked on a read or a server), or at a second signal, is cut short by
:class:`Interrupted`, which the driver does not count as a cycle.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Seconds a cycle may run on after a stop signal before it is interrupted.
STOP_GRACE = 2.0


class Interrupted(BaseException):
    """A cycle cut short by a stop signal. A BaseException, so no ``except Exception`` in a cycle can
    swallow it and keep a stopped watch running."""


class StopSignals:
    """Route SIGTERM/SIGINT to *stop* while in use; outside the main thread (or with *install*
    false) install nothing and only the event stops the run."""

    def __init__(self, stop: threading.Event, install: bool = True) -> None:
        self._stop, self._install = stop, install and threading.current_thread() is threading.main_thread()
        self._old: dict[int, Any] = {}
        self._in_cycle = False

    def __enter__(self) -> StopSignals:
        if self._install:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._on_signal)
            self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        return self

    def __exit__(self, *_: Any) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old.clear()

    @contextmanager
    def cycle(self) -> Iterator[None]:
        """Mark a cycle as running, so that a stop signal gives it STOP_GRACE seconds at most."""
        self._in_cycle = True
        try:
            yield
        finally:
            self._in_cycle = False
            if self._old:
                signal.setitimer(signal.ITIMER_REAL, 0)

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
