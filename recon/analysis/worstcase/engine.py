"""The adversary's world: the scenario's loop on the real engine, one cycle per move, no SimPy.

:class:`Setup` is what a scenario fixes (the truth, the loop's policy, the cycle times, how its
approver and on-call behave at worst); :class:`Node` is the engine state between two cycles (the
loop's memory, what exists, the approver's answers, the on-call) with the wrongful deletes so
far. :func:`advance` runs ``recon.core.cycle.run_cycle`` for one move and answers its effects the
way the simulation's source, provider, approver and on-call would, so a trace of moves replays in
``recon simulate`` to the same deletes. Nothing here searches; :mod:`.search` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from recon.core.approval import Approval
from recon.core.cycle import run_cycle
from recon.core.effects import (
    Apply, CheckKillSwitch, Delete, Effect, FileApprovalRequest, GetApproval, LoadDesired, Observe, WriteResult,
)
from recon.core.model import Key, Observation, Resource
from recon.core.policy import Policy, RunMode
from recon.core.record import CycleResult, LoopState
from recon.drivers.loop import drive
from recon.drivers.schedule import Schedule
from recon.sim.distributions import Dist
from recon.sim.run import Streams, build_world
from recon.sim.scenario import Scenario
from recon.sim.script import ScriptStep, scripted_desired, scripted_observation
from recon.sim.sources import SourceError, matches

WORLD_SEED = 0  # the trace replays with `recon simulate`'s default seed, which also picks initially_missing


@dataclass(frozen=True, slots=True)
class Setup:
    """What the scenario fixes for the search. *approves* says whether the approver may grant a
    bogus delete set; *oncall_delay* is the on-call's slowest response (inf: never within the
    horizon), None without an on-call."""

    loop: str
    policy: Policy
    mode: RunMode
    truth: Mapping[Key, Resource]
    intended: Mapping[Key, Resource]
    in_scope: Callable[[Key], bool]
    times: tuple[float, ...]
    approves: bool
    approver_name: str
    ttl: float
    oncall_delay: float | None
    page_on_guards: tuple[str, ...]
    initial: Mapping[Key, Resource]


@dataclass(frozen=True, slots=True)
class Node:
    """The engine state after a number of cycles, and the wrongful deletes it took to get there.
    *paged_at* is when the on-call was first paged (they respond once), None before."""

    state: LoopState
    present: Mapping[Key, Resource]
    answers: Mapping[str, Approval]
    paged_at: float | None
    pages: int
    wrongful: int
    tripped: frozenset[str] = frozenset()

    def key(self, setup: Setup) -> tuple[Any, ...]:
        """What decides the future: equal keys at the same cycle have equal futures, so the search
        keeps only the node with more deletes. A deny-all approver's answers never change a
        verdict (a denial holds like no answer), so they are left out."""
        answers = tuple(sorted((i, a.granted, a.expires_at) for i, a in self.answers.items())) if self.answers \
            and any(a.granted for a in self.answers.values()) else ()
        return (freeze(self.state, skip=("cycle",)), frozenset(self.present), answers, self.paged_at)


def freeze(value: Any, skip: tuple[str, ...] = ()) -> Any:
    """A hashable, canonical copy of a value made of dataclasses, mappings, sets and sequences.

    A dataclass field outside its class's equality (``compare=False``, such as the loop state's
    change-fed diff cache, whose plan always equals the full diff) is not part of the state."""
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple((f.name, freeze(getattr(value, f.name)))
                                               for f in fields(value) if f.compare and f.name not in skip)
    if isinstance(value, Mapping):
        return tuple(sorted((freeze(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def slowest(d: Dist) -> float:
    """The latest a delay drawn from *d* can be: the worst case for a human who should stop a loop."""
    if d.dist == "constant":
        return d.value
    if d.dist == "uniform":
        return d.high
    return math.inf  # exponential and lognormal have no upper bound


def setup_for(sc: Scenario, horizon: int) -> Setup:
    """The search's view of scenario *sc* over *horizon* cycles (one loop; checked by the caller)."""
    spec = sc.loop_specs()[0]
    streams = Streams(np.random.SeedSequence(WORLD_SEED))
    truth, present, managed = build_world(sc.world, [spec], streams.rng("world"))
    in_scope = matches(spec.scope)
    schedule, rng = Schedule(spec.period, spec.jitter), streams.rng(f"loop:{spec.name}")
    times, t = [], spec.offset
    for _ in range(horizon + 1):  # one more: the trace's duration ends where the next cycle would start
        times.append(t)
        t = t + schedule.next_delay(rng)
    approver = spec.approver
    approves = approver.type == "approve-all" or (approver.type == "human" and approver.p_approve_bogus > 0)
    oc = sc.oncall
    return Setup(
        loop=spec.name, policy=spec.policy(), mode=RunMode(spec.mode),
        truth=MappingProxyType({r.key: r for r in truth}),
        intended=MappingProxyType({r.key: r for r in truth if r.key in managed and in_scope(r.key)}),
        in_scope=in_scope, times=tuple(times), approves=approves,
        approver_name="approve-all" if approves else "deny-all", ttl=approver.ttl,
        oncall_delay=slowest(oc.delay) if oc is not None else None,
        page_on_guards=oc.page_on_guards if oc is not None else (),
        initial=MappingProxyType({r.key: r for r in present}),
    )


