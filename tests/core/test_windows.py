"""Delete budgets and shrink baselines across cycles (issue 13 item 2), through the real engine.

The slow failure: a desired source that loses ~9 resources per one-minute cycle stays under every
per-cycle guard and deletes most of the scope; ``max_deletes.window``/``window_max`` caps what goes
without approval in any window, and ``desired_shrink.window`` measures a shrink from the window's
largest accepted state. The loop state goes through a state store between cycles, as across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from recon.approvers import ApproveAll, DenyAll
from recon.core.baseline import Window
from recon.core.cycle import run_cycle
from recon.core.effects import Apply, CheckKillSwitch, Delete, FileApprovalRequest, GetApproval, LoadDesired, Observe, WriteResult
from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.policy import Guards, Outcome, Policy, RunMode
from recon.core.record import CycleResult, LoopState
from recon.drivers.loop import drive
from recon.store.sqlite import StateStore

SCOPE = 200
LOSS = 9
CYCLES = 30
PERIOD = 60.0


def policy(delete_window: float | None = None, window_max: int | None = None,
           shrink_window: float | None = None) -> Policy:
    """The acceptance setting: desired_shrink 0.3, max_deletes.max 10 on hold, empty_desired on."""
    return Policy(guards=Guards.model_validate({
        "desired_shrink": {"max_fraction": 0.3, "window": shrink_window},
        "max_deletes": {"max": 10, "action": "hold", "window": delete_window, "window_max": window_max},
        "empty_desired": True,
    }))


def res(i: int) -> Resource:
    return Resource("A", f"r{i:03}", {"ttl": 300, "values": [f"10.0.{i // 250}.{i % 250}"]})


@dataclass
class SlowFailure:
    """A world of SCOPE resources and a desired source that loses LOSS more each cycle; the loop
    state is saved to and reloaded from a state store around every cycle (a restart each time)."""

    policy: Policy
    approver: Any = field(default_factory=DenyAll)
    stop: int = CYCLES  # the source stops losing resources after this many cycles
    world: dict[Key, Resource] = field(default_factory=lambda: {r.key: r for r in map(res, range(SCOPE))})
    store: StateStore = field(default_factory=lambda: StateStore(":memory:"))
    results: list[CycleResult] = field(default_factory=list)

    def run(self, cycles: int = CYCLES) -> SlowFailure:
        for c in range(cycles):
            now = c * PERIOD
            desired = DesiredState.of(map(res, range(max(SCOPE - LOSS * min(c, self.stop), 0))), "slow-source")
            state = self.store.load_state("slow")
            result = drive(run_cycle("slow", self.policy, state, now, mode=RunMode.ENFORCE),
                           lambda e, d=desired, t=now: self.answer(e, d, t))
            self.store.save_state("slow", result.state)
            assert self.store.load_state("slow") == result.state, "the store lost part of the loop state"
            self.results.append(result)
        return self

    def answer(self, effect: Any, desired: DesiredState, now: float) -> Any:
        if isinstance(effect, CheckKillSwitch):
            return False
        if isinstance(effect, LoadDesired):
            return desired
        if isinstance(effect, Observe):
            return Observation.of(self.world.values(), source="world")
        if isinstance(effect, GetApproval):
            return self.approver.lookup(effect.request_id, effect.digest, now)
        if isinstance(effect, FileApprovalRequest):
            self.approver.request(effect.request, now)
            return None
        if isinstance(effect, Delete):
            del self.world[effect.change.key]
        else:
            assert isinstance(effect, Apply)
            self.world[effect.change.key] = effect.change.target
        return WriteResult(True)

    @property
    def deleted(self) -> int:
        return SCOPE - len(self.world)

    def outcomes(self, guard: str) -> list[Outcome]:
        return [v.outcome for r in self.results for v in r.decision.verdicts if v.guard == guard]


def test_per_cycle_guards_let_the_slow_failure_delete_most_of_the_scope() -> None:
    run = SlowFailure(policy()).run()
    assert run.deleted >= 150, run.deleted
    gone = 0
    for r in run.results:  # no guard trips at all while the first 150 go
        assert gone >= 150 or not r.record.guards_tripped, (gone, r.record.guards_tripped)
        gone += r.record.applied_delete
    assert run.results[-1].state.windows.deletes == Window(), "a window that is off keeps nothing"


def test_a_delete_window_lets_at_most_window_max_go_without_approval() -> None:
    run = SlowFailure(policy(3600, 20)).run()
    assert 0 < run.deleted <= 20, run.deleted
    held = [v for r in run.results for v in r.decision.verdicts if v.guard == "max_deletes" and v.outcome is Outcome.HOLD]
    assert held and "unapproved in the last 3600 s, window_max 20" in held[0].reason, held[:1]


def test_a_shrink_window_holds_falls_beyond_the_fraction_of_the_windows_largest_state() -> None:
    run = SlowFailure(policy(3600, 20, shrink_window=3600)).run()
    assert run.deleted <= 20
    for r in run.results:
        if not r.record.desired_count:
            continue  # empty_desired refuses an empty list before desired_shrink is asked
        (v,) = [v for v in r.decision.verdicts if v.guard == "desired_shrink"]
        assert (v.outcome is Outcome.HOLD) == (r.record.desired_count < SCOPE * 0.7), (r.record.cycle, v)
        if v.outcome is Outcome.HOLD:
            assert f"desired fell from {SCOPE} (the largest accepted in the last 3600 s)" in v.reason, v.reason


def test_the_shrink_window_alone_stops_the_fall_at_the_fraction() -> None:
    run = SlowFailure(policy(shrink_window=3600)).run()
    # 146 of 200 is the last state within 30% of the hour's largest; from 137 on every shrink is held.
    assert run.deleted == SCOPE - 146, run.deleted
    assert run.outcomes("desired_shrink")[7:].count(Outcome.HOLD) == len(run.outcomes("desired_shrink")[7:])


def test_approved_deletes_do_not_count_against_the_window() -> None:
    # While the source keeps losing, each cycle's delete set is new and no approval binds to it; once
    # it stops, the held set is approved as asked and all of it goes without touching the budget.
    run = SlowFailure(policy(3600, 20), approver=ApproveAll(), stop=5).run(8)
    assert run.deleted == LOSS * 5, run.deleted
    assert [r.record.approved_by for r in run.results][5:] == [None, "approve-all", None]
    assert run.results[-1].state.windows.deletes.total(7 * PERIOD, 3600) == 18


def test_the_budget_frees_up_as_deletes_leave_the_window() -> None:
    pol = policy(120, 10)
    w = Window().plus(0.0, 120, 9)
    assert w.total(60.0, 120) == 9 and w.total(120.0, 120) == 0, "an entry counts for exactly window seconds"
    assert w.plus(120.0, 120, 4).entries == ((120.0, 4),), "entries that left the window are forgotten"
    assert pol.guards.max_deletes.window_max == 10


def test_the_peak_window_keeps_only_counts_that_can_still_be_the_largest() -> None:
    w = Window().plus_peak(0, 100, 50).plus_peak(10, 100, 40).plus_peak(20, 100, 45)
    assert w.entries == ((0, 50), (20, 45))
    assert w.largest(99, 100) == 50 and w.largest(100, 100) == 45 and w.largest(200, 100) is None


@pytest.mark.parametrize("guards, message", [
    ({"max_deletes": {"window": 60}}, "window is set but window_max is not"),
    ({"max_deletes": {"window_max": 5}}, "window_max is set but window is not"),
    ({"max_deletes": {"window": -1, "window_max": 5}}, "greater than 0"),
    ({"desired_shrink": {"window": 0}}, "greater than 0"),
    ({"desired_shrink": {"window": "an hour"}}, "number"),
    ({"max_deletes": {"window": 60, "window_max": -1}}, "greater than or equal to 0"),
])
def test_bad_window_settings_are_refused(guards: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Guards.model_validate(guards)
