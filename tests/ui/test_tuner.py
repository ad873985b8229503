"""ThresholdTuner: sliders set the scenario, the summary is what the simulation computes for it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from recon.sim import load_scenario, simulate
from recon.ui import ThresholdTuner
from recon.ui.tuner import converge_text

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "notebooks" / "tuner-lab.yaml"
MIGRATION = ROOT / "scenarios" / "migration-approval.yaml"


def expected(path: Path, *overrides: str, seed: int = 0) -> dict:
    return simulate(load_scenario(path, list(overrides)), seed=seed).summary


def shown(t: ThresholdTuner) -> tuple[str, str]:
    html = t.summary.value
    wrongful = html.split("class='recon-wrongful'")[1].split(">", 1)[1].split("<", 1)[0]
    converge = html.split("class='recon-converge'>")[1].split("<", 1)[0]
    return wrongful, converge


def test_moving_max_deletes_shows_what_the_simulation_computes() -> None:
    t = ThresholdTuner([LAB], plots=False)
    base = expected(LAB)
    assert shown(t) == (str(base["wrongful_deletes"]), converge_text(base))
    assert t.max_deletes.value == 10 and t.max_delete_fraction.value == 1.0

    for cap in (20, 60):
        t.max_deletes.value = cap
        want = expected(LAB, f"loop.guards.max_deletes.max={cap}")
        assert shown(t) == (str(want["wrongful_deletes"]), converge_text(want))
        assert f"max_deletes {cap}" in t.summary.value
    # The lab scenario is built so the three bands differ: held migration, clean, bogus set through.
    assert expected(LAB, "loop.guards.max_deletes.max=60")["wrongful_deletes"] > 0 == base["wrongful_deletes"]


def test_guard_switches_and_other_sliders_reach_the_simulation() -> None:
    t = ThresholdTuner([LAB], plots=False)
    t.enabled["max_deletes"].value = False
    assert t.max_deletes.disabled and "max_deletes off" in t.summary.value
    assert "loop.guards.max_deletes.enabled=false" in t.overrides()
    assert t.result is not None
    assert t.result.summary == expected(LAB, "loop.guards.max_deletes=false")
    t.enabled["max_deletes"].value = True
    t.period.value = 300
    assert t.result.summary == expected(LAB, "loop.period=300")
    assert t.result.scenario.loop.period == 300


def test_picking_a_scenario_loads_its_thresholds_and_reruns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    t = ThresholdTuner([LAB, MIGRATION], plots=False)
    runs = []
    original = t.rerun
    monkeypatch.setattr(t, "rerun", lambda: (runs.append(1), original())[1])
    t._debounced.fn = t.rerun
    t.scenario_picker.value = "migration-approval"
    assert len(runs) == 1
    assert (t.max_deletes.value, t.max_delete_fraction.value, t.desired_shrink.value, t.period.value) == (10, 0.25, 0.3, 120)
    assert t.enabled["desired_shrink"].value is True
    assert t.result.summary == expected(MIGRATION)


def test_a_burst_of_changes_inside_a_kernel_loop_runs_once() -> None:
    t = ThresholdTuner([LAB], plots=False, debounce=30)
    calls = []
    t._debounced.fn = lambda: calls.append(t.max_deletes.value)

    async def burst() -> None:
        for cap in (11, 12, 13, 40):
            t.max_deletes.value = cap
        assert calls == [] and t._debounced.pending and "rerunning" in t.status.value
        t.flush()

    asyncio.run(burst())
    assert calls == [40]


def test_plots_are_png_images() -> None:
    t = ThresholdTuner([LAB])
    assert t.convergence.value[:8] == b"\x89PNG\r\n\x1a\n" and t.diff_sets.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_scenario_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("world: {resources: -1}\n")
    with pytest.raises(Exception, match="bad.yaml"):
        ThresholdTuner([bad])


def test_the_setting_is_marked_on_a_loaded_sweep_frontier() -> None:
    from recon.analysis.sweep import run_sweep

    sweep = run_sweep(LAB, {"loop.guards.max_deletes.max": [0, 10, 20, 40, 60]}, seeds=2, workers=1)
    t = ThresholdTuner([LAB], sweep=sweep, plots=False)
    assert "this setting is max_deletes=10" in t.frontier_note.value
    assert t.frontier.value[:4] == b"\x89PNG"
    t.max_deletes.value = 33
    assert "nearest grid point is max_deletes=40" in t.frontier_note.value
