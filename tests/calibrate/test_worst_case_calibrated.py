"""Issue 15 item 3: `recon worst-case` and `recon sweep --worst-case` on a scenario `recon calibrate`
wrote from a 400-resource history work as on any other: the default budget ends the search, worst.json
says bounded or exhaustive and what it ignored, and the trace replays with `recon simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.calibrate.test_calibrate_snapshots import TRUTH, recon, write_history


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("calibrated")
    loop = write_history(folder, TRUTH, seed=11)
    r = recon("calibrate", str(loop), "--snapshots", "snaps", "--out", "out/web.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder


@pytest.mark.timeout(600)
def test_worst_case_on_a_calibrated_400_resource_scope_ends_within_the_default_budget(calibrated: Path) -> None:
    r = recon("worst-case", "out/web.yaml", "--horizon", "5", "--out", "D", cwd=calibrated)
    assert r.returncode == 0, r.stderr
    worst = json.loads((calibrated / "D" / "worst.json").read_text(encoding="utf-8"))
    assert worst["search"] in ("bounded", "exhaustive") and worst["horizon"] == 5
    if worst["search"] == "bounded":  # never claims more than it covered
        assert worst["proof"] is None and worst["upper_bound"] > worst["wrongful_deletes"]
    assert worst["upper_bound"] >= worst["wrongful_deletes"] >= worst["sliding_block_deletes"]
    # the calibrated drift is left out, and said so once on stderr
    assert worst["ignored"] and worst["ignored"][0].startswith("drift (edit_rate=")
    assert sum("ignored (the adversary stands in for them): drift" in ln for ln in r.stderr.splitlines()) == 1
    sim = recon("simulate", "D/trace.yaml", "--no-plots", "--out", "R", cwd=calibrated)
    assert sim.returncode == 0, sim.stderr
    summary = json.loads((calibrated / "R" / "summary.json").read_text(encoding="utf-8"))
    assert summary["wrongful_deletes"] == worst["wrongful_deletes"] and summary["cycles"] == 5


@pytest.mark.timeout(600)
def test_sweep_with_the_worst_case_on_the_calibrated_scenario_completes(calibrated: Path) -> None:
    r = recon("sweep", "out/web.yaml", "--set", "duration=600", "--grid", "loop.guards.max_deletes.max=5,50",
              "--seeds", "2", "--seed", "1", "--workers", "1", "--no-progress", "--worst-case",
              "--worst-case-horizon", "5", "--worst-case-max-cycles", "2000", "--out", "sweep", cwd=calibrated)
    assert r.returncode == 0, r.stderr
    points = pd.read_csv(calibrated / "sweep" / "points.csv")
    assert len(points) == 2 and points["worst_case_wrongful"].notna().all()
    assert "ignored (the adversary stands in for them): drift" in r.stderr
    rec = json.loads((calibrated / "sweep" / "recommendation.json").read_text(encoding="utf-8"))
    assert rec["worst_case"]["settings"]["max_cycles"] == 2000 and set(rec["worst_case"]["per_point"]) == {"0", "1"}
