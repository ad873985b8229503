"""The Pareto frontier and the recommendation rule, on hand-made aggregate tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from recon.analysis.frontier import Bounds, dominators, objectives, pareto_mask, recommend, standing

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


def test_standing_names_the_nearest_frontier_point_that_dominates() -> None:
    # caps 0..40: 0 and 10 page twice and converge slowly; 20 and 40 page once, 20 faster; 60 damages.
    rows = [(0, 2.0, 2040.0), (10, 2.0, 1850.0), (20, 1.0, 900.0), (40, 1.0, 950.0), (60, 0.0, 5400.0)]
    pts = _points([(cap, "lab", 54.0 if cap == 60 else 0.0, 54.0 if cap == 60 else 0.0, conv, pages)
                   for cap, pages, conv in rows])
    t = objectives(pts, [P])
    assert t["pareto"].tolist() == [False, False, True, False, True]
    assert standing(t, 2, [P]).dominated_by is None and standing(t, 4, [P]).dominated_by is None
    # 10 dominates 0 and is nearer, but is dominated itself: the answer is a frontier point.
    for point, by in ((0, 20), (1, 20), (3, 20)):
        st = standing(t, point, [P])
        assert st.row[P] == rows[point][0] and st.dominated_by is not None and st.dominated_by[P] == by
    # One definition of dominance: the frontier is exactly the rows nothing dominates.
    costs = t[["damage", "converge_p95", "pages"]].to_numpy(dtype=float)
    assert [not len(dominators(costs, i)) for i in range(len(t))] == t["pareto"].tolist()


def test_standing_prefers_the_dominating_point_nearest_on_the_grid() -> None:
    # 0 is dominated by both 20 and 40 (equal costs); 20 is one grid step nearer.
    rows = [(0, 0.0, 0.0, 1000.0, 2.0), (10, 9.0, 9.0, 100.0, 0.0), (20, 0.0, 0.0, 900.0, 1.0),
            (40, 0.0, 0.0, 900.0, 1.0)]
    t = objectives(_points([(cap, "lab", m, hi, conv, pages) for cap, m, hi, conv, pages in rows]), [P])
    st = standing(t, 0, [P])
    assert st.dominated_by is not None and st.dominated_by[P] == 20
