"""Humans in the loop: an approver who answers held delete sets, an on-call who pulls the kill switch.

The approver takes a sampled time to answer and approves a *legitimate* delete set (none of its keys
is something the truth holds) with one probability and a *bogus* set with another: people catch most
bad changes, not all. The on-call is paged by alerts (and chosen guard trips) and engages the loop's
kill switch after a sampled delay, and may release it later. Both draw from their own Generator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from recon.core.approval import Approval, ApprovalRequest
from recon.sim.scenario import ApproverSpec, OnCallSpec
from recon.sim.world import World


class HumanApprover:
    """Implements the ``Approver`` protocol for a modelled human."""

    name = "human"

    def __init__(self, env: simpy.Environment, world: World, spec: ApproverSpec, rng: np.random.Generator,
                 record: Callable[..., None]) -> None:
        self.env, self.world, self.spec, self.rng, self.record = env, world, spec, rng, record
        self._asked: set[str] = set()
        self._answers: dict[str, Approval] = {}

    def request(self, req: ApprovalRequest, now: float) -> None:
        if req.id in self._asked:
            return
        self._asked.add(req.id)
        legit = not any(k in self.world.truth for k in req.keys)
        self.record("approval_requested", loop=req.loop, request=req.id, deletes=len(req.keys), guard=req.guard,
                    legitimate=legit)
        self.env.process(self._answer(req, legit))

    def _answer(self, req: ApprovalRequest, legit: bool) -> Generator[simpy.Event, Any, None]:
        s = self.spec
        latency = s.latency.sample(self.rng)
        granted = bool(self.rng.random() < (s.p_approve_legit if legit else s.p_approve_bogus))
        yield self.env.timeout(latency)
        now = self.env.now
        self._answers[req.id] = Approval(req.id, req.digest, granted, self.name, now, now + s.ttl)
        self.record("approval_granted" if granted else "approval_denied", loop=req.loop, request=req.id,
                    legitimate=legit, latency=latency)

    def lookup(self, request_id: str, digest: str, now: float) -> Approval | None:
        return self._answers.get(request_id)


class RecordingApprover:
    """Wraps deny-all / approve-all so that requests and answers show in the events."""

    def __init__(self, inner: Any, world: World, record: Callable[..., None]) -> None:
        self.inner, self.world, self.record = inner, world, record
        self.name = inner.name
        self._asked: set[str] = set()

    def request(self, req: ApprovalRequest, now: float) -> None:
        if req.id not in self._asked:
            self._asked.add(req.id)
            legit = not any(k in self.world.truth for k in req.keys)
            self.record("approval_requested", loop=req.loop, request=req.id, deletes=len(req.keys),
                        guard=req.guard, legitimate=legit)
            self.record("approval_granted" if self.inner.granted else "approval_denied", loop=req.loop,
                        request=req.id, legitimate=legit, latency=0.0)
        self.inner.request(req, now)

    def lookup(self, request_id: str, digest: str, now: float) -> Approval | None:
        result: Approval | None = self.inner.lookup(request_id, digest, now)
        return result


class KillSwitches:
    """The kill switch per loop, as the simulation's store: engaged by the on-call, read by the loops."""

    def __init__(self) -> None:
        self.engaged: dict[str, bool] = {}

    def reader(self, loop: str) -> Callable[[], bool]:
        return lambda: self.engaged.get(loop, False)


class OnCall:
    """Paged per loop; engages that loop's kill switch after a delay, releases it after another."""

    def __init__(self, env: simpy.Environment, spec: OnCallSpec, switches: KillSwitches, rng: np.random.Generator,
                 record: Callable[..., None]) -> None:
        self.env, self.spec, self.switches, self.rng, self.record = env, spec, switches, rng, record
        self._responding: set[str] = set()
        self.pages = 0

    def page(self, loop: str, why: str) -> None:
        self.pages += 1
        self.record("page", loop=loop, reason=why)
        if loop in self._responding or self.switches.engaged.get(loop):
            return
        self._responding.add(loop)
        self.env.process(self._respond(loop))

    def _respond(self, loop: str) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.spec.delay.sample(self.rng))
        self.switches.engaged[loop] = True
        self.record("kill_switch_engaged", loop=loop)
        if self.spec.release_after is not None:
            yield self.env.timeout(self.spec.release_after.sample(self.rng))
            self.switches.engaged[loop] = False
            self.record("kill_switch_released", loop=loop)
        self._responding.discard(loop)
