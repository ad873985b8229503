"""A loop's parts, and the synchronous interpreter of the core's effects.

``Loop`` bundles one desired source, one observer, an optional actuator and one policy. Without an
actuator the loop is observe-only, and the interpreter has no object to write through: a write effect
from the core would raise :class:`ObserveOnlyViolation` (it never does; tests check both).
``plan_once`` is the one observe-only cycle that persists nothing, which every plan goes through.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from typing import Any

from recon.approvers import Approver, DenyAll
from recon.core.cycle import run_cycle
from recon.core.effects import (
    Apply, CheckKillSwitch, Delete, Effect, FileApprovalRequest, GetApproval, LoadDesired, Observe, WriteResult,
)
from recon.core.errors import ObserveOnlyViolation, ReconError
from recon.core.model import DesiredState, Observation
from recon.core.normalize import Normalizer
from recon.core.policy import Policy, RunMode
from recon.core.record import CycleResult, LoopState
from recon.providers.base import Actuator, Observer, ObserverNormalizer
from recon.sources.callable import Source
from recon.store.lease import Lease
from recon.store.sqlite import StateStore

# Seconds a lease taken for one cycle (a loop run without a driver that holds it) outlives a crash.
CYCLE_LEASE = 120.0


@dataclass
class Loop:
    name: str
    source: Source
    observer: Observer
    policy: Policy = field(default_factory=Policy)
    actuator: Actuator | None = None
    approver: Approver = field(default_factory=DenyAll)
    kill_switch: Callable[[], bool] = lambda: False
    store: StateStore | None = None
    normalizer: Normalizer | None = None
    state: LoopState = field(default_factory=LoopState)
    # One normaliser for the loop's life: the change-fed diff trusts its last plan only under the same one.
    _observer_normalizer: ObserverNormalizer | None = field(default=None, init=False, repr=False, compare=False)
    # The loop's lease in its store (recon.store.lease): held for a run (hold) or for one cycle.
    _lease: Lease | None = field(default=None, init=False, repr=False, compare=False)
    _lease_ttl: float = field(default=0.0, init=False, repr=False, compare=False)
    _held: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def observe_only(self) -> bool:
        return self.actuator is None

    @property
    def mode(self) -> RunMode:
        """Observe-only is structural: a loop without an actuator cannot write."""
        return RunMode.OBSERVE_ONLY if self.actuator is None else RunMode.ENFORCE

    @property
    def normalize(self) -> Normalizer:
        if self.normalizer is not None:
            return self.normalizer
        cached = self._observer_normalizer
        if cached is None or cached.observer is not self.observer:
            cached = self._observer_normalizer = ObserverNormalizer(self.observer)
        return cached

    def hold(self, ttl: float) -> None:
        """Take the loop's lease in its store for a whole run, each cycle renewing it for *ttl* seconds;
        :class:`~recon.store.lease.LeaseHeld` if another process runs this loop there."""
        if self.store is not None and self._lease is None:
            # What the first cycle reads is read first: a store it cannot trust is refused unwritten.
            self.load_state()
            self.kill_switch()
            self._lease = self.store.acquire_lease(self.name, ttl)
            self._lease_ttl, self._held = ttl, True

    def release(self) -> None:
        """Give the loop's lease back; a store that fails now leaves it to lapse after its ttl."""
        lease, self._lease, self._held = self._lease, None, False
        if self.store is not None and lease is not None:
            try:
                self.store.release_lease(lease)
            except ReconError:
                pass

    def load_state(self, claim: bool = False) -> LoopState:
        """The loop's state from its store; with *claim* (a cycle that will save), first take or renew
        the loop's lease, so that two processes never run a cycle of one loop at the same time."""
        if self.store is not None:
            if claim and self._lease is None:
                self._lease, self._lease_ttl = self.store.acquire_lease(self.name, CYCLE_LEASE), CYCLE_LEASE
            elif claim and self._lease is not None:
                self._lease = self.store.renew_lease(self._lease, self._lease_ttl)
            # The store keeps all but the last plan, which lives in this process only (recon.core.changefeed).
            self.state = replace(self.store.load_state(self.name), last_plan=self.state.last_plan)
        return self.state

    def save_state(self, state: LoopState) -> None:
        """Keep *state*; the store saves it only if its state is still the one this cycle started from
        (another process saving meanwhile is :class:`~recon.store.lease.StateConflict`, nothing saved).
        A lease taken for this cycle alone is given back."""
        loaded, self.state = self.state.cycle, state
        if self.store is not None:
            try:
                self.store.save_state(self.name, state, expect=loaded)
            finally:
                if not self._held:
                    self.release()


