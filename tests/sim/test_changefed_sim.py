"""The simulation on the change-fed path: watch observations feed the core's change-fed diff, whose
plan is the full diff of what the cache showed on every cycle, through lost and late events."""

from __future__ import annotations

from typing import Any

import pytest

from recon.core.plan import diff
from recon.sim.provider import SimProvider
from recon.sim.run import build


def _scenario(provider: dict[str, Any]) -> dict[str, Any]:
    return {"name": "fed", "duration": 3000, "record_resources": False, "world": {"resources": 300},
            "loop": {"period": 60, "guards": {"max_changes": {"max": 1000}}},
            "drift": {"delete_rate": 2e-4, "edit_rate": 3e-4, "create_rate": 0.02}, "provider": provider}


def _cycles(provider: dict[str, Any]) -> list[bool]:
    """Run the scenario cycle by cycle; check each plan against the full diff; say which were full."""
    sim = build(_scenario(provider), seed=3)
    driver = sim.drivers[0]
    observer = driver.loop.observer
    assert isinstance(observer, SimProvider)
    full: list[bool] = []
    while sim.env.peek() < sim.scenario.duration:
        seen = driver.cycles
        sim.env.step()
        if driver.cycles == seen:
            continue
        last = driver.loop.state.last_plan
        assert last is not None
        shown = observer.cache  # the loop's writes wait in the inbox: the cache is what it observed
        if shown is not None:
            assert last.plan == diff(last.desired.resources, shown, driver.loop.normalize)
        full.append(last.full)
    assert sim.world.drift_events > 20
    return full


@pytest.mark.parametrize("watch", [{"resync": 600}, {"resync": 900, "drop_p": 0.2, "delay": {"dist": "exponential",
                                                                                              "mean": 40}}])
def test_watch_cycles_take_the_change_fed_path_between_resyncs(watch: dict[str, Any]) -> None:
    full = _cycles({"watch": watch})
    resyncs = 1 + int((3000 - 1) // watch["resync"])
    assert sum(full) == resyncs and len(full) - sum(full) >= 40


def test_a_full_list_every_cycle_stays_the_full_diff() -> None:
    assert all(_cycles({}))  # a list carries no delta
