"""The SimPy driver runs the core's cycle generator, the same one the real-time driver runs, and
turns effects into simulated time."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

import recon.drivers.simtime as simtime
from recon.approvers import DenyAll
from recon.core.model import Observation, Resource
from recon.drivers.loop import Loop, run_once
from recon.drivers.schedule import Schedule
from recon.drivers.simtime import SimDriver
from recon.drivers.timed import Timed
from recon.providers.memory import MemoryProvider
from recon.sources.callable import CallableSource

DESIRED = [Resource("rule", f"r{i}", {"port": i}) for i in range(20)]


def _loop(world: MemoryProvider, observe_only: bool = False) -> Loop:
    return Loop(name="fw", source=CallableSource(lambda: DESIRED, "inline"), observer=world,
                actuator=None if observe_only else world, approver=DenyAll())


def _drifted_world() -> MemoryProvider:
    w = MemoryProvider(DESIRED[3:] + [Resource("rule", "extra", {"port": 99})])
    w.external_put(Resource("rule", "r5", {"port": 0}))
    return w


def test_simulated_cycles_equal_the_synchronous_interpreter_cycle_by_cycle() -> None:
    env = simpy.Environment()
    sim_world, ref_world = _drifted_world(), _drifted_world()
    sim_records: list[dict[str, Any]] = []
    SimDriver(env, _loop(sim_world), Schedule(30.0), on_record=lambda res: sim_records.append(res.record.to_dict()))
    env.run(until=100)
    ref = _loop(ref_world)
    ref_records = [run_once(ref, t).record.to_dict() for t in (0.0, 30.0, 60.0, 90.0)]
    for a, b in zip(sim_records, ref_records, strict=True):
        a.pop("duration"), b.pop("duration")
        assert a == b
    assert sim_world.snapshot() == ref_world.snapshot() == {r.key: r for r in DESIRED}


def test_the_driver_runs_the_core_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = simtime.run_cycle

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(a[0])
        return real(*a, **k)

    monkeypatch.setattr(simtime, "run_cycle", spy)
    env = simpy.Environment()
    SimDriver(env, _loop(_drifted_world()), Schedule(10.0))
    env.run(until=35)
    assert calls == ["fw"] * 4


def test_observe_only_never_writes_in_simulated_time() -> None:
    env = simpy.Environment()
    world = _drifted_world()
    records: list[Any] = []
    SimDriver(env, _loop(world, observe_only=True), Schedule(10.0), on_record=lambda res: records.append(res.record))
    env.run(until=50)
    assert world.writes == 0 and len(records) == 5
    assert all(r.would_create == 3 and r.would_update == 1 and r.would_delete == 1 for r in records)


def test_period_jitter_and_triggers() -> None:
    env = simpy.Environment()
    times: list[float] = []
    d = SimDriver(env, _loop(MemoryProvider(DESIRED)), Schedule(10.0, jitter=0.5),
                  rng=np.random.default_rng(1), offset=5.0, on_record=lambda res: times.append(res.record.time))
    env.run(until=200)
    gaps = np.diff(times)
    assert times[0] == 5.0 and gaps.min() >= 5.0 and gaps.max() <= 15.0 and gaps.std() > 0.5
    env.process(_poke(env, d, at=201.0))
    before = len(times)
    env.run(until=201.5)
    assert times[before:] == [201.0]  # the triggered cycle runs at once, not at the next tick
    with pytest.raises(ValueError, match="rng"):
        SimDriver(env, _loop(MemoryProvider()), Schedule(10.0, jitter=0.1))


def _poke(env: simpy.Environment, d: SimDriver, at: float) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(at - env.now)
    d.trigger()


class SlowFlakyWorld(MemoryProvider):
    """Timed variants: listing takes 4 s, every apply of r0 fails after 1 s."""

    def __init__(self, env: simpy.Environment, items: list[Resource]) -> None:
        super().__init__(items)
        self.env = env

    def observe_process(self) -> Generator[simpy.Event, Any, Observation]:
        yield self.env.timeout(4.0)
        return self.observe()

    def apply_process(self, resource: Resource) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(1.0)
        if resource.name == "r0":
            raise ConnectionError("connection reset by peer")
        self.apply(resource)


def test_timed_effects_take_simulated_time_and_errors_are_answers() -> None:
    env = simpy.Environment()
    world = SlowFlakyWorld(env, DESIRED[2:])
    loop = _loop(world)
    records: list[Any] = []
    SimDriver(env, loop, Schedule(60.0), on_record=lambda res: records.append(res.record),
              timed=Timed(observe=world.observe_process, apply=world.apply_process))
    env.run(until=30)
    first = records[0]
    assert first.duration == 4.0 + 2 * 1.0  # one list, two applies
    assert first.applied_create == 1 and first.failed == 1
    assert "create rule/r0: ConnectionError: connection reset by peer" in first.errors
    assert loop.state.backoff[("rule", "r0")] == (1, 5.0)  # retry_base after the cycle's start
    env.run(until=100)
    assert loop.state.backoff[("rule", "r0")][0] == 2 and records[1].failed == 1
