"""Effects that take simulated time: the SimPy processes a simulation hands its driver.

A :class:`Timed` names, explicitly, the process that performs each kind of effect; an effect
without one is answered at once by the synchronous interpreter. A failing process answers like the
interpreter does: a write gets a failed :class:`WriteResult`, a read gets the exception.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from recon.core.effects import Apply, Delete, Effect, LoadDesired, Observe, WriteResult

Process = Generator[simpy.Event, Any, Any]


@dataclass(frozen=True, slots=True)
class Timed:
    """SimPy processes for loading desired, observing, applying and deleting (a Resource each)."""

    load: Callable[[], Process] | None = None
    observe: Callable[[], Process] | None = None
    apply: Callable[[Any], Process] | None = None
    delete: Callable[[Any], Process] | None = None

    def process_for(self, effect: Effect, can_write: bool) -> Process | None:
        """The process performing *effect*, or None when it has no timed variant (or may not write)."""
        if isinstance(effect, Observe) and self.observe:
            return self.observe()
        if isinstance(effect, LoadDesired) and self.load:
            return self.load()
        if isinstance(effect, Apply) and self.apply and can_write:
            return self.apply(effect.change.target)
        if isinstance(effect, Delete) and self.delete and can_write:
            return self.delete(effect.change.target)
        return None

    def perform(self, effect: Effect, can_write: bool, handle: Callable[[Effect], Any]) -> Process:
        """Answer *effect* in simulated time if it has a process, else at once through *handle*."""
        process = self.process_for(effect, can_write)
        if process is None:
            return handle(effect)
        write = isinstance(effect, (Apply, Delete))
        try:
            result = yield from process
        except Exception as e:  # the same contract as the synchronous interpreter: errors are answers
            return WriteResult(False, f"{type(e).__name__}: {e}") if write else e
        return WriteResult(True) if write else result
