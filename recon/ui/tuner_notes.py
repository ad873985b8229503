"""What the threshold tuner says in words: the command line and the loop-config ``guards:`` for the
sliders' setting, and where that setting stands in a loaded sweep.

Plain functions from settings and tables to escaped HTML, so tests read them without a front end.
Dominance is :mod:`recon.analysis.frontier`'s; nothing here runs a simulation or touches a widget.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from recon.analysis.frontier import standing
from recon.analysis.sources import ScenarioSource
from recon.analysis.sweep import replay_command
from recon.core.text import for_html
from recon.sim import Scenario

PATHS = {
    "max_deletes": "loop.guards.max_deletes.max",
    "max_delete_fraction": "loop.guards.max_deletes.max_fraction",
    "max_changes": "loop.guards.max_changes.max",
    "desired_shrink": "loop.guards.desired_shrink.max_fraction",
    "period": "loop.period",
    # The windows across cycles; a slider at 0 is no window (null), as the scenario files spell it.
    "delete_window": "loop.guards.max_deletes.window",
    "window_max": "loop.guards.max_deletes.window_max",
    "shrink_window": "loop.guards.desired_shrink.window",
}
WINDOWS = ("delete_window", "window_max", "shrink_window")
GUARDS = ("max_deletes", "max_changes", "desired_shrink")
OUT = "out/tuned"


def guards_snippet(scenario: Scenario) -> str:
    """The loop-config lines for what the sliders set: ``interval`` (the scenario's period) and, per
    guard, its slider fields, or ``enabled: false`` for a guard switched off."""
    guards: dict[str, Any] = {}
    for name in GUARDS:
        g = getattr(scenario.loop.guards, name)
        fields = [p.rsplit(".", 1)[1] for p in PATHS.values() if p.startswith(f"loop.guards.{name}.")]
        # A window that is off is left out: the loop config's default is the same.
        guards[name] = ({f: getattr(g, f) for f in fields if not (f.startswith("window") and getattr(g, f) is None)}
                        if g.enabled else {"enabled": False})
    period = scenario.loop.period
    interval = int(period) if float(period).is_integer() else float(period)
    return yaml.safe_dump({"interval": interval, "guards": guards}, sort_keys=False, default_flow_style=None)


def command_html(source: ScenarioSource, seed: int, overrides: Sequence[str], scenario: Scenario | None) -> str:
    """The ``recon simulate`` line that reruns what the tuner shows, and the same guards for a loop config
    (left out when the setting does not validate: the tuner's status line says why)."""
    cmd = replay_command(source, seed, overrides, OUT)
    hint = ("" if isinstance(source.ref, (str, os.PathLike))
            else f" (the scenario was given as data: save it as {for_html(source.replay_ref)} first)")
    # The widget's own CSS sets a tall line height and nowrap; a command line wants neither.
    pre = ("<pre style='white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.35;font-family:monospace;"
           "margin:2px 0 6px 0'")
    out = (f"<div class='recon-command-line' style='font-size:90%;line-height:1.35'>"
           f"<b>the same run from the command line</b>{hint}:"
           f"{pre} class='recon-command'>{for_html(cmd)}</pre>")
    if scenario is not None:
        out += (f"<b>the same guards in a loop config</b> (LOOP.yaml):"
                f"{pre} class='recon-guards-snippet'>{_lines_html(guards_snippet(scenario))}</pre>")
    return out + "</div>"


def _lines_html(text: str) -> str:
    # for_html shows a newline as a visible escape (a control character); in a <pre> the line breaks are the point.
    return "\n".join(for_html(line) for line in text.splitlines())


def _short(path: str) -> str:
    if path.rsplit(".", 1)[-1].startswith("window"):  # two guards have a window: name the guard too
        return ".".join(path.rsplit(".", 2)[-2:])
    return path.rsplit(".", 2)[-2] if path.endswith(".max") else path.rsplit(".", 1)[-1]


def _where(row: Any, params: Sequence[str]) -> str:
    return ", ".join(f"{_short(p)}={row[p]}" for p in params)


def _costs(row: Any) -> str:
    p95 = f"{row['converge_p95']:g} s" if math.isfinite(row["converge_p95"]) else "never"
    return f"wrongful deletes/run {row['damage']:g} · p95 converge {p95} · pages/run {row['pages']:g}"


def grid_point(sweep: Any, setting: Mapping[str, Any]) -> int:
    """The sweep's grid point number for *setting* (path -> a value on each grid axis)."""
    table = sweep.table
    hit = table
    for path, v in setting.items():
        hit = hit[hit[path].apply(lambda x, v=v: x == v)]
    return int(hit["point"].iloc[0])


def frontier_html(sweep: Any, point: int, exact: bool) -> str:
    """Where grid *point* stands: its costs and whether it is on the frontier, or which frontier point
    nearest to it dominates it, with that point's costs."""
    params = tuple(sweep.grid.paths)
    st = standing(sweep.table, point, params)
    who = "this setting" if exact else "nearest grid point"
    text = f"in the sweep of {', '.join(sweep.scenarios)}: {who} is {_where(st.row, params)} ({_costs(st.row)})"
    if st.dominated_by is None:
        text += ", on the frontier"
    else:
        text += (f", dominated by {_where(st.dominated_by, params)} ({_costs(st.dominated_by)}):"
                 f" as good or better on every cost")
    state = "dominated" if st.dominated_by is not None else "frontier"
    return f"<div class='recon-frontier-note recon-{state}'>{for_html(text)}</div>"
