"""Desired-state sources that fail: the config errors, loads empty, comes back partial, or a typo
renames a scope. Also the legitimate large change (a migration), which changes the truth itself.

``SimSource`` serves a loop's share of the intended desired state, distorted by whichever failures
are active. The distortions are decided when a failure starts (which keys a partial list drops),
so one failure gives the same wrong answer on every load, as a broken API usually does.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from recon.core.model import DesiredState, Key, Resource
from recon.core.policy import Selector
from recon.sim.scenario import DesiredEvent
from recon.sim.script import ScriptStep, active_step, scripted_desired
from recon.sim.world import World


class SourceError(Exception):
    """The simulated config or source API failed to load."""


@dataclass
class ActiveFailure:
    event: DesiredEvent
    dropped: frozenset[Key] = frozenset()


def matches(sel: Selector) -> Callable[[Key], bool]:
    """A fast key predicate for a selector (``*`` short-circuits)."""
    if sel.kind == "*" and sel.name == "*":
        return lambda k: True
    kr, nr = re.compile(fnmatch.translate(sel.kind)), re.compile(fnmatch.translate(sel.name))
    return lambda k: bool(kr.match(k[0]) and nr.match(k[1]))


class SimSource:
    """One loop's desired source: its scope of the world's truth, minus foreign resources."""

    def __init__(self, world: World, name: str, in_scope: Callable[[Key], bool], managed: set[Key],
                 on_event: Callable[..., None] | None = None, script: tuple[ScriptStep, ...] = ()) -> None:
        self.world, self.name, self.in_scope, self.managed = world, name, in_scope, managed
        self.script = script
        self.on_event = on_event or (lambda *a, **k: None)
        self.active: list[ActiveFailure] = []
        self.loads = 0
        self._truth_version = -1
        self._cached: DesiredState | None = None
        self._version = 0

    def _intended(self) -> dict[Key, Resource]:
        return {k: r for k, r in self.world.truth.items() if k in self.managed and self.in_scope(k)}

    def start(self, ev: DesiredEvent, rng: np.random.Generator) -> None:
        hit = matches(ev.scope)
        dropped: frozenset[Key] = frozenset()
        if ev.kind == "partial":
            keys = sorted(k for k in self._intended() if hit(k))
            n_keep = int(round(len(keys) * ev.fraction))
            keep = set(rng.permutation(len(keys))[:n_keep].tolist()) if keys else set()
            dropped = frozenset(k for i, k in enumerate(keys) if i not in keep)
        self.active.append(ActiveFailure(ev, dropped))
        self._cached = None

    def stop(self, ev: DesiredEvent) -> None:
        self.active = [a for a in self.active if a.event is not ev]
        self._cached = None

    def truth_changed(self) -> None:
        self._cached = None

    def load(self) -> DesiredState:
        self.loads += 1
        for a in self.active:
            if a.event.kind == "error":
                raise SourceError(f"{self.name}: desired source failed to load (simulated config error)")
        step = active_step(self.script, self.world.clock())
        if step is not None:  # a scripted source answers afresh on every load, as its step says
            self._version += 1
            loaded = scripted_desired(self._intended(), step, self.name, str(self._version))
            if isinstance(loaded, Exception):
                raise SourceError(str(loaded))
            return loaded
        if self._cached is not None:
            return self._cached
        items = self._intended()
        for a in self.active:
            hit = matches(a.event.scope)
            kind = a.event.kind
            if kind == "empty":
                items = {k: r for k, r in items.items() if not hit(k)}
            elif kind == "partial":
                items = {k: r for k, r in items.items() if k not in a.dropped}
            elif kind == "rename":
                typo = a.event.typo
                items = {(k if not hit(k) else (k[0], typo + k[1])):
                         (r if not hit(k) else Resource(r.kind, typo + r.name, r.spec, r.owner))
                         for k, r in items.items()}
        self._version += 1
        self._cached = DesiredState(MappingProxyType(items), source=self.name, version=str(self._version))
        return self._cached


def desired_process(env: Any, ev: DesiredEvent, sources: list[SimSource], world: World, managed: set[Key],
                    rng: np.random.Generator, record: Callable[..., None]) -> Any:
    """A SimPy process: start the event at ``ev.at``, stop it after ``ev.duration``."""
    if ev.at > env.now:
        yield env.timeout(ev.at - env.now)
    if ev.kind == "migration":
        hit = matches(ev.scope)
        keys = sorted(k for k in world.truth if k in managed and hit(k))
        n = int(round(len(keys) * ev.fraction))
        gone = [keys[i] for i in sorted(rng.permutation(len(keys))[:n].tolist())]
        for k in gone:
            world.set_truth(k, None, "desired-change")
            managed.discard(k)
        for s in sources:
            s.truth_changed()
        record("migration", removed=len(gone))
        return
    for s in sources:
        s.start(ev, rng)
    record("desired_failure_start", failure=ev.kind, fraction=ev.fraction if ev.kind == "partial" else None)
    if ev.duration is None:
        return
    yield env.timeout(ev.duration)
    for s in sources:
        s.stop(ev)
    record("desired_failure_end", failure=ev.kind)
