"""Scenario sizes are bounded before anything runs (issue 9, item 10).

Each bad scenario, override or grid value goes through the command line and must come back at once:
exit 1, one line naming the file and line (or the option) and the field, no traceback, and no --out
folder. Before the bounds, these built 10^12 resources, ran 10^12 cycles, or loaded silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from recon.cli import main
from recon.sim import load_scenario
from recon.sim.limits import MAX_CYCLES, MAX_RESOURCES, MAX_WORK

BASE = "name: t\nduration: 3600\n"

# (id, scenario text, what the one line must contain): line numbers count from "name: t" on line 1.
FILE_CASES = [
    ("resources-1e12", "world:\n  resources: 1000000000000\n",
     "s.yaml:4: field world.resources: scenario too large to simulate: peak resources"),
    ("foreign-1e12", "world:\n  foreign: 1000000000000\n", "s.yaml:4: field world.foreign: scenario too large"),
    ("burst-creates-1e12", "drift:\n  bursts:\n    - {at: 10, creates: 1000000000000}\n",
     "s.yaml:5: field drift.bursts.0.creates: scenario too large"),
    ("create-rate-1e12", "drift:\n  create_rate: 1.0e12\n", "s.yaml:4: field drift.create_rate: scenario too large"),
    ("edit-rate-huge", "drift:\n  edit_rate: 1.0e3\n", "s.yaml:3: field drift: scenario too large to simulate: work"),
    ("duration-inf", "duration: .inf\n", "s.yaml:2: field duration: unquoted .inf is not a finite number"),
    ("cycles-1e15", "duration: 1.0e15\nloop:\n  period: 1\n",
     "s.yaml:4: field loop.period: scenario too large to simulate: loop cycles"),
    ("period-1e-9", "loop:\n  period: 1.0e-9\n", "s.yaml:4: field loop.period: scenario too large"),
    ("loops-entry-period", "loops:\n  - {name: a, period: 1.0e-3}\n  - {name: b}\n",
     "s.yaml:4: field loops.0.period: scenario too large"),
    ("work-too-large", "world:\n  resources: 400000\nloop:\n  period: 1\n",
     "s.yaml:4: field world.resources: scenario too large to simulate: work"),
    ("offset-inf", "loop:\n  offset: .inf\n", "s.yaml:4: field loop.offset: unquoted .inf is not a finite number"),
    ("desired-at-inf", "desired:\n  - {at: .inf, kind: error}\n", "s.yaml:4: field desired.0.at: unquoted .inf is not a finite"),
    ("timeout-inf", "provider:\n  timeout: .inf\n", "s.yaml:4: field provider.timeout: unquoted .inf is not a finite"),
    ("latency-inf", "provider:\n  list_latency: .inf\n", "s.yaml:4: field provider.list_latency: unquoted .inf is not a finite"),
    ("ttl-inf", "loop:\n  approver: {ttl: .inf}\n", "s.yaml:4: field loop.approver.ttl: unquoted .inf is not a finite"),
    ("missing-above-resources", "world:\n  resources: 10\n  initially_missing: 11\n",
     "s.yaml:5: field world.initially_missing: 11 resources cannot be missing out of world.resources 10"),
    ("resources-true", "world:\n  resources: true\n",
     "s.yaml:4: field world.resources: expected a number, got a boolean"),
    ("resources-float", "world:\n  resources: 10.0\n", "s.yaml:4: field world.resources: expected a whole number, got a decimal number"),
    ("burst-deletes-true", "drift:\n  bursts:\n    - {at: 10, deletes: true}\n",
     "field drift.bursts.0.deletes: expected a number"),
    ("rate-true", "drift:\n  create_rate: true\n",
     "s.yaml:4: field drift.create_rate: expected a number, got a boolean"),
    ("page-size-true", "provider:\n  pages: {size: true}\n", "field provider.pages.size: expected a number"),
    ("resources-beyond-2-53", "world:\n  resources: 100000000000000000000\n",
     "s.yaml:4: field world.resources: must be at most 9007199254740992"),
]


def run_cli(args: list[str], out: Path) -> str:
    """Run recon; assert the refusal contract and return the one line it printed."""
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    assert "Traceback" not in r.output
    assert not out.exists()
    return " ".join(lines[0].split())


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("text", "message"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_an_oversized_or_ill_typed_scenario_is_refused_naming_file_line_and_field(
        tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(("name: t\n" if text.startswith("duration:") else BASE) + text)
    line = run_cli(["simulate", str(f), "--no-plots", "--out", str(tmp_path / "out")], tmp_path / "out")
    assert message in line.replace(str(tmp_path) + "/", ""), line


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("option", "message"), [
    ("world.resources=1000000000000", "--set world.resources=1000000000000: field world.resources: scenario too large"),
    ("world.resources=true", "--set world.resources=true: field world.resources: expected a number"),
    ("duration=.inf", "--set 'duration=.inf': unquoted .inf is not a finite number"),
    ("loop.period=1.0e-9", "--set loop.period=1.0e-9: field loop.period: scenario too large"),
    ("world.initially_missing=1000", "--set world.initially_missing=1000: field world.initially_missing: 1000 resources cannot be missing"),
])
def test_a_bad_override_is_refused_naming_the_option(tmp_path: Path, option: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(BASE)
    out = tmp_path / "out"
    assert message in run_cli(["simulate", str(f), "--set", option, "--out", str(out)], out)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("axis", "message"), [
    ("loop.period=1.0e-9,60", "--grid loop.period=1e-09: field loop.period: scenario too large"),
    ("world.resources=10,true", "--grid world.resources=true: field world.resources: expected a number"),
    ("drift.create_rate=.inf,0", "--grid 'drift.create_rate=.inf,0': values are not YAML: field 0: unquoted .inf is not a finite"),
])
def test_a_bad_grid_value_is_refused_before_any_run_naming_the_grid(tmp_path: Path, axis: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(BASE)
    out = tmp_path / "out"
    line = run_cli(["sweep", str(f), "--grid", axis, "--seeds", "2", "--seed", "1", "--workers", "1",
                    "--no-progress", "--out", str(out)], out)
    assert message in line, line


@pytest.mark.timeout(10)
def test_the_override_printed_in_the_refusal_lets_the_scenario_load(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(BASE + "loop:\n  period: 0.001\n")
    line = run_cli(["simulate", str(f), "--out", str(tmp_path / "out")], tmp_path / "out")
    overrides = line.split(" with --set ", 1)[1].split(" --set ")
    assert overrides == ["limits.max_cycles=3.7e+06", "limits.max_work=1.5e+09"], line
    assert load_scenario(f, overrides).limits.max_cycles == 3.7e6


def test_the_limits_admit_every_shipped_scenario_and_are_the_documented_constants() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "scenarios").glob("*.yaml")):
        load_scenario(path)
    docs = (root / "docs" / "scenarios.md").read_text() + (root / "docs" / "design.md").read_text()
    for value in (MAX_RESOURCES, MAX_CYCLES, MAX_WORK):
        assert f"{value:,}" in docs, value


MILLION = "name: t\nduration: 60000\nworld:\n  resources: 1000000\nloop:\n  period: 60\n"  # 1,001 cycles


@pytest.mark.timeout(10)
def test_a_watched_million_resources_cost_their_resyncs_and_changes_not_the_inventory_every_cycle(
        tmp_path: Path) -> None:
    """The change-fed path diffs only what changed between resyncs: a million resources watched, resynced
    every 10 minutes, are about 10^8 units of work; listed every cycle they are 10^9, over the limit."""
    f = tmp_path / "s.yaml"
    f.write_text(MILLION + "drift:\n  edit_rate: 1.0e-7\nprovider:\n  watch: {resync: 600}\n")
    assert load_scenario(f).world.resources == 1_000_000
    for provider, blame in (("", "s.yaml:4: field world.resources:"),
                            ("provider:\n  watch: {resync: 60}\n", "field provider.watch.resync:"),
                            # 10,000 pages a list, each failing 1 time in 100: nearly every list fails and is retried
                            ("provider:\n  watch: {resync: 600}\n  error_p: 0.01\n  pages: {size: 100}\n",
                             "field provider.watch.resync:")):
        f.write_text(MILLION + provider)
        line = run_cli(["simulate", str(f), "--no-plots", "--out", str(tmp_path / "out")], tmp_path / "out")
        assert blame in line and "scenario too large to simulate: work" in line, line
        override = line.split(" with ", 1)[1]
        assert load_scenario(f, [override.removeprefix("--set ")]).world.resources == 1_000_000
