"""Hostile histories for the windows across cycles (review of issue 13 item 2), through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from recon.core.baseline import Window
from recon.core.policy import Guards, Policy
from tests.core.test_windows import SlowFailure


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
