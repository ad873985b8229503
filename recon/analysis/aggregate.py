"""Per-grid-point aggregates of a sweep's runs, with intervals.

For each grid point and scenario: the mean of wrongful deletes, outage resource-seconds, approvals
requested (pages to humans) and guard trips, each with a 95% bootstrap percentile interval; the
share of runs that converged; and p50 / p95 of the time to converge, where a run that never
converged counts as taking forever (so a setting that stalls a legitimate change cannot look fast
by dropping its stalled runs). The bootstrap draws from a generator seeded by the sweep's root, so
the same sweep gives the same intervals, byte for byte.

This module computes; it never reads or writes files and never runs a simulation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from recon.core.guards import GUARD_ORDER

MEAN_METRICS = ("wrongful_deletes", "outage_resource_seconds", "approvals_requested", "guard_trips")
CONFIDENCE = 0.95
RESAMPLES = 2000
QUANTILE_METHOD = "inverted_cdf"  # an observed value, never an interpolation (handles runs that never converged)


def trip_column(guard: str) -> str:
    return f"trips_{guard}"


def _interval(x: np.ndarray, statistic: str, rng: np.random.Generator) -> tuple[float, float]:
    if len(x) < 2:
        return (float("nan"), float("nan"))
    if np.all(x == x[0]):  # every run agrees: the interval is that value (bootstrap would warn)
        return (float(x[0]), float(x[0]))

    def stat(sample: np.ndarray, axis: int = -1) -> np.ndarray:
        if statistic == "mean":
            return np.mean(sample, axis=axis)
        return np.quantile(sample, float(statistic), axis=axis, method=QUANTILE_METHOD)

    with np.errstate(invalid="ignore"):
        res = stats.bootstrap((x,), stat, n_resamples=RESAMPLES, confidence_level=CONFIDENCE,
                              method="percentile", vectorized=True, rng=rng)
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def converge_times(group: pd.DataFrame) -> np.ndarray:
    """Time to converge per run, +inf for a run that never converged."""
    t = pd.to_numeric(group["time_to_converge"], errors="coerce").to_numpy(dtype=float)
    ok = group["converged"].astype(bool).to_numpy()
    return np.where(ok & ~np.isnan(t), t, np.inf)


def point_table(runs: pd.DataFrame, params: Sequence[str], scenarios: Sequence[str], root: int) -> pd.DataFrame:
    """One row per (grid point, scenario), in grid order then scenario order."""
    rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(2**32 - 1,)))
    rows = []
    for (point, scenario), g in sorted(runs.groupby(["point", "scenario"], sort=False),
                                       key=lambda kv: (kv[0][0], list(scenarios).index(kv[0][1]))):
        first = g.iloc[0]
        row: dict[str, object] = {"point": int(point), "scenario": scenario}
        row.update({p: first[p] for p in params})
        row["runs"] = len(g)
        for m in MEAN_METRICS:
            x = pd.to_numeric(g[m], errors="coerce").fillna(0).to_numpy(dtype=float)
            lo, hi = _interval(x, "mean", rng)
            row.update({f"{m}_mean": float(x.mean()), f"{m}_lo": lo, f"{m}_hi": hi})
        for guard in GUARD_ORDER:
            row[f"{trip_column(guard)}_mean"] = float(pd.to_numeric(g[trip_column(guard)]).fillna(0).mean())
        t = converge_times(g)
        row["converged_fraction"] = float(np.isfinite(t).mean())
        row["converge_p50"] = float(np.quantile(t, 0.5, method=QUANTILE_METHOD))
        row["converge_p95"] = float(np.quantile(t, 0.95, method=QUANTILE_METHOD))
        row["converge_p95_lo"], row["converge_p95_hi"] = _interval(t, "0.95", rng)
        rows.append(row)
    return pd.DataFrame(rows)
