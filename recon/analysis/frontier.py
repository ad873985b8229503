"""The trade-off of a sweep: objectives per grid point, the Pareto frontier, and a recommendation.

Three costs, all to be minimised, per grid point over the sweep's scenarios:

- ``damage``: wrongful deletes per run (mean), the worst scenario's;
- ``converge_p95``: the 95th percentile of time to converge (never converging counts as forever),
  the worst scenario's;
- ``pages``: approvals requested per run (mean), summed over scenarios (pages for one occurrence
  of each).

A point is on the frontier when no other point is at least as good on all three and better on one.
The recommendation is the cheapest point (fewest pages; then faster p95; then less damage; then
grid order) among those whose wrongful deletes stay at or under the bound *with confidence* (the
upper end of the 95% interval of the mean, in every scenario) and whose p95 convergence stays at or
under its bound in every scenario. When none does, it says so and shows the closest points.

This module decides from tables; it never runs a simulation or writes a file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

OBJECTIVES = ("damage", "converge_p95", "pages")


@dataclass(frozen=True, slots=True)
class Bounds:
    """Limits the recommended setting must respect; ``None`` means no limit."""

    max_wrongful_deletes: float = 0.0
    max_p95_converge: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_wrongful_deletes", "max_p95_converge"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, (int, float)) or math.isnan(v) or v < 0):
                raise ValueError(f"{name}: must be a non-negative number, got {v!r}")


def objectives(points: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """One row per grid point: its settings, the three costs, and what the bounds are checked on."""
    rows = []
    for point, g in points.groupby("point", sort=True):
        first = g.iloc[0]
        rows.append({
            "point": int(point), **{p: first[p] for p in params},
            "damage": float(g["wrongful_deletes_mean"].max()),
            "damage_hi": float(g["wrongful_deletes_hi"].fillna(g["wrongful_deletes_mean"]).max()),
            "outage": float(g["outage_resource_seconds_mean"].max()),
            "converge_p95": float(g["converge_p95"].max()),
            "pages": float(g["approvals_requested_mean"].sum()),
        })
    table = pd.DataFrame(rows)
    table["pareto"] = pareto_mask(table[list(OBJECTIVES)].to_numpy(dtype=float)) if len(table) else []
    return table


def dominators(costs: np.ndarray, i: int) -> np.ndarray:
    """Indices of the rows that dominate row *i*: at least as good on every cost and better on one."""
    le = np.all(costs <= costs[i], axis=1)
    lt = np.any(costs < costs[i], axis=1)
    return np.flatnonzero(le & lt)


def pareto_mask(costs: np.ndarray) -> np.ndarray:
    """True for rows no other row dominates. Equal rows are all kept."""
    return np.array([not len(dominators(costs, i)) for i in range(len(costs))], dtype=bool)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one grid point stands: its row of :func:`objectives`, and when it is off the frontier the
    frontier point nearest to it on the grid that dominates it."""

    row: pd.Series
    dominated_by: pd.Series | None


def standing(table: pd.DataFrame, point: int, params: Sequence[str]) -> Standing:
    """The standing of grid point *point*; "nearest" counts steps along each grid axis, ties to grid order."""
    i = int(np.flatnonzero(table["point"].to_numpy() == point)[0])
    better = [j for j in dominators(table[list(OBJECTIVES)].to_numpy(dtype=float), i) if table["pareto"].iloc[j]]
    if not better:
        return Standing(table.iloc[i], None)
    # A grid's values appear in the table in axis order, so a value's position is its step on that axis.
    steps = {p: {v: k for k, v in enumerate(pd.unique(table[p]))} for p in params}

    def distance(j: int) -> tuple[int, int]:
        return sum(abs(steps[p][table[p].iloc[j]] - steps[p][table[p].iloc[i]]) for p in params), j

    return Standing(table.iloc[i], table.iloc[min(better, key=distance)])


