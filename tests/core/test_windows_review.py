"""Hostile histories for the windows across cycles (review of issue 13 item 2), through the real engine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon.approvers import ApproveAll, DenyAll
from recon.core.baseline import Window
from recon.core.cycle import run_cycle
from recon.core.model import DesiredState
from recon.core.policy import Guards, Policy, RunMode
from recon.drivers.loop import drive
from tests.core.test_windows import SCOPE, SlowFailure, res


@pytest.mark.parametrize("guards", [
    {"max_deletes": {"enabled": False, "window": 1e12, "window_max": 5}},
    {"desired_shrink": {"enabled": False, "window": 1e12}},
])
def test_a_window_on_a_disabled_guard_keeps_nothing(guards: dict[str, Any]) -> None:
    # A disabled guard never reads its window, so entries kept for it only grow the stored row (one
    # per cycle under a huge window) and the work of every cycle.
    run = SlowFailure(Policy(guards=Guards.model_validate({"empty_desired": True, **guards}))).run(12)
    assert run.deleted > 0
    windows = run.results[-1].state.windows
    assert windows.deletes == Window() and windows.desired == Window(), windows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 15), st.sampled_from([30.0, 100.0, 3600.0]),
       st.lists(st.tuples(st.floats(-4000, 4000), st.integers(0, 40), st.booleans()), min_size=3, max_size=20))
def test_a_clock_stepped_back_never_frees_the_budget(window_max: int, window: float,
                                                     steps: list[tuple[float, int, bool]]) -> None:
    # The wall clock steps either way between cycles (NTP), approvals come and go, and the state goes
    # through the store each cycle: a delete stamped later than now (the clock went back) still counts.
    pol = Policy(guards=Guards.model_validate({
        "desired_shrink": {"max_fraction": 0.3, "window": window}, "empty_desired": True,
        "max_deletes": {"max": 10, "action": "hold", "window": window, "window_max": window_max}}))
    run, now, left, made = SlowFailure(pol), 0.0, SCOPE, list[tuple[float, int]]()
    for step, loss, approve in steps:
        now, left = now + step, max(left - loss, 1)
        run.approver = ApproveAll() if approve else DenyAll()
        desired = DesiredState.of(map(res, range(left)), "slow-source")
        result = drive(run_cycle("slow", pol, run.store.load_state("slow"), now, mode=RunMode.ENFORCE),
                       lambda e, d=desired, t=now: run.answer(e, d, t))
        run.store.save_state("slow", result.state)
        made.append((now, 0 if result.record.approved_by else result.record.applied_delete))
        assert sum(n for t, n in made if now - t < window) <= window_max, made
