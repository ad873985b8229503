"""Detection is when a loop's observation showed the drift, not when a list was asked for: stale
replicas, failed or cut lists and lost or late watch events delay it, and the summary says so."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from recon.core.model import Resource
from recon.sim import load_scenario, simulate
from recon.sim.provider import ApiError, ApiServer, SimProvider
from recon.sim.scenario import ProviderSpec
from recon.sim.world import World

ITEMS = [Resource("rule", f"fw-{i:03d}", {"port": i}) for i in range(30)]
SEEDS = (1, 2, 3)


def _provider(**faults: Any) -> tuple[simpy.Environment, World, SimProvider]:
    env = simpy.Environment()
    world = World(ITEMS, ITEMS, clock=lambda: env.now)
    api = ApiServer(env, ProviderSpec.model_validate(faults))
    return env, world, SimProvider(env, world, api, np.random.default_rng(0), "p", lambda k: True)


def _observe(env: simpy.Environment, p: SimProvider) -> Any:
    def run() -> Generator[simpy.Event, Any, Any]:
        try:
            return (yield from p.observe_process())
        except ApiError as e:
            return e

    proc = env.process(run())
    env.run(until=proc)
    return proc.value


def _edit(world: World, i: int, n: int = 1) -> None:
    world.put(Resource("rule", f"fw-{i:03d}", {"port": i, "edited": n}), "drift-edit")


def _detected(world: World, i: int) -> float | None:
    return world.open[("rule", f"fw-{i:03d}")].detected


def test_a_failed_list_detects_nothing() -> None:
    env, world, p = _provider(error_p=1.0)
    _edit(world, 3)
    assert isinstance(_observe(env, p), ApiError)
    assert _detected(world, 3) is None


def test_a_stale_replica_does_not_show_a_drift_that_came_after_it() -> None:
    env, world, p = _provider(stale_p=1.0, stale_lag=100.0)
    _observe(env, p)  # t=0: the replica everyone will be served
    env.run(until=150)
    _edit(world, 3)
    env.run(until=200)
    assert _observe(env, p).resources[("rule", "fw-003")].spec == {"port": 3}
    assert _detected(world, 3) is None
    p.spec = ProviderSpec()  # the replica catches up
    _observe(env, p)
    assert _detected(world, 3) == 200


def test_a_list_cut_before_the_drifted_key_does_not_detect_it() -> None:
    env, world, p = _provider(pages={"size": 10, "truncate_p": 1.0, "on_truncate": "silent"})
    _edit(world, 29)  # the last page: a cut list never reaches it
    _edit(world, 0)  # the first page: every list holds it
    obs = _observe(env, p)
    assert ("rule", "fw-029") not in obs.resources
    assert _detected(world, 29) is None and _detected(world, 0) == 0


def test_a_deleted_key_missing_from_the_list_is_detected() -> None:
    env, world, p = _provider()
    world.remove(("rule", "fw-007"), "drift-delete")
    _observe(env, p)
    assert _detected(world, 7) == 0


def test_detection_is_when_the_list_came_back() -> None:
    env, world, p = _provider(list_latency=4.0)
    _edit(world, 3)
    _observe(env, p)
    assert _detected(world, 3) == 4.0


def test_an_older_value_of_the_same_episode_still_shows_the_drift() -> None:
    env, world, p = _provider(watch={"resync": 1000, "delay": 10.0})
    _observe(env, p)  # the first list fills the cache
    _edit(world, 3, 1)
    env.run(until=5)
    _edit(world, 3, 2)  # its event is still on the way when the cache is read
    env.run(until=12)
    assert _observe(env, p).resources[("rule", "fw-003")].spec["edited"] == 1
    assert _detected(world, 3) == 12


def test_a_lost_watch_event_is_detected_only_by_the_next_resync() -> None:
    env, world, p = _provider(watch={"resync": 300, "drop_p": 1.0})
    _observe(env, p)
    _edit(world, 3)
    for t in (60, 120, 180, 240):
        env.run(until=t)
        _observe(env, p)
        assert _detected(world, 3) is None, t
    env.run(until=300)
    _observe(env, p)  # the resync lists
    assert _detected(world, 3) == 300


BASE = {"duration": 2 * 3600, "world": {"resources": 100}, "loop": {"period": 60.0},
        "drift": {"edit_rate": 1 / 3600}}
FAULTS = {
    "stale reads": {"stale_p": 0.8, "stale_lag": 300.0},
    "failed lists": {"error_p": 0.6},
    "dropped watch events": {"watch": {"resync": 600.0, "drop_p": 0.8}},
    "delayed watch events": {"watch": {"resync": 3600.0, "delay": {"dist": "exponential", "mean": 300.0}}},
}


def _delay(provider: dict[str, Any], seed: int) -> float:
    r = simulate(load_scenario({**BASE, "provider": provider}), seed=seed)
    assert r.summary["drift_detected"] > 50
    return float(r.summary["detection_delay_mean"])


@pytest.mark.parametrize("fault", FAULTS)
def test_detection_delay_grows_with_the_fault(fault: str) -> None:
    # the same provider without the fault: a watch stays a watch, only its events arrive whole and on time
    healthy = {"watch": {**FAULTS[fault]["watch"], "drop_p": 0.0, "delay": 0.0}} if "watch" in FAULTS[fault] else {}
    without = [_delay(healthy, s) for s in SEEDS]
    with_fault = [_delay(FAULTS[fault], s) for s in SEEDS]
    assert all(d < 40 for d in without), without  # ~T/2 when every observation is true
    assert all(d > 2.5 * max(without) for d in with_fault), (with_fault, without)


def test_only_clean_changes_the_event_counts_not_the_episodes() -> None:
    # docs/scenarios.md, "What only_clean changes": same seed, same episodes, fewer drift events
    def run(only_clean: bool) -> Any:
        return simulate(load_scenario({"duration": 3600, "world": {"resources": 20}, "loop": {"period": 60.0},
                                       "drift": {"edit_rate": 1 / 60, "delete_rate": 1 / 240,
                                                 "only_clean": only_clean}}), seed=5)

    def episodes(r: Any) -> Any:  # the same episodes; those healed in one cycle may close in another order
        return r.episodes.sort_values(["start", "kind", "name"]).reset_index(drop=True)

    thinned, every = run(True), run(False)
    assert len(thinned.episodes) > 100 and episodes(thinned).equals(episodes(every))
    for key in ("drift_episodes", "drift_dwell_mean", "drift_detected", "detection_delay_mean"):
        assert thinned.summary[key] == every.summary[key], key
    assert thinned.summary["drift_events"] == thinned.summary["drift_episodes"]
    assert every.summary["drift_events"] > every.summary["drift_episodes"]


def test_a_triggered_loop_is_woken_by_the_watch_event_not_by_the_drift() -> None:
    def run(watch: dict[str, Any]) -> Any:
        return simulate(load_scenario({"duration": 3600, "world": {"resources": 50},
                                       "loop": {"period": 600.0, "triggered": True},
                                       "provider": {"watch": {"resync": 3600.0, **watch}},
                                       "drift": {"edit_rate": 1 / 3600}}), seed=2)

    late = run({"delay": 20.0})  # the cycle runs when the event reaches the cache, and sees the drift
    assert late.summary["drift_detected"] > 20
    assert late.summary["detection_delay_mean"] == pytest.approx(20.0)
    lost = run({"drop_p": 1.0})  # no event arrives: only the periodic cycles run, and see nothing
    assert lost.summary["cycles"] == 6 and lost.summary["drift_detected"] == 0
