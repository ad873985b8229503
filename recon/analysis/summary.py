"""Summaries of simulation results: comparison tables, replications, confidence intervals, and the
closed-form results of queueing and drift that the simulator must reproduce.

Computes only; never runs a loop itself except through :func:`recon.sim.simulate` in
:func:`replicate`, and never writes files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from recon.sim import Scenario, SimResult, simulate

TABLE_KEYS = ("wrongful_deletes", "outage_resource_seconds", "converged", "time_to_converge", "drift_dwell_mean",
              "approvals_requested", "api_calls")


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided Student-t confidence interval over *n* replications."""

    mean: float
    low: float
    high: float
    n: int
    level: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.4g} [{self.low:.4g}, {self.high:.4g}] ({self.level:.0%}, n={self.n})"


def mean_ci(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and Student-t interval of independent replications (at least two)."""
    x = np.asarray([float(v) for v in values], dtype=float)
    if x.size < 2:
        raise ValueError(f"a confidence interval needs at least 2 replications, got {x.size}")
    m = float(x.mean())
    half = float(stats.t.ppf((1 + level) / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(m, m - half, m + half, int(x.size), level)


def replicate(scenario: Scenario, seeds: int, root_seed: int = 0) -> list[SimResult]:
    """Run *scenario* once per child of ``SeedSequence(root_seed)``: independent replications."""
    children = np.random.SeedSequence(root_seed).spawn(seeds)
    return [simulate(scenario, seed=s) for s in children]


def counts_text(counts: Mapping[str, int]) -> str:
    """``delete_spike ×1, max_deletes ×3`` for the names that counted, or ``none``."""
    return ", ".join(f"{name} ×{n}" for name, n in counts.items() if n) or "none"


def compare(results: Mapping[str, SimResult], keys: Sequence[str] = TABLE_KEYS) -> pd.DataFrame:
    """One row per labelled result, one column per summary key (guard trips as ``trips``, and ``alerts``)."""
    rows = []
    for label, r in results.items():
        s = r.summary
        row: dict[str, Any] = {"run": label}
        row.update({k: s.get(k) for k in keys})
        row["trips"] = counts_text(s.get("guard_trips", {}))
        row["alerts"] = counts_text(s.get("alerts", {}))
        rows.append(row)
    return pd.DataFrame(rows).set_index("run")


# Closed-form results (reference.md, "Closed-form results the simulator must reproduce") ---------

def detection_delay_mean(period: float) -> float:
    """Drift arriving independently of a loop of period T waits on average T/2 to be seen."""
    return period / 2


def jittered_wait_mean(mean_interval: float, var_interval: float) -> float:
    """Mean wait to the next cycle when intervals X vary: E[X²] / (2 E[X])."""
    return (var_interval + mean_interval ** 2) / (2 * mean_interval)


def clean_only_dwell_mean(period: float, rate: float) -> float:
    """E[D] = T − 1/λ + T·e^(−λT)/(1 − e^(−λT)) for a resource that drifts only while clean."""
    e = math.exp(-rate * period)
    return period - 1 / rate + period * e / (1 - e)


def clean_only_drifted_fraction(period: float, rate: float) -> float:
    """Fraction of time drifted under the clean-only model: 1 − (1 − e^(−λT)) / (λT)."""
    lt = rate * period
    return 1 - (1 - math.exp(-lt)) / lt


def backlog_cycles(backlog: int, cap: int) -> int:
    """A backlog of N changes under a cap of c changes a cycle drains in ⌈N / c⌉ cycles."""
    return math.ceil(backlog / cap)


def backlog_path(arrivals: Sequence[int], cap: int, start: int = 0) -> list[int]:
    """Q(k+1) = max(0, Q(k) + A(k) − c): the backlog after each cycle."""
    q, out = start, []
    for a in arrivals:
        q = max(0, q + a - cap)
        out.append(q)
    return out


def little_l(result: SimResult) -> tuple[float, float]:
    """Little's law on the queue of out-of-line resources: (time-average L, arrival rate × mean wait)."""
    s = result.summary
    ep = result.episodes
    done = ep.dropna(subset=["dwell"])
    rate = len(ep) / float(s["duration"])
    wait = float(done["dwell"].mean()) if len(done) else 0.0
    return float(s["mean_out_of_sync"]), rate * wait
