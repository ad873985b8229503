"""Every scenario in scenarios/ runs with `recon simulate` and exits 0 with the named outputs; bad
scenario files and overrides fail with an error naming file, line and field, and write nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from recon.cli import main
from recon.sim import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CYCLE_COLUMNS = {"loop", "cycle", "time", "desired_count", "observed_count", "observation_complete", "to_create",
                 "to_update", "to_delete", "applied_create", "applied_update", "applied_delete", "deferred",
                 "blocked", "guards_tripped", "paused"}
SUMMARY_KEYS = {"converged", "time_to_converge", "wrongful_deletes", "outage_resource_seconds", "drift_events",
                "drift_dwell_mean", "drift_dwell_p95", "approvals_requested", "guard_trips", "alerts", "api_calls",
                "seed", "overrides", "drift_detected", "detection_delay_mean"}
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_there_are_at_least_ten_scenarios_each_saying_what_it_teaches() -> None:
    assert len(FILES) >= 10
    for f in FILES:
        first = f.read_text().splitlines()[0]
        assert first.startswith("# Teaches:"), f


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_scenario_runs_and_writes_its_outputs(path: Path, tmp_path: Path) -> None:
    plots = path.stem == "empty-config"  # PNGs once; the rest skip rendering to stay fast
    args = ["simulate", str(path), "--seed", "1", "--out", str(tmp_path)] + ([] if plots else ["--no-plots"])
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    with (tmp_path / "cycles.csv").open() as f:
        header = next(csv.reader(f))
    assert CYCLE_COLUMNS <= set(header)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["seed"] == 1 and set(summary["guard_trips"]) >= {"empty_desired", "max_deletes"}
    for line in (tmp_path / "events.jsonl").read_text().splitlines():
        assert "event" in json.loads(line)
    if plots:
        for png in ("diff_sets.png", "convergence.png"):
            assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (tmp_path / "dwell.png").exists()  # nothing drifts in this scenario: no empty histogram


def test_schema_command_prints_the_scenario_schema() -> None:
    r = CliRunner().invoke(main, ["schema", "scenario"])
    assert r.exit_code == 0
    schema = json.loads(r.output)
    assert {"world", "loop", "loops", "provider", "desired", "drift", "oncall"} <= set(schema["properties"])


BAD = [
    ("name: x\nduration: [1\n", "malformed YAML: expected ',' or ']', but got '<stream end>' "
                                 "(while parsing a flow sequence at line 2)"),
    ("name: x\n  duration: 1\n", "bad.yaml:2: malformed YAML: mapping values are not allowed here"),
    ("name: x\nloop:\n  period: -5\n", "bad.yaml:3: field loop.period"),
    ("name: x\nloop:\n  guards:\n    max_deletes: {maxx: 3}\n", "bad.yaml:4: field loop.guards.max_deletes.maxx"),
    ("name: x\ndesired:\n  - {at: 10, kind: vanish}\n", "bad.yaml:3: field desired.0.kind"),
    ("name: x\nloops:\n  - {name: a}\n  - {name: b, period: -1}\n", "bad.yaml:4: field loops.1.period"),
    ("name: x\nloops:\n  - {name: a}\n  - {name: a}\n", "bad.yaml:2: field loops: loop names must be unique"),
    ("- just\n- a list\n", "bad.yaml:1: a scenario is a mapping"),
    ("", "bad.yaml: scenario file is empty"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_scenario_file_names_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["simulate", str(bad), "--out", str(out)])
    assert r.exit_code == 1
    assert message in " ".join(r.output.split()).replace(str(tmp_path) + "/", ""), r.output
    assert not out.exists()


@pytest.mark.parametrize(("override", "message"), [
    ("loop.guards", "expected dotted.path=value"),
    ("loop.period=fast", "field loop.period"),
    ("loop.guards.no_such_guard=false", "field loop.guards.no_such_guard"),
    ("duration.x=1", "duration is a value, not a mapping"),
])
def test_a_bad_override_is_an_error_naming_it(tmp_path: Path, override: str, message: str) -> None:
    r = CliRunner().invoke(main, ["simulate", str(ROOT / "scenarios" / "empty-config.yaml"), "--set", override,
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and message in " ".join(r.output.split()), r.output
    assert not (tmp_path / "o").exists()


def test_overrides_reach_nested_fields_and_list_items(scenarios: Path) -> None:
    sc = load_scenario(scenarios / "scoped-loops.yaml",
                       ["loops.2.period=30", "loop.guards.max_changes.max=7", "desired.0.duration=60"])
    specs = {s.name: s for s in sc.loop_specs()}
    assert specs["zone-c"].period == 30 and specs["zone-a"].period == 60
    assert specs["zone-a"].guards.max_changes.max == 7 and sc.desired[0].duration == 60
    off = load_scenario(scenarios / "empty-config.yaml", ["loop.guards.empty_desired=false"])
    assert off.loop.guards.empty_desired.enabled is False
    with pytest.raises(ScenarioError, match="not an index"):
        load_scenario(scenarios / "scoped-loops.yaml", ["loops.9.period=30"])


def test_a_bad_override_is_blamed_on_the_option_not_the_file() -> None:
    from recon.sim import ScenarioError, load_scenario

    with pytest.raises(ScenarioError, match=r"^--set loop\.guards\.empty_desird=false: field loop\.guards\.empty_desird"):
        load_scenario(ROOT / "scenarios" / "empty-config.yaml", ["loop.guards.empty_desird=false"])
    with pytest.raises(ScenarioError, match=r"^--set loop\.guards\.max_deletes\.max=-1: field loop\.guards\.max_deletes\.max: must be at least 0$"):
        load_scenario(ROOT / "scenarios" / "empty-config.yaml", ["loop.guards.max_deletes.max=-1"])
