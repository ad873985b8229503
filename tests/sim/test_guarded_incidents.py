"""The incident scenarios: with their guard on nothing the intended state holds is deleted; with the
guard switched off by ``--set loop.guards.<name>=false`` the same seed deletes what should stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from recon.cli import main
from recon.sim import load_scenario, simulate

INCIDENTS = [("empty-config.yaml", "empty_desired", []), ("partial-source.yaml", "desired_shrink", []),
             ("config-load-error.yaml", "desired_error", []),
             # its human approves a bogus set 5% of the time; here the human always catches it
             ("typo-rename.yaml", "max_deletes", ["loop.approver.p_approve_bogus=0"])]


@pytest.mark.parametrize(("file", "guard", "sets"), INCIDENTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_guard_on_no_wrongful_deletes_guard_off_some(scenarios: Path, file: str, guard: str, sets: list[str],
                                                     seed: int) -> None:
    on = simulate(load_scenario(scenarios / file, sets), seed=seed).summary
    off = simulate(load_scenario(scenarios / file, [*sets, f"loop.guards.{guard}=false"]), seed=seed).summary
    assert on["wrongful_deletes"] == 0 and on["outage_resource_seconds"] == 0
    assert on["guard_trips"][guard] > 0
    assert off["wrongful_deletes"] > 0 and off["outage_resource_seconds"] > 0
    assert off["guard_trips"][guard] == 0


def test_the_command_line_switch_does_the_same(scenarios: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for label, extra in (("on", []), ("off", ["--set", "loop.guards.empty_desired=false"])):
        r = runner.invoke(main, ["simulate", str(scenarios / "empty-config.yaml"), "--seed", "3", "--no-plots",
                                 "--out", str(tmp_path / label), *extra])
        assert r.exit_code == 0, r.output
    on = json.loads((tmp_path / "on" / "summary.json").read_text())
    off = json.loads((tmp_path / "off" / "summary.json").read_text())
    assert on["wrongful_deletes"] == 0
    assert off["wrongful_deletes"] == 200  # the whole firewall, re-created after the config recovers
    assert off["converged"] and off["time_to_converge"] > 900


def test_scoped_loops_contain_the_bug_an_omni_loop_spreads(scenarios: Path) -> None:
    scoped = simulate(load_scenario(scenarios / "scoped-loops.yaml"), seed=0).summary
    omni = simulate(load_scenario(scenarios / "omni-loop.yaml"), seed=0).summary
    assert scoped["wrongful_deletes"] == 0
    assert scoped["per_loop"]["zone-c"]["paused_cycles"] == 0 and scoped["guard_trips"]["empty_desired"] == 30
    assert omni["wrongful_deletes"] == 60  # all of zone c
    assert omni["guard_trips"]["empty_desired"] == 0


def test_the_kill_switch_limits_a_bad_rollout(scenarios: Path) -> None:
    with_oncall = [simulate(load_scenario(scenarios / "kill-switch-rollout.yaml"), seed=s).summary for s in range(3)]
    without = simulate(load_scenario(scenarios / "kill-switch-rollout.yaml", ["oncall=null"]), seed=0).summary
    assert without["wrongful_deletes"] == 300 and without["kill_switch_engaged"] == 0
    for s in with_oncall:
        assert s["kill_switch_engaged"] >= 1 and s["pages"] >= 1
        assert s["wrongful_deletes"] < without["wrongful_deletes"]


def test_a_legitimate_migration_goes_through_after_approval(scenarios: Path) -> None:
    sc = load_scenario(scenarios / "migration-approval.yaml",
                       {"loop.approver.p_approve_legit": 1.0, "loop.approver.p_approve_bogus": 0.0})
    s = simulate(sc, seed=2).summary
    assert s["approvals_requested"] == 2 and s["approvals_granted"] == 1 and s["approvals_denied"] == 1
    assert s["applied"]["delete"] == 80 and s["wrongful_deletes"] == 0
    assert s["converged"]
