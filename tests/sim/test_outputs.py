"""What a run's outputs tell a person: alerts beside guard trips, which run a plot shows (scenario, seed,
``--set`` overrides), no empty plot written, axes from zero, planned and applied deletes told apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from recon import demo
from recon.analysis.plots import plot_convergence, plot_diff_sets, write_plots
from recon.analysis.summary import compare
from recon.cli import main
from recon.sim import load_scenario, simulate

UNGUARD = "loop.guards.empty_desired=false"


def _title(fig: Figure) -> str:
    assert fig._suptitle is not None
    return fig._suptitle.get_text()


def _legend(fig: Figure) -> dict[str, object]:
    ax = fig.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    return dict(zip(labels, handles))


def test_a_cycle_whose_only_signal_is_an_alert_says_so(scenarios: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["simulate", str(scenarios / "empty-config.yaml"), "--set", UNGUARD,
                                  "--out", str(tmp_path), "--no-plots"])
    assert r.exit_code == 0, r.output
    assert "guard trips: none; alerts: delete_spike ×1" in r.output
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["alerts"] == {"delete_spike": 1} and s["applied"]["delete"] == 200
    alert = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()
             if '"alert"' in line]
    assert [(a["name"], a["time"]) for a in alert] == [("delete_spike", 900.0)]


def test_alerts_are_marked_in_the_diff_plot_and_the_comparison(scenarios: Path) -> None:
    r = simulate(scenarios / "empty-config.yaml", seed=0, overrides=[UNGUARD])
    assert "alert: delete_spike" in _legend(plot_diff_sets(r))
    assert "alerts" in _title(plot_diff_sets(r))
    assert compare({"unguarded": r}).loc["unguarded", "alerts"] == "delete_spike ×1"


def test_overrides_are_recorded_and_titles_say_which_run(scenarios: Path, tmp_path: Path) -> None:
    CliRunner().invoke(main, ["simulate", str(scenarios / "empty-config.yaml"), "--set", UNGUARD,
                              "--set", "loop.period=30", "--out", str(tmp_path), "--no-plots"])
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["overrides"] == [UNGUARD, "loop.period=30"] and s["cycles"] == 120  # recorded and applied
    guarded = simulate(scenarios / "empty-config.yaml", seed=4)
    unguarded = simulate(scenarios / "empty-config.yaml", seed=4, overrides=[UNGUARD])
    assert guarded.summary["overrides"] == []
    for plot in (plot_diff_sets, plot_convergence):
        a, b = _title(plot(guarded)), _title(plot(unguarded))
        assert a != b
        assert "empty-config" in a and "seed 4" in a and "no --set overrides" in a
        assert f"--set {UNGUARD}" in b


def test_the_demo_titles_differ_and_it_lists_only_what_it_wrote(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--out", str(tmp_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    for run in ("guarded", "unguarded"):
        files = sorted(p.name for p in (tmp_path / run).iterdir())
        assert "dwell.png" not in files  # the incident has no drift: an empty histogram says nothing
        assert f"({', '.join(files)})" in printed
    s = {run: json.loads((tmp_path / run / "summary.json").read_text()) for run in ("guarded", "unguarded")}
    assert s["guarded"]["overrides"] == [] and s["unguarded"]["overrides"] == [UNGUARD]
    assert "alerts" in printed and "delete_spike ×1" in printed


def test_dwell_is_plotted_when_something_drifted(tmp_path: Path) -> None:
    sc = load_scenario({"duration": 1800, "world": {"resources": 20}, "drift": {"edit_rate": 1 / 600}})
    r = simulate(sc, seed=1)
    names = [p.name for p in write_plots(r, tmp_path)]
    assert names == ["diff_sets.png", "convergence.png", "dwell.png"]
    assert (tmp_path / "dwell.png").read_bytes()[:4] == b"\x89PNG"


def test_both_convergence_panels_start_at_zero(scenarios: Path) -> None:
    # the source returns 60% (120 of 200): a top axis from 120 made the shrink look like a wipe
    r = simulate(scenarios / "partial-source.yaml", seed=0, overrides=["loop.guards.desired_shrink=false"])
    assert r.cycles["observed_count"].min() == 120
    assert [ax.get_ylim()[0] for ax in plot_convergence(r).axes] == [0, 0]


def test_planned_and_applied_deletes_look_different(scenarios: Path) -> None:
    r = simulate(scenarios / "empty-config.yaml", seed=0, overrides=[UNGUARD])
    legend = _legend(plot_diff_sets(r))
    planned, applied = legend["to delete (planned)"], legend["deleted (applied)"]
    assert isinstance(applied, PolyCollection) and applied.get_hatch()
    assert not isinstance(planned, PolyCollection)
    assert to_rgba(planned.get_color()) != tuple(applied.get_edgecolor()[0])  # type: ignore[attr-defined]


def test_the_python_example_of_docs_scenarios_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "scenarios").symlink_to(Path(__file__).resolve().parents[2] / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/scenarios.md", "exec"), namespace)
    written = sorted(p.name for p in (tmp_path / "out" / "partial").iterdir())
    assert written == ["convergence.png", "cycles.csv", "diff_sets.png", "episodes.csv", "events.jsonl",
                       "summary.json"]
    assert json.loads((tmp_path / "out" / "partial" / "summary.json").read_text())["overrides"] == [
        "loop.guards.desired_shrink=false"]
