"""The sweep's frontier figure: damage against p95 time to converge and against pages.

Two panels share the damage axis (mean wrongful deletes per run, worst scenario; with a sweep's
``--worst-case``, the adversary's worst case as a red triangle above each point): left, p95 time to
converge (a point whose p95 run never converged sits at the right edge, marked "never"); right,
approvals requested per run. Frontier points are coloured and labelled with their settings,
dominated points are grey, and the recommendation (or *highlight*) is a star.

Builds a ``matplotlib.figure.Figure`` directly, so no pyplot state leaks; never writes files.
``recon.analysis.plots.plot_frontier`` is this function.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from recon.core.text import for_plot


def _short(path: str) -> str:
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else path


def _label(row: Any, params: tuple[str, ...]) -> str:
    return "\n".join(for_plot(f"{_short(p)}={row[p]}") for p in params) or f"point {int(row['point'])}"


def plot_frontier(sweep_result: Any, highlight: dict[str, Any] | None = None) -> Figure:
    """Figure of the sweep's trade-off; *highlight* is a setting (path -> value) or ``{"point": i}``
    to mark instead of the recommendation."""
    table = sweep_result.table
    params = tuple(sweep_result.grid.paths)
    rec = sweep_result.recommendation
    if highlight is None:
        mark = rec.get("point")
    elif "point" in highlight:
        mark = int(highlight["point"])
    else:
        hit = table
        for k, v in highlight.items():
            if k not in table.columns:
                raise KeyError(f"highlight {k!r}: not a grid path ({', '.join(params)})")
            hit = hit[hit[k].apply(lambda x, v=v: x == v)]
        mark = int(hit["point"].iloc[0]) if len(hit) else None

    conv = table["converge_p95"].to_numpy(dtype=float)
    finite = conv[np.isfinite(conv)]
    right = (finite.max() if len(finite) else 1.0) * 1.15 or 1.0
    x_conv = np.where(np.isfinite(conv), conv, right)

    fig = Figure(figsize=(11, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    front = table["pareto"].to_numpy(dtype=bool)
    for ax, xs, xlabel in ((axes[0], x_conv, "p95 time to converge (s), worst scenario"),
                           (axes[1], table["pages"].to_numpy(dtype=float), "approvals requested per run (pages)")):
        ax.scatter(xs[~front], table["damage"][~front], c="0.75", s=36, label="dominated", zorder=2)
        ax.scatter(xs[front], table["damage"][front], c="tab:blue", s=48, label="Pareto frontier", zorder=3)
        if "worst_case" in table.columns:  # the bound beside the average: how far an adversary gets
            worst = table["worst_case"].to_numpy(dtype=float)
            ax.vlines(xs, table["damage"], worst, colors="tab:red", linewidth=0.8, alpha=0.5, zorder=1)
            ax.scatter(xs, worst, marker="v", s=40, facecolor="none", edgecolor="tab:red",
                       label="worst case (adversary)", zorder=3)
        for (x, y), idx in _coincident(xs, table["damage"].to_numpy(dtype=float), np.flatnonzero(front)).items():
            text = _label(table.iloc[idx[0]], params)
            if len(idx) > 1:
                text = f"{len(idx)} settings, e.g.\n{text}"
            ax.annotate(text, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points", color="tab:blue")
        if mark is not None and (table["point"] == mark).any():
            i = int(np.flatnonzero(table["point"].to_numpy() == mark)[0])
            what = "recommended" if highlight is None else "highlighted"
            ax.scatter([xs[i]], [table["damage"].iloc[i]], marker="*", s=320, facecolor="none",
                       edgecolor="tab:red", linewidth=1.8, label=what, zorder=4)
        ax.set_xlabel(xlabel)
        ax.margins(x=0.3)  # room for the labels of the outermost points
        ax.grid(True, alpha=0.3)
    if not np.all(np.isfinite(conv)):
        axes[0].axvline(right, color="0.6", linestyle=":", linewidth=1)
        axes[0].annotate("never", (right, 0), xytext=(-28, 4), textcoords="offset points", fontsize=8, color="0.4",
                         xycoords=("data", "axes fraction"))
    axes[0].set_ylabel("wrongful deletes per run (mean), worst scenario")
    axes[0].set_yscale("symlog", linthresh=1)
    top = max(1.0, float(table["damage"].max()), float(table["worst_case"].max()) if "worst_case" in table else 0.0)
    axes[0].set_ylim(-0.3, top * 1.5)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8, frameon=False)
    title = for_plot(rec.get("statement", ""))
    fig.suptitle("\n".join(textwrap.wrap(title, 150, max_lines=3, placeholder=" …")), fontsize=9)
    return fig


def _coincident(xs: np.ndarray, ys: np.ndarray, which: np.ndarray) -> dict[tuple[float, float], list[int]]:
    """Points drawn at the same place share one label (settings that tie on every cost)."""
    groups: dict[tuple[float, float], list[int]] = {}
    for i in which:
        groups.setdefault((float(xs[i]), float(ys[i])), []).append(int(i))
    return groups
