"""The simulator against the closed-form results of reference.md, each over several replications
with a 95% confidence interval. A formula outside its interval fails the test: a simulator that
disagrees with the formulas is wrong until shown otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recon.analysis.summary import (
    backlog_cycles, backlog_path, clean_only_dwell_mean, clean_only_drifted_fraction, detection_delay_mean,
    jittered_wait_mean, little_l, mean_ci, replicate,
)
from recon.sim import load_scenario, simulate

REPS = 8
T = 60.0


def test_detection_delay_of_independent_drift_is_half_a_period() -> None:
    # Hand edits arrive as a Poisson process, independent of the loop; each waits for the next list.
    sc = load_scenario({"duration": 4 * 3600, "world": {"resources": 100},
                        "loop": {"period": T}, "drift": {"edit_rate": 1 / 3600}})
    runs = replicate(sc, REPS, root_seed=101)
    ci = mean_ci(r.summary["detection_delay_mean"] for r in runs)
    assert detection_delay_mean(T) in ci, ci
    # The variance matches the uniform law too: T²/12 within 10%.
    delays = np.concatenate([(r.episodes["detected"] - r.episodes["start"]).dropna().to_numpy() for r in runs])
    assert abs(delays.var() / (T * T / 12) - 1) < 0.1


def test_jittered_intervals_give_the_length_biased_wait() -> None:
    # Intervals uniform on T(1 ± j): E[X²] / (2 E[X]) exceeds T/2 (the inspection paradox).
    j = 0.9
    sc = load_scenario({"duration": 4 * 3600, "world": {"resources": 100},
                        "loop": {"period": T, "jitter": j}, "drift": {"edit_rate": 1 / 3600}})
    runs = replicate(sc, REPS, root_seed=102)
    ci = mean_ci(r.summary["detection_delay_mean"] for r in runs)
    expected = jittered_wait_mean(T, (2 * j * T) ** 2 / 12)
    assert expected in ci, ci
    assert detection_delay_mean(T) not in ci, "the interval must be able to tell jitter apart from none"


def test_clean_only_dwell_matches_the_formula() -> None:
    rate = 1 / T  # λT = 1: far enough from T/2 that the test can tell the two apart
    sc = load_scenario({"duration": 3 * 3600, "world": {"resources": 20},
                        "loop": {"period": T}, "drift": {"edit_rate": rate, "only_clean": True}})
    runs = replicate(sc, REPS, root_seed=103)
    ci = mean_ci(r.summary["drift_dwell_mean"] for r in runs)
    assert clean_only_dwell_mean(T, rate) in ci, ci
    assert T / 2 not in ci, "the interval is narrow enough to reject the naive T/2"
    frac = mean_ci(r.summary["mean_out_of_sync"] / 20 for r in runs)
    assert clean_only_drifted_fraction(T, rate) in frac, frac


@pytest.mark.parametrize("cap", [7, 25])
def test_a_backlog_drains_in_ceil_n_over_c_cycles(cap: int) -> None:
    rng = np.random.default_rng(104)
    missing = []
    for n in rng.integers(20, 200, size=REPS):
        sc = load_scenario({"duration": 3600 * 4, "world": {"resources": 200, "initially_missing": int(n)},
                            "loop": {"period": T, "jitter": 0.3, "guards": {"max_changes": {"max": cap}}},
                            "provider": {"apply_latency": {"dist": "exponential", "mean": 0.05}}})
        r = simulate(sc, seed=int(n))
        busy = r.cycles[r.cycles["applied_create"] > 0]
        assert r.summary["converged"] and r.summary["applied"]["create"] == n
        missing.append(len(busy) - backlog_cycles(int(n), cap))
    ci = mean_ci(missing)
    assert 0 in ci and ci.high - ci.low == 0, ci


def test_backlog_with_arrivals_follows_the_queue_recursion() -> None:
    # Hand deletes arrive between cycles; the loop re-creates at most c per cycle.
    cap = 5
    sc = load_scenario({"duration": 3600 * 3, "world": {"resources": 300, "initially_missing": 40},
                        "loop": {"period": T, "guards": {"max_changes": {"max": cap}}},
                        "drift": {"delete_rate": 3 / (300 * T)}})
    r = simulate(sc, seed=105)
    c = r.cycles
    deletes = r.events[(r.events["event"] == "drift")]["time"].to_numpy()
    times = c["time"].to_numpy()
    arrivals = [int(((deletes > a) & (deletes <= b)).sum()) for a, b in zip(times[:-1], times[1:])]
    # Q(k) is the backlog left after cycle k's applies; A(k) arrives before cycle k+1.
    left = (c["to_create"] - c["applied_create"]).to_list()
    expected = backlog_path(arrivals, cap, start=left[0])
    assert left[1:] == expected
    assert (c["applied_create"] <= cap).all()
    # E[A] = 3 < c = 5: stable, so the backlog empties again and again.
    assert sum(1 for q in expected if q == 0) > 10


def test_littles_law_on_the_queue_of_changes_waiting_to_be_applied() -> None:
    # Jittered cycles and slow applies: resources wait in the "out of line" queue from drift to heal.
    sc = load_scenario({"duration": 6 * 3600, "world": {"resources": 100},
                        "loop": {"period": T, "jitter": 0.5},
                        "provider": {"apply_latency": {"dist": "exponential", "mean": 3.0},
                                     "delete_latency": {"dist": "exponential", "mean": 3.0}},
                        "drift": {"edit_rate": 1 / 1800, "delete_rate": 1 / 3600}})
    runs = replicate(sc, REPS, root_seed=106)
    pairs = [little_l(r) for r in runs]
    ci = mean_ci(L for L, _ in pairs)
    predicted = float(np.mean([lw for _, lw in pairs]))
    assert predicted in ci, (predicted, ci)
    assert math.isclose(ci.mean, predicted, rel_tol=0.02)
