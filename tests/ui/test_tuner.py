"""ThresholdTuner: sliders set the scenario, the summary is what the simulation computes for it."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from recon.sim import load_scenario, simulate
from recon.ui import ThresholdTuner
from recon.ui.tuner import converge_text

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "notebooks" / "tuner-lab.yaml"
MIGRATION = ROOT / "scenarios" / "migration-approval.yaml"


def expected(path: Path, *overrides: str, seed: int = 0) -> dict:
    return simulate(load_scenario(path, list(overrides)), seed=seed).summary


def ran(t: ThresholdTuner) -> dict:
    """The tuner's last summary but the overrides it names, which say the same thing in the tuner's words."""
    assert t.result is not None
    return {**t.result.summary, "overrides": []}


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
    assert ran(t) == expected(LAB, "loop.guards.max_deletes=false")
    assert t.result.summary["overrides"] == ["loop.guards.max_deletes.enabled=false"]  # the plots' titles say so
    t.enabled["max_deletes"].value = True
    t.period.value = 300
    assert ran(t) == expected(LAB, "loop.period=300")
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
    assert ran(t) == expected(MIGRATION) and t.result.summary["overrides"] == []


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


def costs(sweep, cap: int) -> str:
    """The costs of grid point *cap* as the tuner's note gives them, read from the sweep's own table."""
    row = sweep.table.set_index("loop.guards.max_deletes.max").loc[cap]
    return (f"(wrongful deletes/run {row['damage']:g} · p95 converge {row['converge_p95']:g} s"
            f" · pages/run {row['pages']:g})")


def test_a_dominated_setting_is_said_to_be_dominated_and_by_which_point() -> None:
    from recon.analysis.sweep import run_sweep

    # A fixed root seed: the humans who answer approvals are random, and some seeds never converge.
    sweep = run_sweep(LAB, {"loop.guards.max_deletes.max": [0, 10, 20, 40, 60]}, seeds=2, workers=1, root_seed=0)
    front = dict(zip(sweep.table["loop.guards.max_deletes.max"], sweep.table["pareto"], strict=True))
    assert front == {0: False, 10: False, 20: True, 40: True, 60: True}  # 10 holds the migration: 2 pages
    t = ThresholdTuner([LAB], sweep=sweep, plots=False)
    note = html.unescape(t.frontier_note.value)
    assert f"this setting is max_deletes=10 {costs(sweep, 10)}, dominated by max_deletes=20 {costs(sweep, 20)}" in note
    assert "recon-dominated" in t.frontier_note.value and t.frontier.value[:4] == b"\x89PNG"
    t.max_deletes.value = 20
    note = html.unescape(t.frontier_note.value)
    assert f"this setting is max_deletes=20 {costs(sweep, 20)}, on the frontier" in note and "dominated" not in note
    t.max_deletes.value = 33
    note = html.unescape(t.frontier_note.value)
    assert f"nearest grid point is max_deletes=40 {costs(sweep, 40)}, on the frontier" in note


def pre(value: str, css_class: str) -> str:
    """The text of the <pre class=css_class> in an HTML widget's value."""
    m = re.search(rf"class='{css_class}'>(.*?)</pre>", value, re.S)
    assert m, value
    return html.unescape(m.group(1))


def test_the_command_line_follows_the_sliders_before_the_rerun() -> None:
    t = ThresholdTuner([LAB], plots=False, debounce=30)
    # The sliders show the file's own setting: the command line needs no override.
    assert pre(t.command.value, "recon-command") == f"recon simulate {LAB} --seed 0 --out out/tuned"

    async def move() -> None:
        t.max_deletes.value = 33
        t.desired_shrink.value = 0.35000000000000003  # what a browser's float steps send
        t.enabled["max_changes"].value = False
        assert t._debounced.pending  # the simulation has not rerun yet; the command line already follows
        cmd = pre(t.command.value, "recon-command")
        assert "--set loop.guards.max_deletes.max=33 " in cmd and "max_deletes.max_fraction" not in cmd
        assert "--set loop.guards.desired_shrink.max_fraction=0.35 " in cmd
        assert "--set loop.guards.max_changes.enabled=false " in cmd and "max_changes.max=" not in cmd
        t._debounced.cancel()

    asyncio.run(move())


