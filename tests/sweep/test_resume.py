"""A sweep killed halfway resumes: the rerun computes only the runs that had not finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from recon.analysis.sweep import run_sweep
from tests.sweep.conftest import GRID

SEEDS = 8
SETS = ["duration=30000"]  # long enough (a few tens of ms a run) for the kill to land mid-sweep


def _finished_rows(csv_path: Path) -> int:
    if not csv_path.exists():
        return 0
    return max(0, csv_path.read_bytes().count(b"\n") - 1)


def test_killed_sweep_resumes_without_recomputing_finished_runs(tiny, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    total = 4 * SEEDS
    cmd = [sys.executable, "-m", "recon", "sweep", str(tiny[1]), *(a for g in GRID for a in ("--grid", g)),
           *(a for s in SETS for a in ("--set", s)), "--seeds", str(SEEDS), "--seed", "21", "--workers", "1",
           "--batch-size", "1", "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _finished_rows(out / "sweep.csv") < total // 3:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker, as a kill -9 or an OOM would
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished = _finished_rows(out / "sweep.csv")
    assert total // 3 <= finished < total, "the kill must land mid-sweep"
    assert not (out / "recommendation.json").exists()

    resumed = run_sweep(tiny[1], GRID, SEEDS, root_seed=21, workers=1, sets=SETS, out_dir=out)
    assert resumed.reused == finished
    assert resumed.computed == total - finished
    clean = run_sweep(tiny[1], GRID, SEEDS, root_seed=21, workers=2, sets=SETS, out_dir=tmp_path / "clean")
    assert clean.computed == total
    for name in ("sweep.csv", "points.csv", "recommendation.json"):
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name
