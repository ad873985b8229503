"""The SimPy driver: the core's cycle in simulated time, on the shared :class:`Schedule`.

It runs ``recon.core.cycle.run_cycle`` and nothing else (there is no second reconciler), answering
effects through the same interpreter as real time (:func:`recon.drivers.loop.handler_for`), except
those the caller gives a :class:`~recon.drivers.timed.Timed` process for. Cycles also run early
when :meth:`SimDriver.trigger` is called (event-triggered reconciliation). It owns no fault,
drift or metric logic; the simulation does.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from recon.core.cycle import run_cycle
from recon.core.record import CycleResult
from recon.drivers.loop import Loop, finish, handler_for
from recon.drivers.schedule import OnRecord, Schedule, Uniform
from recon.drivers.timed import Timed

class SimDriver:
    """Run *loop* inside *env*: a cycle at *offset*, then on *schedule*, or when triggered."""

    def __init__(self, env: simpy.Environment, loop: Loop, schedule: Schedule, *, rng: Uniform | None = None,
                 offset: float = 0.0, on_record: OnRecord | None = None, min_gap: float = 0.0,
                 timed: Timed = Timed()) -> None:
        schedule.check(rng)
        self.env, self.loop, self.schedule, self.rng, self.timed = env, loop, schedule, rng, timed
        self.on_record, self.min_gap, self.cycles = on_record, min_gap, 0
        self._wake: simpy.Event | None = None
        self._pending = False
        self.process = env.process(self._run(offset))

    def trigger(self) -> None:
        """Ask for a cycle now (a watch event). During a cycle, the next one starts right after it."""
        if self._wake is None:
            self._pending = True
        elif not self._wake.triggered:
            self._wake.succeed()

    def _run(self, offset: float) -> Generator[simpy.Event, Any, None]:
        if offset > 0:
            yield self.env.timeout(offset)
        while True:
            start, self._pending = self.env.now, False
            yield from self.run_cycle()
            self._wake = self.env.event()
            if self._pending:
                self._wake.succeed()
            yield self.env.timeout(self.schedule.next_delay(self.rng)) | self._wake
            if self._wake.triggered and start + self.min_gap > self.env.now:
                yield self.env.timeout(start + self.min_gap - self.env.now)
            self._wake = None

    def run_cycle(self) -> Generator[simpy.Event, Any, CycleResult]:
        """One cycle of the core generator, each effect performed in simulated time."""
        loop, now = self.loop, self.env.now
        gen, handle = run_cycle(loop.name, loop.policy, loop.state, now, mode=loop.mode,
                                normalize=loop.normalize), handler_for(loop, now)
        try:
            effect = next(gen)
            while True:
                effect = gen.send((yield from self.timed.perform(effect, loop.actuator is not None, handle)))
        except StopIteration as stop:
            result = finish(loop, stop.value, self.env.now - now)
        self.cycles += 1
        if self.on_record is not None:
            self.on_record(result)
        return result