def start(setup: Setup) -> Node:
    """The engine state before the first cycle: a fresh loop over the world as it starts."""
    return Node(LoopState(), setup.initial, MappingProxyType({}), None, 0, 0)


def switch_engaged(setup: Setup, node: Node, i: int) -> bool:
    """Whether the on-call has pulled the switch by cycle *i*. At a tie the switch is already engaged:
    in the simulation the loop's next cycle waits on a condition event, which fires after the timer."""
    if node.paged_at is None or setup.oncall_delay is None:
        return False
    return setup.times[i] >= node.paged_at + setup.oncall_delay


def advance(setup: Setup, node: Node, i: int, step: ScriptStep) -> tuple[Node, CycleResult]:
    """Cycle *i* of the loop from *node* with the desired source and the list answering as *step* says."""
    now = setup.times[i]
    present = dict(node.present)
    answers = dict(node.answers)
    wrongful = 0

    def handle(effect: Effect) -> Any:
        nonlocal wrongful
        if isinstance(effect, CheckKillSwitch):
            return switch_engaged(setup, node, i)
        if isinstance(effect, LoadDesired):
            loaded = scripted_desired(setup.intended, step, f"{setup.loop}-desired", str(i + 1))
            return SourceError(str(loaded)) if isinstance(loaded, Exception) else loaded
        if isinstance(effect, Observe):
            seen = MappingProxyType({k: r for k, r in present.items() if setup.in_scope(k)})
            return scripted_observation(Observation(seen, True, None, setup.loop, now), step)
        if isinstance(effect, GetApproval):
            return answers.get(effect.request_id)
        if isinstance(effect, FileApprovalRequest):
            req = effect.request
            answers.setdefault(req.id, Approval(req.id, req.digest, setup.approves, setup.approver_name,
                                                now, now + setup.ttl))
            return None
        if isinstance(effect, Apply):
            present[effect.change.key] = effect.change.target
            return WriteResult(True)
        if isinstance(effect, Delete):
            if present.pop(effect.change.key, None) is not None and effect.change.key in setup.truth:
                wrongful += 1
            return WriteResult(True)
        raise TypeError(f"unknown effect {effect!r}")

    result = drive(run_cycle(setup.loop, setup.policy, node.state, now, mode=setup.mode), handle)
    record = result.record
    paged = bool(record.alerts) or any(g in setup.page_on_guards for g in record.guards_tripped)
    # the on-call responds to the first page only; one who never comes in time leaves no trace in the state
    responds = paged and node.paged_at is None and setup.oncall_delay is not None and setup.oncall_delay < math.inf
    nxt = Node(result.state, MappingProxyType(present), MappingProxyType(answers), now if responds else node.paged_at,
               node.pages + paged, node.wrongful + wrongful, node.tripped | set(record.guards_tripped))
    return nxt, result
