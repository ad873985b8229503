"""The adversarial worst case (issue 13): found on the real engine, replayed by `recon simulate`, and
equal to brute force over every sequence of the same discretised space on worlds small enough."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from recon.analysis.worstcase import Settings, worst_case
from recon.analysis.worstcase.bound import replay, sliding_moves
from recon.analysis.worstcase.engine import setup_for
from recon.analysis.worstcase.search import Move, Space, brute_force, search
from recon.analysis.worstcase.trace import trace_scenario
from recon.cli import main
from recon.sim import load_scenario, simulate
from recon.sim.scenario import Scenario
from recon.sources.dump import yaml_text

ACCEPTANCE = {
    "name": "slow-failure-acceptance", "duration": 1800, "world": {"resources": 200},
    "loop": {"period": 60, "guards": {"desired_shrink": {"max_fraction": 0.3}, "empty_desired": True,
                                      "max_deletes": {"max": 10, "action": "hold"}},
             "approver": {"type": "deny-all"}},
}


def _small(resources: int = 12, **loop: Any) -> Scenario:
    loop = {"guards": {"max_deletes": {"max": 3}, "desired_shrink": {"max_fraction": 0.3}}, **loop}
    return load_scenario({"name": "small", "world": {"resources": resources}, "loop": loop})


def _replayed(trace: Path) -> int:
    return int(simulate(trace, seed=0).summary["wrongful_deletes"])


def test_acceptance_finds_at_least_150_and_simulate_replays_the_trace_exactly(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(json.dumps(ACCEPTANCE), encoding="utf-8")
    res = CliRunner().invoke(main, ["worst-case", str(tmp_path / "s.yaml"), "--horizon", "30",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    worst = json.loads((tmp_path / "out" / "worst.json").read_text(encoding="utf-8"))
    assert worst["wrongful_deletes"] >= 150 and worst["horizon"] == 30
    assert worst["search"] in ("exhaustive", "bounded") and worst["upper_bound"] >= worst["wrongful_deletes"]
    assert _replayed(tmp_path / "out" / "trace.yaml") == worst["wrongful_deletes"]
    sim = simulate(tmp_path / "out" / "trace.yaml", seed=0).summary
    assert sim["cycles"] == 30  # the trace's duration ends before the cycle after the horizon


def test_the_slow_shrink_gets_through_every_per_cycle_guard() -> None:
    # The story of the issue: a source that loses 10 more each cycle stays under desired_shrink (the
    # baseline moves with every accepted shrink) and under the cap, and deletes most of the scope.
    setup = setup_for(load_scenario(ACCEPTANCE), 30)
    half = replay(setup, tuple(Move("drop", 10 * (i + 1)) for i in range(15)))
    assert half.wrongful == 150 and not half.tripped  # no guard so much as noticed
    assert replay(setup, tuple(Move("drop", 10 * (i + 1)) for i in range(30))).wrongful > 150


@pytest.mark.parametrize("delay", [60, 120, 150])
def test_traces_replay_exactly_with_an_on_call_who_stops_the_loop(tmp_path: Path, delay: int) -> None:
    # An alert pages at 5 planned deletes; the on-call pulls the switch *delay* seconds later, on a
    # cycle boundary or between two: the search's own trace and the answer's both replay exactly.
    sc = load_scenario({"name": "paged", "world": {"resources": 24}, "oncall": {"delay": delay},
                        "loop": {"alerts": {"delete_spike": 5}, "guards": {"max_deletes": {"max": 6}}}})
    found = worst_case(sc, Settings(horizon=5, step=3, hide_step=24, beam=6))
    assert found.found is not None  # the caps' bound is out of reach with an on-call: the search ran
    searched = found.found
    paged = replay(found.setup, sliding_moves(24, 6, 5))
    assert paged.pages > 0 and paged.wrongful < 30  # the switch stopped the sliding block
    for moves, n in ((found.moves, found.node.wrongful), (searched.moves, searched.node.wrongful),
                     (sliding_moves(24, 6, 5), paged.wrongful)):
        (tmp_path / "t.yaml").write_text(yaml_text(trace_scenario(sc, found.setup, moves, "x", n)), encoding="utf-8")
        assert _replayed(tmp_path / "t.yaml") == n


def test_jittered_cycles_replay_at_the_same_times(tmp_path: Path) -> None:
    sc = _small(20, jitter=0.3, period=30)
    found = worst_case(sc, Settings(horizon=6, step=2, beam=8))
    found.write(tmp_path)
    assert _replayed(tmp_path / "trace.yaml") == found.node.wrongful > 0


@pytest.mark.parametrize("loop, horizon, space", [
    # deny-all, a cap of 4 per cycle and a 30% shrink: every kind of desired answer, whole or cut lists
    ({"guards": {"max_deletes": {"max": 4}}}, 3, dict(step=4, hide_step=12, observe=("complete", "truncate"))),
    # approve-all: approvals carried over the holds, four cycles of drops and renames
    ({"approver": {"type": "approve-all"}}, 4, dict(step=4, hide_step=12, desired=("full", "drop", "rename"),
                                                    observe=("complete",))),
    # a flagged list suppresses deletes but keeps the count baseline: three cycles
    ({}, 3, dict(step=3, hide_step=6, desired=("full", "drop"), observe=("complete", "flag"))),
])
def test_the_search_equals_brute_force_on_a_world_small_enough(loop: dict[str, Any], horizon: int,
                                                               space: dict[str, Any]) -> None:
    sc = _small(12, **loop)
    setup = setup_for(sc, horizon)
    sp = Space(len(setup.intended), **space)
    found = search(setup, horizon, sp, beam=10**9)
    assert found.exhaustive and found.stats.merged > 0
    assert found.node.wrongful == brute_force(setup, horizon, sp) > 0
    assert replay(setup, found.moves).wrongful == found.node.wrongful


def test_a_beam_too_narrow_says_bounded_and_never_claims_more_than_it_replays() -> None:
    setup = setup_for(_small(12), 3)
    sp = Space(12, 3, 12, desired=("full", "drop", "rename"), observe=("complete",))
    narrow = search(setup, 3, sp, beam=2)
    assert not narrow.exhaustive and narrow.stats.dropped > 0
    assert replay(setup, narrow.moves).wrongful == narrow.node.wrongful <= search(setup, 3, sp, 10**9).node.wrongful


def test_the_sliding_block_meets_the_per_cycle_bound_and_the_answer_is_exact() -> None:
    found = worst_case(load_scenario(ACCEPTANCE), Settings(horizon=30))
    assert found.bound.value == 300 and found.node.wrongful == 300 and found.exact
    assert found.summary()["search"] == "exhaustive" and found.found is None  # nothing can do worse
    setup = setup_for(load_scenario(ACCEPTANCE), 30)
    assert replay(setup, sliding_moves(200, 10, 30)).wrongful == 300


def test_the_worst_case_is_deterministic(tmp_path: Path) -> None:
    sc = _small(16)
    for d in ("a", "b"):
        worst_case(sc, Settings(horizon=4, step=2, beam=8)).write(tmp_path / d)
    for name in ("worst.json", "trace.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_script_drives_the_simulated_source_and_list() -> None:
    steps = [{"at": 0, "desired": "drop", "count": 2}, {"at": 60, "desired": "rename", "count": 3, "typo": "t-"},
             {"at": 120, "desired": "error"}, {"at": 180, "observe": "flag", "hide": 4},
             {"at": 240, "observe": "truncate", "hide": 5}, {"at": 300, "desired": "empty"}]
    sc = load_scenario({"name": "s", "duration": 330, "world": {"resources": 10}, "script": steps,
                        "loop": {"guards": {"max_deletes": {"max": 5, "max_fraction": None}}}})
    c = simulate(sc, seed=0).cycles
    assert list(c["desired_count"].fillna(-1)) == [8, 10, -1, 10, 10, 0]
    assert list(c["observation_complete"]) == [True, True, True, False, True, True]
    # 10 exist by then (7 of the list, 3 renamed): the flagged list shows 6, and after the loop brought
    # the 3 back, the cut one 8 of 13
    assert list(c["observed_count"])[3:5] == [6, 8]
    assert list(c["applied_delete"]) == [2, 1, 0, 0, 0, 0]
    assert list(c["guards_tripped"]) == ["", "", "desired_error", "incomplete_observation", "", "empty_desired"]


@pytest.mark.parametrize("loop", [{"mode": "observe-only"}, {"sync": "upsert-only"}])
def test_a_loop_that_never_deletes_has_a_worst_case_of_zero_proven(loop: dict[str, Any]) -> None:
    found = worst_case(_small(12, **loop), Settings(horizon=3, beam=2))
    assert found.node.wrongful == 0 == found.bound.value and found.exact
