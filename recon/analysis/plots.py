"""Plots of simulation results, as matplotlib Figures built without pyplot.

Every function returns a ``matplotlib.figure.Figure`` made directly (no pyplot, so no global figure
state leaks between calls, threads or notebook cells); saving renders with the Agg canvas. Nothing
here computes a metric the summary does not already hold, except what a picture needs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from recon.core.text import for_plot

_OPS = (("to_create", "to create", "tab:green"), ("to_update", "to update", "tab:orange"),
        ("to_delete", "to delete (planned)", "tab:red"))
_TRIP_MARK = {"empty_desired": "X", "desired_shrink": "v", "desired_error": "s", "max_deletes": "D",
              "incomplete_observation": "o", "kill_switch": "P", "max_changes": ".", "ownership": "^",
              "protected": "*"}


def _loops(cycles: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(cycles["loop"])) if len(cycles) else []


def _title(result: Any, what: str) -> str:
    """What the plot shows, then which run: the scenario, the seed and the ``--set`` overrides."""
    # Names and overrides are user text: for_plot keeps a "$" in them from being parsed as mathtext.
    s = result.summary
    sets = " ".join(f"--set {o}" for o in s.get("overrides") or ()) or "as written, no --set overrides"
    run = textwrap.fill(for_plot(f"{result.scenario.name} · seed {s.get('seed')} · {sets}"), 110)
    return f"{what}\n{run}"


def _alerts(result: Any, loop: str) -> list[tuple[float, str]]:
    """(time, alert name) of each alert the loop raised, from the run's events."""
    ev = result.events
    if not len(ev) or "alert" not in ev.columns:
        return []
    rows = ev[(ev["event"] == "alert") & (ev["loop"] == loop)]
    return [(float(t), str(a).partition(":")[0].strip()) for t, a in zip(rows["time"], rows["alert"])]


def plot_diff_sets(result: Any) -> Figure:
    """Sizes of the create / update / delete sets per cycle and the deletes applied, with guard trips
    and alerts marked."""
    cycles = result.cycles
    loops = _loops(cycles)
    fig = Figure(figsize=(9, 2.2 + 1.8 * max(1, len(loops))), layout="constrained")
    axes = fig.subplots(max(1, len(loops)), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, loops or ["(no cycles)"]):
        sub = cycles[cycles["loop"] == name]
        for col, label, color in _OPS:
            ax.step(sub["time"], sub[col], where="post", label=label, color=color, lw=1.2)
        # what was deleted is an area, what was planned a line: equal counts stay two things to the eye
        ax.fill_between(sub["time"], sub["applied_delete"], step="post", label="deleted (applied)",
                        facecolor="none", edgecolor="black", hatch="////", lw=0.0)
        top = max(1.0, float(sub[["to_create", "to_update", "to_delete"]].to_numpy().max(initial=0)))
        trips = sub[sub["guards_tripped"].fillna("").astype(str) != ""]
        rows: dict[str, int] = {}  # one marker row per guard, so that guards tripping together stay visible
        for t, guards in zip(trips["time"], trips["guards_tripped"].astype(str)):
            for g in guards.split(";"):
                if g == "max_changes":  # deferring is the cap working, not a trip worth a marker
                    continue
                first = g not in rows
                row = rows.setdefault(g, len(rows))
                ax.scatter([t], [top * (1.06 + 0.07 * row)], marker=_TRIP_MARK.get(g, "|"), color="tab:purple",
                           s=24, label=f"trip: {g}" if first else None, zorder=3)
        alerted: set[str] = set()
        for t, alert in _alerts(result, name):
            row = rows.setdefault(f"alert {alert}", len(rows))
            ax.scatter([t], [top * (1.06 + 0.07 * row)], marker="$!$", color="tab:red", s=40,
                       label=f"alert: {alert}" if alert not in alerted else None, zorder=3)
            alerted.add(alert)
        ax.set_ylabel(f"{for_plot(name)}\nresources")
        ax.set_ylim(0, top * (1.15 + 0.07 * len(rows)))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    axes[-1].set_xlabel("simulated time (s)")
    fig.suptitle(_title(result, "diff-set sizes, guard trips and alerts"), fontsize=10)
    return fig


