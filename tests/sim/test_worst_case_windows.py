"""The worst case under budgets across cycles (issue 13 acceptance): win-guards' windows on the adversary."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from recon.analysis.worstcase.bound import replay
from recon.analysis.worstcase.engine import setup_for
from recon.analysis.worstcase.search import Move, Space, brute_force, search
from recon.cli import main
from recon.sim import load_scenario, simulate
from tests.sim.test_worst_case import ACCEPTANCE, _small

BUDGET = ["loop.guards.max_deletes.window=3600", "loop.guards.max_deletes.window_max=20"]
SHRINK = ["loop.guards.desired_shrink.window=3600"]


def _worst(tmp_path: Path, sets: list[str]) -> dict:
    (tmp_path / "s.yaml").write_text(json.dumps(ACCEPTANCE), encoding="utf-8")
    args = ["worst-case", str(tmp_path / "s.yaml"), "--horizon", "30", "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(main, args + [a for s in sets for a in ("--set", s)])
    assert res.exit_code == 0, res.output
    worst = json.loads((tmp_path / "out" / "worst.json").read_text(encoding="utf-8"))
    assert simulate(tmp_path / "out" / "trace.yaml").summary["wrongful_deletes"] == worst["wrongful_deletes"]
    return worst


def test_a_delete_budget_of_20_an_hour_bounds_the_worst_case_at_20(tmp_path: Path) -> None:
    worst = _worst(tmp_path, BUDGET)
    assert worst["wrongful_deletes"] <= 20 and worst["upper_bound"] == 20
    assert worst["search"] == "exhaustive" and "max_deletes" in worst["guards_tripped"]


def test_with_the_shrink_window_too_the_worst_case_stays_at_20(tmp_path: Path) -> None:
    worst = _worst(tmp_path, BUDGET + SHRINK)
    assert worst["wrongful_deletes"] <= 20


def test_the_shrink_window_holds_a_shrink_beyond_30_percent_of_the_hours_largest_state() -> None:
    # The slow shrink, ten more each minute: without a window every step is accepted; with one, the
    # first desired count more than 30% below the hour's largest (200) is held, and so is every later one.
    slow = tuple(Move("drop", 10 * (i + 1)) for i in range(12))
    free = replay(setup_for(load_scenario(ACCEPTANCE), 12), slow)
    assert free.wrongful == 120 and "desired_shrink" not in free.tripped
    held = replay(setup_for(load_scenario(ACCEPTANCE, SHRINK), 12), slow)
    assert held.wrongful == 60 and "desired_shrink" in held.tripped  # 200 -> 140 is 30%: allowed; 130 is not
    # the same in the simulation: the first hold is at desired 130, and it deletes nothing
    script = [{"at": 60.0 * i, "desired": "drop", "count": 10 * (i + 1)} for i in range(12)]
    sc = load_scenario({**ACCEPTANCE, "duration": 720, "script": script}, SHRINK)
    cycles = simulate(sc).cycles
    first = cycles[cycles["guards_tripped"].str.contains("desired_shrink")].iloc[0]
    assert int(first["desired_count"]) == 130 and int(first["applied_delete"]) == 0
    assert int(cycles["applied_delete"].sum()) == 60


def test_the_search_equals_brute_force_with_windows_in_the_engine_state() -> None:
    # The windows live in the loop state: the dominance merge must keep states apart that differ
    # only there, or the search would beat or miss brute force.
    sc = _small(12, guards={"max_deletes": {"max": 4, "window": 120, "window_max": 5},
                            "desired_shrink": {"max_fraction": 0.3, "window": 180}})
    setup = setup_for(sc, 3)
    sp = Space(12, 2, 12, desired=("full", "drop", "rename"), observe=("complete",))
    found = search(setup, 3, sp, beam=10**9)
    assert found.exhaustive and found.node.wrongful == brute_force(setup, 3, sp) > 0


def test_engine_states_that_differ_only_in_their_windows_never_merge() -> None:
    from dataclasses import replace

    from recon.analysis.worstcase.engine import start
    from recon.core.baseline import Window, Windows

    setup = setup_for(_small(12), 1)
    node = start(setup)
    used = replace(node, state=replace(node.state, windows=Windows(deletes=Window(((0.0, 2),)))))
    assert node.key(setup) != used.key(setup)
    assert used.key(setup) == replace(used, wrongful=5).key(setup)  # what decides the future, not the past


def test_the_slow_failure_scenario_teaches_what_its_comment_says() -> None:
    from tests.sim.test_scenario_hints import _hints

    path = Path(__file__).resolve().parents[2] / "scenarios" / "slow-failure.yaml"
    plain = simulate(path).summary
    assert plain["wrongful_deletes"] == 170 and not any(n for g, n in plain["guard_trips"].items() if g != "max_changes")
    (sets,) = _hints(path)
    budget = simulate(load_scenario(path, sets)).summary
    assert budget["wrongful_deletes"] == 20 and budget["guard_trips"]["max_deletes"] > 0


def test_the_change_fed_diffs_cache_is_not_engine_state() -> None:
    # LoopState.last_plan is a cache outside the state's equality: two nodes that differ only there
    # have the same future, and merge.
    from dataclasses import replace

    from recon.analysis.worstcase.bound import replay as run
    from recon.analysis.worstcase.engine import start

    setup = setup_for(_small(12), 2)
    after = run(setup, (Move("drop", 3), Move("full")))
    assert after.state.last_plan is not None
    assert replace(after, state=replace(after.state, last_plan=None)).key(setup) == after.key(setup)
    assert start(setup).key(setup) != after.key(setup)