def drive(gen: Generator[Effect, Any, CycleResult], handle: Callable[[Effect], Any]) -> CycleResult:
    """Run a cycle generator to completion, answering each effect with *handle*."""
    try:
        effect = next(gen)
        while True:
            effect = gen.send(handle(effect))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def handler_for(loop: Loop, now: float, desired: DesiredState | None = None,
                observation: Observation | None = None) -> Callable[[Effect], Any]:
    """Answer effects from the loop's parts; *desired* / *observation* answer those two if given."""

    def handle(effect: Effect) -> Any:
        if isinstance(effect, CheckKillSwitch):
            return loop.kill_switch()
        if isinstance(effect, LoadDesired):
            if desired is not None:
                return desired
            try:
                return loop.source.load()
            except Exception as e:  # any failure of the source is a desired_error, never an empty state
                return e
        if isinstance(effect, Observe):
            if observation is not None:
                return observation
            try:
                return loop.observer.observe()
            except Exception as e:
                return e
        if isinstance(effect, GetApproval):
            return loop.approver.lookup(effect.request_id, effect.digest, now)
        if isinstance(effect, FileApprovalRequest):
            loop.approver.request(effect.request, now)
            return None
        if isinstance(effect, (Apply, Delete)):
            if loop.actuator is None:
                raise ObserveOnlyViolation(f"loop {loop.name}: observe-only, refusing {effect.change.op.value} "
                                           f"{effect.change.key}")
            try:
                if isinstance(effect, Apply):
                    loop.actuator.apply(effect.change.target)
                else:
                    loop.actuator.delete(effect.change.target)
            except Exception as e:  # per-resource errors do not abort the cycle
                return WriteResult(False, f"{type(e).__name__}: {e}")
            return WriteResult(True)
        raise TypeError(f"unknown effect {effect!r}")

    return handle


def finish(loop: Loop, result: CycleResult, duration: float | None, persist: bool = True) -> CycleResult:
    """Stamp the cycle's measured *duration* on its record and keep the new state (unless not *persist*)."""
    if duration is not None:
        result = replace(result, record=replace(result.record, duration=duration))
    if persist:
        loop.save_state(result.state)
    return result


def run_once(loop: Loop, now: float, *, clock: Callable[[], float] | None = None, persist: bool = True,
             desired: DesiredState | None = None, observation: Observation | None = None) -> CycleResult:
    """Run one cycle of *loop* at time *now*; persist the new state unless *persist* is false.

    *desired* and *observation*, when given, are used instead of loading and observing (one-shot
    plans load both first so that a failure is an error naming the input)."""
    state = loop.load_state(claim=persist)
    start = clock() if clock else None
    gen = run_cycle(loop.name, loop.policy, state, now, mode=loop.mode, normalize=loop.normalize)
    result = drive(gen, handler_for(loop, now, desired, observation))
    return finish(loop, result, clock() - start if clock is not None and start is not None else None, persist)


def observe_only(loop: Loop) -> Loop:
    """A copy of *loop* without its actuator: it has nothing to write through, whatever its config's mode."""
    return replace(loop, actuator=None)


def plan_once(loop: Loop, now: float, desired: DesiredState | None = None,
              observation: Observation | None = None) -> CycleResult:
    """What *loop* would do at *now*: one observe-only cycle that persists nothing (a plan is a view).

    ``recon plan``, ``recon audit`` and the loop console plan through here; *desired* and
    *observation*, when given, answer those effects (callers that load both first, so that a failure
    is an error naming the input)."""
    return run_once(observe_only(loop), now, persist=False, desired=desired, observation=observation)
