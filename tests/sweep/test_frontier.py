"""The Pareto frontier and the recommendation rule, on hand-made aggregate tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from recon.analysis.frontier import Bounds, objectives, pareto_mask, recommend

P = "loop.guards.max_deletes.max"


def _points(rows: list[tuple[int, str, float, float, float, float]]) -> pd.DataFrame:
    """(cap, scenario, wrongful mean, wrongful upper bound, p95 converge, approvals) per row."""
    caps = sorted({r[0] for r in rows})
    return pd.DataFrame([{"point": caps.index(cap), "scenario": sc, P: cap, "wrongful_deletes_mean": m,
                          "wrongful_deletes_hi": hi, "outage_resource_seconds_mean": m * 60.0,
                          "converge_p95": conv, "approvals_requested_mean": pages}
                         for cap, sc, m, hi, conv, pages in rows])


# cap 5: safe, slow, pages; cap 20: safe in the mean but not with confidence; cap 50: fast, damages.
POINTS = _points([
    (5, "empty", 0.0, 0.0, 0.0, 1.0), (5, "migration", 0.0, 0.0, 900.0, 1.0),
    (20, "empty", 0.1, 0.3, 0.0, 0.0), (20, "migration", 0.0, 0.0, 600.0, 1.0),
    (50, "empty", 40.0, 40.0, 0.0, 0.0), (50, "migration", 0.0, 0.0, 300.0, 0.0),
])


def test_pareto_mask_keeps_undominated_and_ties() -> None:
    costs = np.array([[0, 10, 1], [0, 10, 1], [1, 10, 1], [5, 1, 0], [0, 20, 2]], dtype=float)
    assert pareto_mask(costs).tolist() == [True, True, False, True, False]


def test_objectives_take_the_worst_scenario_and_sum_pages() -> None:
    t = objectives(POINTS, [P]).set_index("point")
    assert t.loc[0, "converge_p95"] == 900.0 and t.loc[0, "pages"] == 2.0
    assert t.loc[1, "damage"] == 0.1 and t.loc[1, "damage_hi"] == 0.3
    assert t["pareto"].tolist() == [True, True, True]


def test_recommendation_is_the_cheapest_setting_within_both_bounds() -> None:
    t = objectives(POINTS, [P])
    rec = recommend(t, POINTS, [P], Bounds(max_wrongful_deletes=0.5, max_p95_converge=1000))
    assert rec["satisfied"] and rec["setting"] == {P: 20}  # one page fewer than cap 5
    assert [r["scenario"] for r in rec["evidence"]["per_scenario"]] == ["empty", "migration"]
    # a zero bound is judged on the upper end of the interval: cap 20 no longer qualifies
    rec0 = recommend(t, POINTS, [P], Bounds(max_wrongful_deletes=0, max_p95_converge=1000))
    assert rec0["setting"] == {P: 5} and rec0["feasible_points"] == [0]


def test_no_setting_within_bounds_is_said_plainly_with_the_closest() -> None:
    t = objectives(POINTS, [P])
    rec = recommend(t, POINTS, [P], Bounds(max_wrongful_deletes=0, max_p95_converge=500))
    assert rec["satisfied"] is False and rec["setting"] is None
    assert rec["statement"].startswith("No setting in the grid keeps wrongful deletes <= 0")
    closest = {c["why"]: c["setting"] for c in rec["evidence"]["closest"]}
    assert closest == {"least damage among settings within the convergence bound": {P: 50},
                       "fastest among settings within the wrongful-delete bound": {P: 5}}


def test_never_converging_is_null_in_json_and_never_within_a_bound() -> None:
    pts = POINTS.copy()
    pts.loc[pts["point"] == 0, "converge_p95"] = math.inf
    t = objectives(pts, [P])
    rec = recommend(t, pts, [P], Bounds(max_wrongful_deletes=0, max_p95_converge=10_000))
    assert rec["satisfied"] is False
    text = json.dumps(rec, allow_nan=False)
    assert '"converge_p95": null' in text
