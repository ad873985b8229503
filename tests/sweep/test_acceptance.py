"""Issue 4's acceptance sweep on the shipped scenarios: 3 delete caps x 3 shrink thresholds x 20 seeds
on the empty-config and migration-approval scenarios, run twice from the same root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recon.analysis.frontier import Bounds
from recon.analysis.sweep import run_sweep
from tests.conftest import ROOT

SCENARIOS = [ROOT / "scenarios" / "empty-config.yaml", ROOT / "scenarios" / "migration-approval.yaml"]
# Switch the cap and the shrink guard on everywhere (empty-config turns them off to isolate
# empty_desired) and take empty_desired away, so the grid decides what stops the wipe.
SETS = ["loop.guards.empty_desired=false", "loop.guards.max_deletes.enabled=true",
        "loop.guards.max_deletes.max_fraction=null", "loop.guards.desired_shrink.enabled=true"]
GRID = {"loop.guards.max_deletes.max": [10, 50, 250], "loop.guards.desired_shrink.max_fraction": [0.2, 0.5, 1.0]}


@pytest.mark.slow
def test_acceptance_sweep_finishes_and_its_recommendation_reproduces(tmp_path: Path) -> None:
    bounds = Bounds(max_wrongful_deletes=0, max_p95_converge=7200)
    first = run_sweep(SCENARIOS, GRID, 20, root_seed=2024, workers=2, sets=SETS, bounds=bounds, out_dir=tmp_path / "1")
    assert len(first.runs) == 9 * 20 * 2 and first.computed == 360
    for name in ("sweep.csv", "points.csv", "frontier.png", "recommendation.json"):
        assert (tmp_path / "1" / name).stat().st_size > 0
    rec = first.recommendation
    assert rec["satisfied"] and rec["setting"]["loop.guards.max_deletes.max"] != 250
    # with everything loose (cap 250, shrink 1.0) the empty config deletes all 200 resources
    loose = first.points[(first.points["point"] == 8) & (first.points["scenario"] == "empty-config")]
    assert loose["wrongful_deletes_mean"].iloc[0] == 200
    assert 8 not in rec["feasible_points"]

    second = run_sweep(SCENARIOS, GRID, 20, root_seed=2024, workers=2, sets=SETS, bounds=bounds, out_dir=tmp_path / "2")
    assert second.recommendation == json.loads(json.dumps(rec))
    for name in ("sweep.csv", "points.csv", "recommendation.json", "frontier.png"):
        assert (tmp_path / "2" / name).read_bytes() == (tmp_path / "1" / name).read_bytes(), name
