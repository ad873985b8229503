"""Drift: people changing the world by hand, as Poisson processes per resource, plus bursts.

Hand deletes and edits hit managed resources, each at its own rate; unmanaged creations arrive at a
total rate. The superposition of N per-resource processes is one process of rate N·λ that picks a
resource uniformly; with ``only_clean`` a pick that lands on an already drifted resource is
rejected (thinning), so every clean resource drifts at exactly rate λ and drifted ones not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from recon.core.model import Key, Resource
from recon.sim.scenario import Burst, DriftSpec, WorldSpec
from recon.sim.sources import matches
from recon.sim.world import World


class Drift:
    def __init__(self, env: simpy.Environment, world: World, spec: DriftSpec, wspec: WorldSpec,
                 managed: set[Key], rng: np.random.Generator, notify: Callable[[Key], None],
                 record: Callable[..., None]) -> None:
        self.env, self.world, self.spec, self.wspec = env, world, spec, wspec
        self.managed, self.rng, self.notify, self.record = managed, rng, notify, record
        self._keys: list[Key] = []
        self._keys_for = -1
        self._made = 0
        self._edits = 0
        rate = spec.delete_rate + spec.edit_rate
        if rate > 0:
            env.process(self._per_resource(rate))
        if spec.create_rate > 0:
            env.process(self._creations())
        for b in spec.bursts:
            env.process(self._burst(b))

    def _candidates(self) -> list[Key]:
        if self._keys_for != len(self.managed):
            self._keys = sorted(self.managed)
            self._keys_for = len(self.managed)
        return self._keys

    def _delete(self, k: Key, cause: str) -> bool:
        if self.world.remove(k, cause):
            self.record("drift", action="delete", kind=k[0], name=k[1], cause=cause)
            self.notify(k)
            return True
        return False

    def _edit(self, k: Key, cause: str) -> bool:
        r = self.world.items.get(k)
        if r is None:
            return False
        self._edits += 1
        edited = Resource(r.kind, r.name, {**r.spec, "edited_by_hand": self._edits}, r.owner)
        self.world.put(edited, cause)
        self.record("drift", action="edit", kind=k[0], name=k[1], cause=cause)
        self.notify(k)
        return True

    def _create(self, cause: str, group: str | None = None) -> None:
        self._made += 1
        g = group or self.wspec.groups[int(self.rng.integers(len(self.wspec.groups)))]
        kind = self.wspec.kinds[self._made % len(self.wspec.kinds)]
        r = Resource(kind, f"{g}-hand-{self._made:05d}", {"port": 40000 + self._made, "action": "allow"})
        self.world.put(r, cause)
        self.record("drift", action="create", kind=r.kind, name=r.name, cause=cause)
        self.notify(r.key)

    def _per_resource(self, rate: float) -> Generator[simpy.Event, Any, None]:
        s, rng, world = self.spec, self.rng, self.world
        p_delete = s.delete_rate / rate
        while True:
            keys = self._candidates()
            if not keys:
                return
            yield self.env.timeout(rng.exponential(1.0 / (rate * len(keys))))
            k = keys[int(rng.integers(len(keys)))]
            is_delete = rng.random() < p_delete
            if s.only_clean and k in world.bad:
                continue
            if is_delete:
                self._delete(k, "drift-delete")
            else:
                self._edit(k, "drift-edit")

    def _creations(self) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.env.timeout(self.rng.exponential(1.0 / self.spec.create_rate))
            self._create("drift-create")

    def _burst(self, b: Burst) -> Generator[simpy.Event, Any, None]:
        if b.at > self.env.now:
            yield self.env.timeout(b.at - self.env.now)
        hit = matches(b.scope)
        present = [k for k in self._candidates() if hit(k) and k in self.world.items]
        picks = self.rng.permutation(len(present))
        deleted = [present[i] for i in picks[: b.deletes]]
        edited = [present[i] for i in picks[b.deletes: b.deletes + b.edits]]
        self.record("drift_burst", deletes=len(deleted), edits=len(edited), creates=b.creates)
        for k in deleted:
            self._delete(k, "drift-burst")
        for k in edited:
            self._edit(k, "drift-burst")
        group = b.scope.name.split("-")[0] if b.scope.name not in ("*", "") else None
        for _ in range(b.creates):
            self._create("drift-burst", group if group in self.wspec.groups else None)