def test_the_command_line_reruns_what_the_tuner_shows(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from recon.cli import main

    t = ThresholdTuner([LAB], plots=False, seed=3)
    t.max_deletes.value, t.max_delete_fraction.value = 20, 0.5
    t.period.value = 300
    argv = shlex.split(pre(t.command.value, "recon-command"))
    assert argv[:2] == ["recon", "simulate"] and argv[-2] == "--out"
    res = CliRunner().invoke(main, [*argv[1:-1], str(tmp_path / "out"), "--no-plots"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert t.result is not None
    assert summary == json.loads(json.dumps(t.result.summary))  # the same run, the same overrides named
    assert t.result.summary["overrides"] == ["loop.guards.max_deletes.max=20",
                                             "loop.guards.max_deletes.max_fraction=0.5", "loop.period=300"]


def test_the_guards_snippet_is_a_loop_config_with_the_sliders_values() -> None:
    from recon.config import LoopConfig

    t = ThresholdTuner([LAB], plots=False)
    t.max_deletes.value, t.max_delete_fraction.value, t.period.value = 25, 0.5, 300
    t.enabled["desired_shrink"].value = False
    data = yaml.safe_load(pre(t.command.value, "recon-guards-snippet"))
    assert data["interval"] == 300
    guards = LoopConfig.model_fields["guards"].annotation.model_validate(data["guards"])
    assert (guards.max_deletes.max, guards.max_deletes.max_fraction) == (25, 0.5)
    t.max_delete_fraction.value = 1.0  # the slider's end is no fraction cap at all
    data = yaml.safe_load(pre(t.command.value, "recon-guards-snippet"))
    assert data["guards"]["max_deletes"] == {"max": 25, "max_fraction": None}
    assert guards.max_changes.max == t.max_changes.value and guards.max_changes.enabled
    assert guards.desired_shrink.enabled is False


def test_a_scenario_given_as_data_says_to_save_it_first() -> None:
    t = ThresholdTuner({"lab": load_scenario(LAB)}, plots=False)
    assert "save it as tuner-lab.yaml first" in t.command.value
    assert pre(t.command.value, "recon-command").startswith("recon simulate tuner-lab.yaml --seed 0 ")


def test_a_hostile_scenario_path_is_quoted_for_the_shell_and_escaped_for_html(tmp_path: Path) -> None:
    path = tmp_path / "lab <b>it's $(rm) &amp;.yaml"
    path.write_text(LAB.read_text())
    t = ThresholdTuner([path], plots=False)
    assert "<b>it" not in t.command.value
    assert shlex.split(pre(t.command.value, "recon-command"))[2] == str(path)


def test_the_tuner_shows_the_worst_case_of_the_current_setting() -> None:
    from recon.analysis.worstcase import Settings

    small = {"name": "small", "world": {"resources": 30}, "loop": {"guards": {"max_deletes": {"max_fraction": None}}}}
    t = ThresholdTuner([small], plots=False, worst=Settings(horizon=5, beam=2))
    for cap in (5, 10):  # five cycles at the cap, exactly: the sliding block meets the caps' bound
        t.max_deletes.value = cap
        t.flush()
        assert f"class='recon-worst' style='color:#cf222e'>{5 * cap}</span> wrongful deletes in 5 cycles (exact)" \
            in t.worst_note.value
    t.enabled["max_deletes"].value = False
    t.max_changes.value = 3
    t.flush()
    assert ">15</span>" in t.worst_note.value  # then the change cap is what bounds it


def test_the_window_sliders_reach_the_simulation_and_the_loop_config() -> None:
    t = ThresholdTuner([LAB], plots=False)
    assert (t.delete_window.value, t.window_max.value, t.shrink_window.value) == (0, 0, 0)
    assert t.window_max.disabled, "a budget without a window means nothing"
    t.max_deletes.value = 60  # the cap alone lets the bogus set through ...
    t.window_max.value = 20
    t.delete_window.value = 3600  # ... a budget of 20 per hour holds it again
    sets = ["loop.guards.max_deletes.max=60", "loop.guards.max_deletes.window=3600",
            "loop.guards.max_deletes.window_max=20"]
    assert t.result is not None and t.result.summary["overrides"] == sets
    assert ran(t) == {**expected(LAB, *sets), "overrides": []}
    assert expected(LAB, sets[0])["wrongful_deletes"] == 54 and t.result.summary["wrongful_deletes"] == 0
    assert "max_deletes 60, 20 per 3600 s" in t.summary.value
    data = yaml.safe_load(pre(t.command.value, "recon-guards-snippet"))
    assert data["guards"]["max_deletes"] == {"max": 60, "max_fraction": None, "window": 3600.0, "window_max": 20}
    t.delete_window.value = 0  # no window: the budget goes with it
    assert "loop.guards.max_deletes.window_max=null" in t.overrides()
    assert t.result.summary["overrides"] == ["loop.guards.max_deletes.max=60"]
