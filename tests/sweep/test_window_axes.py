"""The guards' windows across cycles are sweep axes like any other field (issue 13 item 2)."""

from __future__ import annotations

from pathlib import Path

from recon.analysis.sweep import run_sweep

LAB = Path(__file__).resolve().parents[2] / "notebooks" / "tuner-lab.yaml"
WINDOW, BUDGET = "loop.guards.max_deletes.window", "loop.guards.max_deletes.window_max"


def test_a_sweep_over_the_delete_window_finds_the_budget_that_holds_the_bogus_set(tmp_path: Path) -> None:
    # A per-cycle cap of 60 lets the lab's 54 bogus deletes through; 20 per hour holds them.
    result = run_sweep(LAB, {WINDOW: [600, 3600], BUDGET: [20, 100]}, 1, root_seed=5, workers=1,
                       sets=["loop.guards.max_deletes.max=60"], out_dir=tmp_path)
    points = result.points.set_index([WINDOW, BUDGET])
    assert points.loc[(3600, 20), "wrongful_deletes_mean"] == 0
    assert points.loc[(600, 100), "wrongful_deletes_mean"] == 54
    assert {WINDOW, BUDGET} <= set((tmp_path / "points.csv").read_text().splitlines()[0].split(","))
