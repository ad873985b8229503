"""The worst case's budgets: a search stopped by its cycle or time budget says bounded, finishes its
best state to the horizon and replays; branch and bound against the witness loses nothing; what the
adversary leaves out of a scenario is said."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from recon.analysis.worstcase import MAX_CYCLES, Settings, ignored, worst_case
from recon.analysis.worstcase.bound import replay, upper_bound
from recon.analysis.worstcase.engine import setup_for
from recon.analysis.worstcase.search import Limit, Space, brute_force, search
from recon.cli import main
from recon.cli.worstcase import MAX_CYCLES as CLI_MAX_CYCLES
from recon.sim import load_scenario, simulate
from recon.sim.scenario import Scenario


def _small(resources: int = 12, cap: int = 3) -> Scenario:
    return load_scenario({"name": "small", "world": {"resources": resources},
                          "loop": {"guards": {"max_deletes": {"max": cap}, "desired_shrink": {"max_fraction": 0.3}}}})


def _space(n: int) -> Space:
    return Space(n, 4, 12, desired=("full", "drop", "rename"), observe=("complete", "flag"))


def test_a_cycle_budget_stops_the_search_bounded_with_a_full_length_trace_that_replays() -> None:
    setup = setup_for(_small(), 4)
    sp = _space(12)
    moves = len(sp.moves())
    cut = search(setup, 4, sp, beam=10**9, limit=Limit(cycles=2 * moves))
    assert not cut.exhaustive and cut.stats.stopped == "engine-cycle budget" and cut.stats.budgeted > 0
    assert len(cut.moves) == 4 and replay(setup, cut.moves).wrongful == cut.node.wrongful
    assert cut.stats.cycles <= 2 * moves + 4  # the budget, and the cycles that finish the best state
    again = search(setup, 4, sp, beam=10**9, limit=Limit(cycles=2 * moves))
    assert (again.moves, again.stats.to_dict()) == (cut.moves, cut.stats.to_dict())  # no clock: deterministic


def test_a_spent_time_budget_stops_at_once_and_still_hands_back_a_replayable_trace() -> None:
    setup = setup_for(_small(), 3)
    found = search(setup, 3, _space(12), beam=16, limit=Limit(deadline=time.monotonic() - 1))
    assert found.stats.stopped == "time budget" and not found.exhaustive and found.stats.cycles == 3
    assert len(found.moves) == 3 and replay(setup, found.moves).wrongful == found.node.wrongful


def test_branch_and_bound_against_the_witness_keeps_the_exact_answer() -> None:
    setup = setup_for(_small(cap=1), 3)  # a cap of one per cycle: the bound is close enough to prune
    sp = Space(12, 1, 12, desired=("full", "drop"), observe=("complete",))
    exact = brute_force(setup, 3, sp)
    assert exact > 0
    rest = lambda i: upper_bound(setup, 3, i).value  # noqa: E731
    # a witness one short: the search must still find the one sequence that beats it
    short = search(setup, 3, sp, beam=10**9, limit=Limit(floor=exact - 1, rest=rest))
    assert short.exhaustive and short.node.wrongful == exact
    # a witness at the answer: states that cannot beat it are not expanded, and nothing claims more
    met = search(setup, 3, sp, beam=10**9, limit=Limit(floor=exact, rest=rest))
    assert met.exhaustive and met.stats.pruned > 0 and met.stats.cycles < short.stats.cycles
    assert replay(setup, met.moves).wrongful == met.node.wrongful <= exact

def test_the_default_budget_binds_a_large_search_and_worst_json_says_so(tmp_path: Path) -> None:
    assert MAX_CYCLES == CLI_MAX_CYCLES
    # unmanaged resources and no owner marker: every plan deletes them, the cap holds, the witness is short
    (tmp_path / "s.yaml").write_text(json.dumps({"name": "wide", "world": {"resources": 60, "foreign": 10},
                                                 "loop": {"guards": {"max_deletes": {"max": 3}}}}), encoding="utf-8")
    res = CliRunner().invoke(main, ["worst-case", str(tmp_path / "s.yaml"), "--horizon", "4", "--max-cycles", "300",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    worst = json.loads((tmp_path / "out" / "worst.json").read_text(encoding="utf-8"))
    assert worst["search"] == "bounded" and worst["statistics"]["stopped_early"] == "engine-cycle budget"
    assert worst["settings"]["max_cycles"] == 300 and worst["upper_bound"] >= worst["wrongful_deletes"]
    assert "stopped at its engine-cycle budget" in res.output
    assert simulate(tmp_path / "out" / "trace.yaml", seed=0).summary["wrongful_deletes"] == worst["wrongful_deletes"]


def test_what_the_adversary_stands_in_for_is_said_on_stderr_and_in_worst_json(tmp_path: Path) -> None:
    sc = {"name": "busy", "world": {"resources": 12},
          "loop": {"guards": {"max_deletes": {"max": 3}}},
          "drift": {"edit_rate": 1e-5, "create_rate": 0.001},
          "desired": [{"at": 600, "kind": "migration", "fraction": 0.2}, {"at": 60, "kind": "error", "duration": 60}],
          "provider": {"error_p": 0.1}}
    assert ignored(load_scenario(sc)) == ("drift (edit_rate=1e-05, create_rate=0.001)",
                                          "2 desired event(s) (1 error, 1 migration)", "provider faults (error_p)")
    assert ignored(_small()) == ()
    (tmp_path / "s.yaml").write_text(json.dumps(sc), encoding="utf-8")
    res = CliRunner().invoke(main, ["worst-case", str(tmp_path / "s.yaml"), "--horizon", "3",
                                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if "ignored" in ln]
    assert len(lines) == 1 and "migration" in lines[0] and "drift" in lines[0] and "error_p" in lines[0]
    worst = json.loads((tmp_path / "out" / "worst.json").read_text(encoding="utf-8"))
    assert worst["ignored"] == list(ignored(load_scenario(sc)))
    assert worst_case(load_scenario(sc), Settings(horizon=3, budget=40.0)).summary() == worst  # and deterministic
