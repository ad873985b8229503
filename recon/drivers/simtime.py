"""The SimPy driver: run the core's cycle generator in simulated time.

This is the simulated-time twin of :mod:`recon.drivers.realtime`, and like it runs
``recon.core.cycle.run_cycle`` and nothing else: there is no second reconciler. Each effect the
cycle yields is answered by the loop's parts through the same interpreter the real-time driver
uses (:func:`recon.drivers.loop.handler_for`), except when a part offers a *timed* variant, a SimPy
process that takes simulated time and may fail:

- the source: ``load_process() -> DesiredState`` (may raise),
- the observer: ``observe_process() -> Observation`` (may raise),
- the actuator: ``apply_process(resource)`` / ``delete_process(resource)`` (may raise).

Cycles run every *period* seconds with uniform ± *jitter*, and early when :meth:`SimDriver.trigger`
is called (event-triggered reconciliation). The driver never draws from global random state: it is
given a ``numpy.random.Generator``. It owns no fault, drift or metric logic; the simulation does.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any

import numpy as np
import simpy

from recon.core.cycle import Apply, CycleRecord, Delete, Effect, LoadDesired, Observe, WriteResult, run_cycle
from recon.core.decision import Decision
from recon.drivers.loop import Loop, handler_for
from recon.providers.base import ObserverNormalizer

OnRecord = Callable[[CycleRecord, Decision], Any]


class SimDriver:
    """Run *loop* inside *env*: a cycle at *offset*, then every *period* ± *jitter*, or when triggered."""

    def __init__(self, env: simpy.Environment, loop: Loop, period: float, jitter: float = 0.0, *,
                 rng: np.random.Generator | None = None, offset: float = 0.0,
                 on_record: OnRecord | None = None, min_gap: float = 0.0) -> None:
        if period <= 0:
            raise ValueError("period must be positive")
        if not 0 <= jitter < 1:
            raise ValueError("jitter is a fraction of the period in [0, 1)")
        if jitter and rng is None:
            raise ValueError("a jittered driver needs an rng (numpy Generator)")
        self.env, self.loop, self.period, self.jitter = env, loop, period, jitter
        self.rng, self.on_record, self.min_gap = rng, on_record, min_gap
        self.normalize = loop.normalizer or ObserverNormalizer(loop.observer)
        self.cycles = 0
        self._wake: simpy.Event | None = None
        self._pending = False
        self._last_start = -float("inf")
        self.process = env.process(self._run(offset))

    def trigger(self) -> None:
        """Ask for a cycle now (a watch event). During a cycle, the next one starts right after it."""
        if self._wake is None:
            self._pending = True
        elif not self._wake.triggered:
            self._wake.succeed()

    def next_delay(self) -> float:
        if not self.jitter:
            return self.period
        assert self.rng is not None
        return self.period * (1.0 + self.rng.uniform(-self.jitter, self.jitter))

    def _run(self, offset: float) -> Generator[simpy.Event, Any, None]:
        if offset > 0:
            yield self.env.timeout(offset)
        while True:
            self._last_start = self.env.now
            self._pending = False
            yield from self.run_cycle()
            self._wake = self.env.event()
            if self._pending:
                self._wake.succeed()
            yield self.env.timeout(self.next_delay()) | self._wake
            if self._wake.triggered and self.min_gap > 0:
                gap = self._last_start + self.min_gap - self.env.now
                if gap > 0:
                    yield self.env.timeout(gap)
            self._wake = None

    def run_cycle(self) -> Generator[simpy.Event, Any, tuple[CycleRecord, Decision]]:
        """One cycle of the core generator, each effect performed in simulated time."""
        loop, env = self.loop, self.env
        now = env.now
        gen = run_cycle(loop.name, loop.policy, loop.state, now, observe_only=loop.observe_only,
                        normalize=self.normalize)
        handle = handler_for(loop, now)
        try:
            effect = next(gen)
            while True:
                result = yield from self._perform(effect, handle)
                effect = gen.send(result)
        except StopIteration as stop:
            record, new_state, decision = stop.value
        record = replace(record, duration=env.now - now)
        loop.save_state(new_state)
        self.cycles += 1
        if self.on_record is not None:
            self.on_record(record, decision)
        return record, decision

    def _perform(self, effect: Effect, handle: Callable[[Effect], Any]) -> Generator[simpy.Event, Any, Any]:
        loop = self.loop
        timed: Callable[..., Generator[simpy.Event, Any, Any]] | None = None
        args: tuple[Any, ...] = ()
        if isinstance(effect, Observe):
            timed = getattr(loop.observer, "observe_process", None)
        elif isinstance(effect, LoadDesired):
            timed = getattr(loop.source, "load_process", None)
        elif isinstance(effect, (Apply, Delete)) and loop.actuator is not None:
            name = "apply_process" if isinstance(effect, Apply) else "delete_process"
            timed = getattr(loop.actuator, name, None)
            args = (effect.change.target,)
        if timed is None:
            return handle(effect)
        try:
            result = yield from timed(*args)
        except Exception as e:  # the same contract as the synchronous interpreter: errors are answers
            if isinstance(effect, (Apply, Delete)):
                return WriteResult(False, f"{type(e).__name__}: {e}")
            return e
        return WriteResult(True) if isinstance(effect, (Apply, Delete)) else result
