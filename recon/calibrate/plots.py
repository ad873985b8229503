"""Pictures of a calibration: drift over time per resource kind, and the fitted rates with their intervals.

Each function returns a matplotlib figure (the notebook shows it, a caller may save it); none reads
a file or fits anything.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from recon.calibrate.run import Calibration
from recon.audit.drift_keys import KINDS


def drift_frame(cal: Calibration) -> pd.DataFrame:
    """One row per observation and resource kind: how many keys were missing, edited and unmanaged."""
    rows = []
    for s in cal.sightings:
        at = datetime.fromtimestamp(s.at, timezone.utc)
        counts: dict[str, dict[str, int]] = {}
        for how, keys in s.keys.sets().items():
            for k in keys:
                kind = k.split("/", 1)[0]
                counts.setdefault(kind, dict.fromkeys(KINDS, 0))[how] += 1
        rows += [{"time": at, "kind": kind, **c} for kind, c in sorted(counts.items())]
        if not counts:
            rows.append({"time": at, "kind": "(none)", **dict.fromkeys(KINDS, 0)})
    return pd.DataFrame(rows, columns=["time", "kind", *KINDS])


def plot_drift(cal: Calibration) -> Figure:
    """Keys out of sync at each observation, one panel per way (missing, edited, unmanaged), a line per kind."""
    frame = drift_frame(cal)
    fig = Figure(figsize=(10, 6.5))
    axes = fig.subplots(len(KINDS), 1, sharex=True)
    for ax, how in zip(axes, KINDS):
        for kind, g in frame.groupby("kind"):
            ax.step(g["time"], g[how], where="post", label=str(kind))
        ax.set_ylabel(how)
        ax.grid(alpha=0.3)
    axes[0].legend(title="kind", fontsize=8, loc="upper left")
    axes[0].set_title(f"loop {cal.loop}: drift at each of {cal.fit.sightings} observations")
    fig.autofmt_xdate()
    return fig


def plot_rates(cal: Calibration) -> Figure:
    """Each fitted rate with its 95% interval, on a log scale; weak estimates in orange."""
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    names = list(cal.fit.rates)
    for i, name in enumerate(names):
        e = cal.fit.rates[name]
        if e.value <= 0 or e.high == float("inf"):
            ax.annotate(f"{name}: no finite interval ({e.events} events)", (0, i), xycoords=("axes fraction", "data"))
            continue
        err: Any = [[max(e.value - e.low, 0)], [e.high - e.value]]
        ax.errorbar([e.value], [i], xerr=err, fmt="o", capsize=4, color="tab:orange" if e.weak else "tab:blue")
        ax.annotate(f"{e.value:.3g} ({e.events} events)", (e.value, i), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xscale("log")
    ax.set_xlabel("per second (edit, delete: per resource)")
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
