"""Build a simulation from a scenario, run it in SimPy, and hand back a :class:`SimResult`.

``simulate(scenario, seed)`` wires the world, one fake provider and one failing desired source per
loop, the engine's loops (``recon.drivers.loop.Loop``) under the SimPy driver, drift, humans and the
recorder. Every random process draws from its own Generator, derived from the seed by name, so the
same scenario and seed give byte-identical outputs, and adding a process does not shift the others.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from recon.approvers import ApproveAll, DenyAll
from recon.core.model import Key, Resource
from recon.core.policy import RunMode
from recon.core.record import CycleResult
from recon.drivers.loop import Loop
from recon.drivers.schedule import Schedule
from recon.drivers.simtime import SimDriver
from recon.drivers.timed import Timed
from recon.sim.drift import Drift
from recon.sim.humans import HumanApprover, KillSwitches, OnCall, RecordingApprover
from recon.sim.provider import ApiServer, SimProvider
from recon.sim.recorder import Recorder
from recon.sim.scenario import LoopSpec, Scenario, WorldSpec, load_scenario
from recon.sim.sources import SimSource, desired_process, matches
from recon.sim.world import World


class Streams:
    """Independent random streams named by purpose, all derived from one SeedSequence."""

    def __init__(self, root: np.random.SeedSequence) -> None:
        self.root = root

    def rng(self, name: str) -> np.random.Generator:
        key = tuple(self.root.spawn_key) + (zlib.crc32(name.encode()),)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.root.entropy, spawn_key=key)))


def build_world(spec: WorldSpec, loops: list[LoopSpec], rng: np.random.Generator) -> tuple[list[Resource], list[Resource], set[Key]]:
    """The truth (managed + foreign), what is present at t=0, and the managed keys."""
    scopes = [(matches(s.scope), s.owner_id) for s in loops]
    managed: list[Resource] = []
    for i in range(spec.resources):
        group = spec.groups[i % len(spec.groups)]
        kind = spec.kinds[(i // len(spec.groups)) % len(spec.kinds)]
        name = f"{group}-{i:05d}"
        owner = next((o for hit, o in scopes if hit((kind, name))), None)
        managed.append(Resource(kind, name, {"port": 1024 + i % 60000, "proto": "tcp", "action": "allow",
                                             "values": [f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"]}, owner))
    foreign = [Resource(spec.kinds[i % len(spec.kinds)], f"{spec.groups[i % len(spec.groups)]}-foreign-{i:04d}",
                        {"port": 30000 + i, "proto": "udp", "action": "allow"}, "someone-else")
               for i in range(spec.foreign)]
    missing: set[int] = set()
    if spec.initially_missing:
        n = min(spec.initially_missing, len(managed))
        missing = set(rng.permutation(len(managed))[:n].tolist())
    present = [r for i, r in enumerate(managed) if i not in missing] + foreign
    return managed + foreign, present, {r.key for r in managed}


@dataclass
class SimResult:
    """Frames and summary of one run; ``write`` saves the data to a folder.

    Plots belong to the analysis layer above: ``recon.analysis.plots.write_plots(result, folder)``."""

    scenario: Scenario
    cycles: pd.DataFrame
    events: pd.DataFrame
    episodes: pd.DataFrame
    summary: dict[str, Any]
    event_records: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write cycles.csv, events.jsonl, episodes.csv and summary.json; return the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "cycles.csv", out / "events.jsonl", out / "episodes.csv", out / "summary.json"]
        self.cycles.to_csv(paths[0], index=False, lineterminator="\n")
        rows = self.event_records or [{k: v for k, v in row.items() if not (isinstance(v, float) and v != v)}
                                      for row in self.events.to_dict("records")]
        with paths[1].open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, sort_keys=True, default=_jsonable) + "\n")
        self.episodes.to_csv(paths[2], index=False, lineterminator="\n")
        paths[3].write_text(json.dumps(self.summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return paths


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def simulate(scenario: Scenario | dict[str, Any] | str | Path, seed: int | np.random.SeedSequence = 0,
             progress: bool = False, overrides: Sequence[str] = ()) -> SimResult:
    """Run *scenario* with *seed* (an int or a SeedSequence, e.g. one spawned by a sweep) after the
    ``--set`` *overrides*, which the summary (``overrides``) and the plot titles name."""
    sim = build(scenario, seed, overrides)
    _run(sim.env, sim.scenario.duration, progress)
    return sim.result()


@dataclass
class Simulation:
    """A simulation wired and not yet run: :func:`simulate` runs it to the scenario's end; a
    benchmark can run it in steps (``env.run(until=...)``) and look at its loops in between."""

    scenario: Scenario
    env: simpy.Environment
    world: World
    recorder: Recorder
    api: ApiServer
    drivers: list[SimDriver]
    oncall: OnCall | None
    root: np.random.SeedSequence
    overrides: list[str]

    def result(self) -> SimResult:
        """The frames and summary of what ran so far."""
        sc, rec = self.scenario, self.recorder
        cycles = rec.cycles_frame()
        summary = rec.summary(duration=sc.duration, seed={"entropy": self.root.entropy, "spawn_key": self.root.spawn_key},
                              api_calls=self.api.calls, throttled=self.api.throttled,
                              loops=[d.loop.name for d in self.drivers],
                              pages=self.oncall.pages if self.oncall else 0, cycles=cycles)
        summary["scenario"] = sc.name
        summary["overrides"] = self.overrides
        return SimResult(sc, cycles, rec.events_frame(), rec.episodes_frame(), summary, rec.events)


def build(scenario: Scenario | dict[str, Any] | str | Path, seed: int | np.random.SeedSequence = 0,
          overrides: Sequence[str] = ()) -> Simulation:
    """Wire the world, providers, sources, loops, drift and humans of *scenario* (see :func:`simulate`)."""
    sc = scenario if isinstance(scenario, Scenario) and not overrides else load_scenario(scenario, list(overrides))
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    streams = Streams(root)
    env = simpy.Environment()
    specs = sc.loop_specs()
    truth, present, managed = build_world(sc.world, specs, streams.rng("world"))
    world = World(truth, present, keep_episodes=sc.record_resources, clock=lambda: env.now)
    rec = Recorder(lambda: env.now, world)
    api = ApiServer(env, sc.provider)
    switches = KillSwitches()
    oncall = OnCall(env, sc.oncall, switches, streams.rng("oncall"), rec.event) if sc.oncall else None

    drivers: list[tuple[SimDriver, Any, LoopSpec]] = []
    sources: list[SimSource] = []

    def on_record(spec: LoopSpec) -> Any:
        def handle(result: CycleResult) -> None:
            record = result.record
            rec.cycle(record, result.decision)
            if oncall is not None:
                if record.alerts:
                    oncall.page(record.loop, record.alerts[0])
                hit = [g for g in record.guards_tripped if g in sc.oncall.page_on_guards]  # type: ignore[union-attr]
                if hit:
                    oncall.page(record.loop, f"guard tripped: {', '.join(hit)}")
        return handle

    for spec in specs:
        policy = spec.policy()
        in_scope = matches(spec.scope)
        provider = SimProvider(env, world, api, streams.rng(f"provider:{spec.name}"), spec.name, in_scope,
                               on_event=rec.event, script=sc.script)
        source = SimSource(world, f"{spec.name}-desired", in_scope, managed, on_event=rec.event, script=sc.script)
        sources.append(source)
        if spec.approver.type == "human":
            approver: Any = HumanApprover(env, world, spec.approver, streams.rng(f"approver:{spec.name}"), rec.event)
        else:
            ttl = policy.approval_ttl
            inner = ApproveAll(ttl) if spec.approver.type == "approve-all" else DenyAll(ttl)
            approver = RecordingApprover(inner, world, rec.event)
        loop = Loop(name=spec.name, source=source, observer=provider, policy=policy,
                    actuator=provider if RunMode(spec.mode) is RunMode.ENFORCE else None, approver=approver,
                    kill_switch=switches.reader(spec.name))
        timed = Timed(observe=provider.observe_process, apply=provider.apply_process, delete=provider.delete_process)
        driver = SimDriver(env, loop, Schedule(spec.period, spec.jitter), rng=streams.rng(f"loop:{spec.name}"),
                           offset=spec.offset, on_record=on_record(spec), timed=timed)
        drivers.append((driver, in_scope, spec))
        if spec.triggered and sc.provider.watch is not None:
            provider.on_drift_delivered = lambda k, d=driver: d.trigger()  # woken by the feed, as it delivers

    # without a watch the change feed is ideal: a drift in scope wakes a triggered loop at once
    triggered = [(d, hit) for d, hit, s in drivers if s.triggered and sc.provider.watch is None]

    def notify(k: Key) -> None:
        for d, hit in triggered:
            if hit(k):
                d.trigger()

    Drift(env, world, sc.drift, sc.world, managed, streams.rng("drift"), notify, rec.event)
    for i, ev in enumerate(sc.desired):
        env.process(desired_process(env, ev, sources, world, managed, streams.rng(f"desired:{i}"), rec.event))

    return Simulation(sc, env, world, rec, api, [d for d, _, _ in drivers], oncall, root, list(overrides))


def _run(env: simpy.Environment, duration: float, progress: bool) -> None:
    if not progress:
        env.run(until=duration)
        return
    from tqdm import tqdm

    steps = 200
    with tqdm(total=steps, desc="simulating", unit="%", leave=False,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| t={postfix}") as bar:
        for i in range(1, steps + 1):
            env.run(until=duration * i / steps)
            bar.set_postfix_str(f"{env.now:g}s")
            bar.update(1)
