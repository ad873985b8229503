"""`recon sweep --worst-case`: the adversary's worst case per grid point beside the Monte Carlo averages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from recon.analysis.sweep import run_sweep
from recon.analysis.worstcase import Settings, worst_case
from recon.cli import main
from recon.sim import load_scenario

SCENARIO = """\
name: shrinking
duration: 600
world: {resources: 30}
loop: {period: 60, guards: {max_deletes: {max_fraction: null}}}
desired:
  - {at: 120, kind: partial, fraction: 0.9}
"""
GRID = ["loop.guards.max_deletes.max=2,6"]


def test_points_table_and_recommendation_carry_the_worst_case_of_each_point(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    settings = Settings(horizon=6, beam=4)
    result = run_sweep([tmp_path / "s.yaml"], GRID, 2, root_seed=5, workers=1, out_dir=tmp_path / "out", worst=settings)
    points = pd.read_csv(tmp_path / "out" / "points.csv")
    for cap, row in zip((2, 6), points.itertuples()):
        alone = worst_case(load_scenario(tmp_path / "s.yaml", [f"loop.guards.max_deletes.max={cap}"]), settings)
        assert row.worst_case_wrongful == alone.node.wrongful == 6 * cap  # six cycles at the cap, exactly
    assert list(result.table["worst_case"]) == [12, 36]
    rec = json.loads((tmp_path / "out" / "recommendation.json").read_text(encoding="utf-8"))
    assert rec["worst_case"]["per_point"] == {"0": 12, "1": 36}
    assert rec["evidence"]["objectives"]["worst_case"] in (12, 36)
    assert rec["evidence"]["per_scenario"][0]["worst_case_wrongful"] in (12, 36)


def test_without_the_flag_the_outputs_have_no_worst_case(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    result = run_sweep([tmp_path / "s.yaml"], GRID, 1, root_seed=5, workers=1)
    assert "worst_case" not in result.table and "worst_case_wrongful" not in result.points
    assert "worst_case" not in result.recommendation


def test_a_bad_worst_case_setting_is_one_line_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    for option, value in (("--worst-case-horizon", "0"), ("--worst-case-beam", "0")):
        res = CliRunner().invoke(main, ["sweep", str(tmp_path / "s.yaml"), "--grid", GRID[0], "--seeds", "1",
                                        "--seed", "1", "--worst-case", option, value, "--out", str(tmp_path / "o")])
        assert res.exit_code == 1 and f"{option} {value}" in res.output and len(res.output.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()


def test_the_summary_names_the_recommended_settings_worst_case(tmp_path: Path) -> None:
    """The average alone would read as "safe": the printed recommendation carries its bound too."""
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    r = CliRunner().invoke(main, ["sweep", str(tmp_path / "s.yaml"), "--grid", GRID[0], "--seeds", "2", "--seed", "5",
                                  "--workers", "1", "--no-progress", "--worst-case", "--worst-case-horizon", "6",
                                  "--worst-case-beam", "4", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    rec = json.loads((tmp_path / "out" / "recommendation.json").read_text(encoding="utf-8"))
    assert rec["point"] is not None
    bound = rec["worst_case"]["per_point"][str(rec["point"])]
    assert f"worst case for it: {bound} wrongful deletes" in r.output, r.output