def plot_convergence(result: Any) -> Figure:
    """Observed vs desired count per loop, and the resources out of line with the intended state."""
    cycles = result.cycles
    fig = Figure(figsize=(9, 5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    for name in _loops(cycles):
        sub = cycles[cycles["loop"] == name]
        line = top.step(sub["time"], sub["observed_count"], where="post", label=f"{for_plot(name)} observed")[0]
        top.step(sub["time"], sub["desired_count"], where="post", ls="--", color=line.get_color(),
                 label=f"{for_plot(name)} desired (as loaded)")
    top.set_ylabel("resources")
    top.set_ylim(bottom=0)  # from zero, as the panel below: a shrink to 60% must look like one
    top.grid(alpha=0.3)
    top.legend(fontsize=7, loc="best")
    by_time = cycles.drop_duplicates("time", keep="last") if len(cycles) else cycles
    bottom.step(by_time["time"], by_time["out_of_sync"], where="post", label="out of line with intent",
                color="tab:red")
    bottom.step(by_time["time"], by_time["missing"], where="post", label="missing (outage)", color="black", lw=0.8)
    bottom.step(by_time["time"], by_time["wrongful_deletes"], where="post", label="wrongful deletes (cumulative)",
                color="tab:purple", ls=":")
    bottom.set_ylabel("resources")
    # Counts cannot go negative and are whole; keep a visible band when nothing went out of line.
    bottom.set_ylim(bottom=0, top=max(1.0, bottom.get_ylim()[1]))
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlabel("simulated time (s)")
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize=7, loc="best")
    fig.suptitle(_title(result, "convergence towards the intended state"), fontsize=10)
    return fig


def plot_dwell(result: Any) -> Figure:
    """Distribution of drift dwell: how long a hand-made change survived before a loop healed it."""
    ep = result.episodes
    drift = ep[ep["cause"].astype(str).str.startswith("drift")] if len(ep) else ep
    dwell = drift["dwell"].dropna().to_numpy(dtype=float) if len(drift) else np.array([])
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    if dwell.size:
        ax.hist(dwell, bins=min(50, max(5, int(np.sqrt(dwell.size)))), color="tab:blue", alpha=0.8)
        mean, p95 = float(dwell.mean()), float(np.percentile(dwell, 95))
        ax.axvline(mean, color="black", ls="--", label=f"mean {mean:.1f}s")
        ax.axvline(p95, color="tab:red", ls=":", label=f"p95 {p95:.1f}s")
        ax.legend()
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no drift episodes in this run\n(the scenario has no drift, or nothing drifted)",
                ha="center", va="center", transform=ax.transAxes, fontsize=10, color="dimgray")
    unhealed = int(drift["dwell"].isna().sum()) if len(drift) else 0
    note = f"{dwell.size} healed, {unhealed} still drifted at the end"
    ax.set_title(note, fontsize=9)
    ax.set_xlabel("dwell (s)")
    ax.set_ylabel("drift episodes")
    ax.grid(alpha=0.3)
    fig.suptitle(_title(result, "drift dwell"), fontsize=10)
    return fig


def write_plots(result: Any, out_dir: Path) -> list[Path]:
    """Render the simulation plots into *out_dir* as PNGs; return their paths. ``dwell.png`` only when
    something drifted: an empty histogram says nothing."""
    plots = [("diff_sets.png", plot_diff_sets), ("convergence.png", plot_convergence)]
    if result.summary.get("drift_episodes"):
        plots.append(("dwell.png", plot_dwell))
    paths = []
    for name, fn in plots:
        p = Path(out_dir) / name
        fn(result).savefig(p, dpi=110)
        paths.append(p)
    return paths


# The sweep's figure lives with the sweep (recon.analysis.frontier_plot); it is re-exported here so
# every plot of the analysis layer is found in one place.
from recon.analysis.frontier_plot import plot_frontier  # noqa: E402,F401