def _num(v: Any) -> Any:
    """JSON-safe number: infinity (a run that never converged) becomes None."""
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _record(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _num(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _setting(row: pd.Series, params: Sequence[str]) -> dict[str, Any]:
    return {p: _num(row[p]) for p in params}


def recommend(table: pd.DataFrame, points: pd.DataFrame, params: Sequence[str], bounds: Bounds) -> dict[str, Any]:
    """The recommendation as a JSON-ready mapping (see the module docstring for the rule)."""
    ok_damage = table["damage_hi"] <= bounds.max_wrongful_deletes
    ok_conv = (table["converge_p95"] <= bounds.max_p95_converge) if bounds.max_p95_converge is not None \
        else pd.Series(True, index=table.index)
    feasible = table[ok_damage & ok_conv]
    order = ["pages", "converge_p95", "damage", "outage", "point"]
    rule = ("cheapest setting (fewest approvals requested per run, then lowest p95 time to converge, then fewest "
            "wrongful deletes) whose upper 95% bound on mean wrongful deletes per run is <= max_wrongful_deletes "
            "and whose p95 time to converge is <= max_p95_converge, in every scenario; a run that never "
            "converged counts as never (null in this file)")
    out: dict[str, Any] = {
        "bounds": {"max_wrongful_deletes": bounds.max_wrongful_deletes, "max_p95_converge": bounds.max_p95_converge},
        "rule": rule,
        "grid_points": int(len(table)),
        "feasible_points": [int(p) for p in feasible["point"]],
        "frontier_points": [int(p) for p in table.loc[table["pareto"], "point"]],
    }
    if len(feasible):
        best = feasible.sort_values(order, kind="stable").iloc[0]
        pt = int(best["point"])
        setting = _setting(best, params)
        out.update({
            "satisfied": True, "point": pt, "setting": setting,
            "statement": (f"{_describe(setting)} is the cheapest of {len(feasible)} setting(s) out of {len(table)} "
                          f"that keep wrongful deletes <= {bounds.max_wrongful_deletes} per run"
                          + (f" and p95 convergence <= {bounds.max_p95_converge} s" if bounds.max_p95_converge is not None else "")
                          + f": {best['pages']:.3g} approvals per run, p95 convergence "
                          + (f"{best['converge_p95']:.4g} s" if math.isfinite(best["converge_p95"]) else "never")
                          + f", {best['damage']:.3g} wrongful deletes per run."),
            "evidence": {"objectives": {k: _num(v) for k, v in best.items()},
                         "per_scenario": _record(points[points["point"] == pt])},
        })
        return out
    closest = []
    if ok_conv.any():
        closest.append(("least damage among settings within the convergence bound",
                        table[ok_conv].sort_values(["damage_hi", "damage", "pages", "point"], kind="stable").iloc[0]))
    if ok_damage.any():
        closest.append(("fastest among settings within the wrongful-delete bound",
                        table[ok_damage].sort_values(["converge_p95", "pages", "point"], kind="stable").iloc[0]))
    if not closest:
        closest.append(("least damage overall",
                        table.sort_values(["damage_hi", "damage", "converge_p95", "point"], kind="stable").iloc[0]))
    out.update({
        "satisfied": False, "point": None, "setting": None,
        "statement": (f"No setting in the grid keeps wrongful deletes <= {bounds.max_wrongful_deletes} per run"
                      + (f" and p95 convergence <= {bounds.max_p95_converge} s" if bounds.max_p95_converge is not None else "")
                      + f" (0 of {len(table)}). Closest: "
                      + "; ".join(f"{why}: {_describe(_setting(r, params))}" for why, r in closest) + "."),
        "evidence": {"closest": [{"why": why, "point": int(r["point"]), "setting": _setting(r, params),
                                  "objectives": {k: _num(v) for k, v in r.items()},
                                  "per_scenario": _record(points[points["point"] == int(r["point"])])}
                                 for why, r in closest]},
    })
    return out


def _describe(setting: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "the scenario as given"
