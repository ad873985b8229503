"""Drift over audit runs: the history as a table, a streak count, and a plot.

Reads :class:`~recon.audit.history.HistoryRun` rows; never touches a store or a provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import pandas as pd
from matplotlib.figure import Figure

from recon.audit.history import HistoryRun
from recon.core.report import ExitCode
from recon.core.text import for_plot

COLUMNS = ("run", "started", "exit_code", "status", "creates", "updates", "deletes", "drift",
           "desired_count", "observed_count", "observation_complete", "guards_tripped")


def trend_frame(runs: Sequence[HistoryRun]) -> pd.DataFrame:
    """One row per run, oldest first, with the drift (creates + updates + deletes) of each."""
    rows = [{
        "run": r.id,
        "started": datetime.fromtimestamp(r.started_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "exit_code": r.exit_code, "status": r.status, "creates": r.creates, "updates": r.updates,
        "deletes": r.deletes, "drift": r.drift, "desired_count": r.desired_count,
        "observed_count": r.observed_count, "observation_complete": r.observation_complete,
        "guards_tripped": ", ".join(r.guards_tripped),
    } for r in runs]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def drift_streak(runs: Sequence[HistoryRun]) -> int:
    """How many of the latest audits in a row found changes pending or held (exit 2 or 3).

    An audit in sync (exit 0) ends the streak; a failed one (exit 1) neither counts nor ends it.
    Drift the loop would never act on (unmanaged resources) does not count, as it does not for the
    exit code.
    """
    n = 0
    for r in reversed(runs):
        if r.exit_code == ExitCode.ERROR:
            continue
        if r.exit_code == ExitCode.IN_SYNC:
            break
        n += 1
    return n


def plot_drift_trend(runs: Sequence[HistoryRun], title: str = "") -> Figure:
    """Creates, updates and deletes the loop would make, run by run; failed runs marked with ×."""
    fig = Figure(figsize=(7, 3))
    ax = fig.add_subplot()
    ok = [r for r in runs if r.exit_code != ExitCode.ERROR]
    xs = [r.id for r in ok]
    colours = {"creates": "#1a7f37", "updates": "#9a6700", "deletes": "#cf222e"}
    bottom = [0] * len(ok)
    for field, colour in colours.items():
        ys = [getattr(r, field) for r in ok]
        ax.bar(xs, ys, bottom=bottom, color=colour, label=field, width=0.6)
        bottom = [b + y for b, y in zip(bottom, ys)]
    failed = [r.id for r in runs if r.exit_code == ExitCode.ERROR]
    if failed:
        ax.scatter(failed, [0] * len(failed), marker="x", color="black", label="audit failed", zorder=3)
    ax.set_xlabel("audit run")
    ax.set_ylabel("pending changes")
    ax.set_xticks([r.id for r in runs])
    ax.set_title(for_plot(title) if title else "drift across audit runs")
    if runs:
        ax.legend(loc="upper left", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no runs yet", ha="center", va="center", transform=ax.transAxes)
    return fig
