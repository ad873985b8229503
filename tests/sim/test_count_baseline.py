"""The observed-count baseline in simulation: a silently cut list never becomes the baseline, so a
second cut list right after a first is caught as often as one after a complete list, and a real,
persistent fall clears after confirm_cycles observations instead of sticking (issue 11, item 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recon.sim import simulate

SEEDS = range(4)
BIG = 0.6  # a list holding at most this share of what exists: a fall well past the 30% threshold


def catch_rates(scenario: Path) -> dict[str, tuple[int, int]]:
    """(caught, total) of big cuts, by what the list before was: complete, or a first cut after a
    complete one (a third cut in a row may be the one that confirms a lower count, by design)."""
    out = {"after a complete list": (0, 0), "after a cut list": (0, 0)}
    for seed in SEEDS:
        r = simulate(scenario, seed=seed, overrides=["provider.pages.truncate_p=0.4"])
        c = r.cycles
        cuts = r.events[r.events.event == "partial_list"]
        cycle_of = np.searchsorted(c.time.to_numpy(), cuts.time.to_numpy(), side="right") - 1
        kept = dict(zip(cycle_of.tolist(), (cuts.kept / cuts.total).tolist()))
        for i in range(2, len(c)):
            if kept.get(i, 1.0) > BIG or i - 2 in kept:
                continue
            which = "after a cut list" if i - 1 in kept else "after a complete list"
            caught, total = out[which]
            out[which] = (caught + ("incomplete_observation" in c.guards_tripped[i].split(";")), total + 1)
    return out


def test_a_big_cut_right_after_a_cut_list_is_caught_as_often_as_after_a_complete_one(scenarios: Path) -> None:
    rates = catch_rates(scenarios / "truncated-list-silent.yaml")
    assert all(total >= 20 for _, total in rates.values()), rates
    # Before the rule, the first cut became the baseline: the second was caught about half the time.
    assert all(caught == total for caught, total in rates.values()), rates


def test_a_real_persistent_fall_clears_after_confirm_cycles() -> None:
    """Someone deletes 40% by hand and an observe-only loop never puts it back: deletes are
    suppressed for confirm_cycles - 1 cycles, then the lower count is the baseline."""
    scenario = {
        "name": "hand-deletes-40-percent", "duration": 1800, "world": {"resources": 200},
        "loop": {"name": "audit", "period": 60, "mode": "observe-only"},
        "drift": {"bursts": [{"at": 630, "deletes": 80}]},
    }
    for setting in (None, 2, 5):  # None: the default, 3
        if setting is not None:
            scenario["loop"]["guards"] = {"incomplete_observation": {"confirm_cycles": setting}}
        c = simulate(scenario, seed=1).cycles
        tripped = c[c.guards_tripped.str.contains("incomplete_observation")].time.tolist()
        assert tripped == [660.0 + 60 * k for k in range((setting or 3) - 1)], (setting, tripped)
        assert (c[c.time > 630].observed_count == 120).all()
