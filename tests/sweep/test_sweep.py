"""Sweeps over the real simulation: outputs, reproducibility, replay, resuming, refusals."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from recon.analysis.sweep import SweepError, run_sweep, simulate_summary
from recon.cli import main
from tests.sweep.conftest import GRID

OUTPUTS = ("sweep.csv", "points.csv", "frontier.png", "recommendation.json")


def _sweep(out: Path, *scenarios: Path, extra: tuple[str, ...] = ()) -> object:
    args = ["sweep", *map(str, scenarios), *(a for g in GRID for a in ("--grid", g)), "--seeds", "3",
            "--workers", "2", "--no-progress", "--out", str(out), *extra]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _bytes(d: Path) -> dict[str, bytes]:
    return {n: (d / n).read_bytes() for n in OUTPUTS}


def test_sweep_writes_every_output_and_the_same_root_reproduces_it(tiny, tmp_path: Path) -> None:
    r1 = _sweep(tmp_path / "a", *tiny, extra=("--seed", "11"))
    assert r1.exit_code == 0, r1.output
    runs = pd.read_csv(tmp_path / "a" / "sweep.csv")
    assert len(runs) == 4 * 3 * 2  # grid points x seeds x scenarios
    assert set(runs["scenario"]) == {"tiny-empty", "tiny-migration"}
    assert {"root_entropy", "spawn_key", "seed", "wrongful_deletes", "time_to_converge", "approvals_requested",
            "trips_desired_shrink", "replay", *(g.split("=")[0] for g in GRID)} <= set(runs.columns)
    assert (runs["root_entropy"] == 11).all()
    points = pd.read_csv(tmp_path / "a" / "points.csv")
    assert len(points) == 4 * 2
    assert {"wrongful_deletes_mean", "wrongful_deletes_lo", "wrongful_deletes_hi", "converge_p50", "converge_p95",
            "approvals_requested_mean", "guard_trips_mean"} <= set(points.columns)
    # shrink guard off with a loose cap lets the empty config wipe the world; the guarded points do not
    wiped = points[(points["scenario"] == "tiny-empty") & ~points["loop.guards.desired_shrink.enabled"]
                   & (points["loop.guards.max_deletes.max"] == 50)]
    assert wiped["wrongful_deletes_mean"].iloc[0] == 40
    assert (points[points["loop.guards.desired_shrink.enabled"]]["wrongful_deletes_mean"] == 0).all()
    rec = json.loads((tmp_path / "a" / "recommendation.json").read_text())
    assert rec["satisfied"] and rec["setting"] != {"loop.guards.desired_shrink.enabled": False,
                                                  "loop.guards.max_deletes.max": 50}
    assert (tmp_path / "a" / "frontier.png").read_bytes()[:4] == b"\x89PNG"

    r2 = _sweep(tmp_path / "b", *tiny, extra=("--seed", "11"))
    assert r2.exit_code == 0, r2.output
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    r3 = _sweep(tmp_path / "c", *tiny, extra=("--seed", "12"))
    assert r3.exit_code == 0, r3.output
    assert (tmp_path / "c" / "sweep.csv").read_bytes() != (tmp_path / "a" / "sweep.csv").read_bytes()


def test_bounds_that_no_setting_meets_are_reported_as_such(tiny, tmp_path: Path) -> None:
    r = _sweep(tmp_path / "o", *tiny, extra=("--seed", "11", "--max-p95-converge", "100"))
    assert r.exit_code == 0, r.output
    assert "no recommendation: No setting in the grid keeps" in r.output
    rec = json.loads((tmp_path / "o" / "recommendation.json").read_text())
    assert rec["satisfied"] is False and rec["bounds"] == {"max_wrongful_deletes": 0.0, "max_p95_converge": 100.0}


def test_a_row_replays_alone_with_recon_simulate(tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = run_sweep(list(tiny), GRID, 2, root_seed=5, workers=1, out_dir=tmp_path / "s")
    row = res.runs[(res.runs["scenario"] == "tiny-migration") & (res.runs["point"] == 2)].iloc[1]
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(row["replay"])
    assert argv[:2] == ["recon", "simulate"] and "--seed" in argv
    r = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / argv[argv.index("--out") + 1] / "summary.json").read_text())
    for k in ("wrongful_deletes", "approvals_requested", "api_calls", "converged", "time_to_converge"):
        assert summary[k] == (None if pd.isna(row[k]) else row[k]), k
    assert summary["guard_trips"]["desired_shrink"] == row["trips_desired_shrink"]


def test_a_fresh_root_is_printed_recorded_and_reused_when_resuming(tiny, tmp_path: Path) -> None:
    r = _sweep(tmp_path / "f", tiny[0])
    assert r.exit_code == 0, r.output
    root = int(r.output.split("root seed ")[1].split()[0])
    assert json.loads((tmp_path / "f" / "sweep.json").read_text())["root_entropy"] == str(root)
    before = _bytes(tmp_path / "f")
    again = _sweep(tmp_path / "f", tiny[0])
    assert f"resuming the sweep in {tmp_path / 'f'} (root seed {root})" in again.output
    assert "(0 computed now, 12 found finished)" in again.output
    assert _bytes(tmp_path / "f") == before


def test_a_torn_last_row_is_recomputed_and_finished_rows_are_not(tiny, tmp_path: Path) -> None:
    full = run_sweep(list(tiny), GRID, 3, root_seed=9, workers=2, out_dir=tmp_path / "x")
    csv_path = tmp_path / "x" / "sweep.csv"
    complete = csv_path.read_bytes()
    lines = complete.splitlines(keepends=True)
    kept = lines[:1 + 7]  # header and 7 finished runs, then half of the 8th as a kill would leave it
    csv_path.write_bytes(b"".join(kept) + lines[8][: len(lines[8]) // 2])
    (tmp_path / "x" / "points.csv").unlink()
    res = run_sweep(list(tiny), GRID, 3, root_seed=9, workers=2, out_dir=tmp_path / "x")
    assert (res.reused, res.computed) == (7, len(full.runs) - 7)
    assert csv_path.read_bytes() == complete
    assert (tmp_path / "x" / "points.csv").exists()


def test_a_different_sweep_in_the_same_directory_is_refused_untouched(tiny, tmp_path: Path) -> None:
    assert _sweep(tmp_path / "d", tiny[0], extra=("--seed", "1")).exit_code == 0
    before = _bytes(tmp_path / "d")
    r = CliRunner().invoke(main, ["sweep", str(tiny[0]), "--grid", "loop.guards.max_deletes.max=5,6", "--seeds", "3",
                                  "--seed", "1", "--no-progress", "--out", str(tmp_path / "d")])
    assert r.exit_code == 1
    assert "holds a different sweep (sweep.json field 'grid'" in r.output
    assert _bytes(tmp_path / "d") == before
    tiny[0].write_text(tiny[0].read_text().replace("resources: 40", "resources: 41"))  # the scenario changed
    r = _sweep(tmp_path / "d", tiny[0], extra=("--seed", "1"))
    assert r.exit_code == 1 and "(sweep.json field 'scenarios'" in r.output
    assert _bytes(tmp_path / "d") == before


def test_a_bad_grid_value_is_named_before_anything_runs(tiny, tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["sweep", str(tiny[0]), "--grid", "loop.guards.max_deletes.max=5,-1", "--seeds", "2",
                                  "--no-progress", "--out", str(tmp_path / "bad")])
    assert r.exit_code == 1
    assert "loop.guards.max_deletes.max" in r.output and "loop.guards.max_deletes.max: must be at least 0" in r.output
    assert not (tmp_path / "bad").exists()
    r = CliRunner().invoke(main, ["sweep", str(tiny[0]), "--grid", "loop.guards.max_deletes.max", "--seeds", "2",
                                  "--out", str(tmp_path / "bad")])
    assert r.exit_code == 1 and "expected dotted.path=v1,v2" in r.output


def test_an_inert_axis_is_warned_about(tiny, tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["sweep", str(tiny[0]), "--set", "loop.guards.desired_shrink=false",
                                  "--grid", "loop.guards.desired_shrink.max_fraction=0.2,0.5", "--seeds", "1",
                                  "--no-progress", "--out", str(tmp_path / "w")])
    assert r.exit_code == 0, r.output
    assert "1 of 2 grid points repeat another point's scenario" in r.output


def fail_on_third_seed(scenario: object, seed: int) -> object:
    """The real simulation, with one run made to fail (fault injection for the error path)."""
    from recon.analysis.grid import spawn_seeds

    if seed == spawn_seeds(3, 3)[2].seed and scenario.loop.guards.max_deletes.max == 50:  # type: ignore[attr-defined]
        raise RuntimeError("injected failure")
    return simulate_summary(scenario, seed)


def test_a_failing_run_is_named_with_its_replay_and_the_rest_is_kept(tiny, tmp_path: Path) -> None:
    with pytest.raises(SweepError) as e:
        run_sweep(tiny[0], GRID, 3, root_seed=3, workers=1, out_dir=tmp_path / "e", run=fail_on_third_seed,
                  batch_size=1)
    msg = str(e.value)
    assert "grid point 1, seed index 2" in msg and "injected failure" in msg
    assert "recon simulate" in msg and "--set loop.guards.max_deletes.max=50" in msg
    kept = pd.read_csv(tmp_path / "e" / "sweep.csv")
    assert 5 <= len(kept) < 12 and not ((kept["point"] == 1) & (kept["seed_index"] == 2)).any()
    res = run_sweep(tiny[0], GRID, 3, root_seed=3, workers=1, out_dir=tmp_path / "e")
    assert res.reused == len(kept) and res.computed == 12 - len(kept)
