"""A finished sweep's files besides ``sweep.csv``: ``points.csv``, ``recommendation.json``, ``frontier.png``.

``recommendation.json`` carries a ``guards`` block: the recommended setting's ``loop.guards.*``
values as the mapping a loop config's ``guards:`` takes (merged into it by ``recon recommend
--apply``). Each is written to a temporary name and renamed, so a reader never sees half a file, and each is
a function of the sweep alone (no clock, no host), so the same sweep writes the same bytes.
This module writes those three files and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recon.sources.atomic import atomic_path


def _replace(path: Path, write: Any) -> None:
    with atomic_path(path) as tmp:
        write(tmp)


def write_outputs(result: Any, out_dir: Path) -> dict[str, Path]:
    """Write the aggregate files of *result* (a ``SweepResult``) into *out_dir*; returns their paths."""
    from recon.analysis.frontier_plot import plot_frontier

    paths = {name: out_dir / name for name in ("points.csv", "recommendation.json", "frontier.png")}
    _replace(paths["points.csv"], lambda p: result.points.to_csv(p, index=False, lineterminator="\n"))
    text = json.dumps(with_guards(result.recommendation), indent=1, sort_keys=True, allow_nan=False) + "\n"
    _replace(paths["recommendation.json"], lambda p: p.write_text(text, encoding="utf-8"))
    fig = plot_frontier(result)
    _replace(paths["frontier.png"], lambda p: fig.savefig(p, format="png", dpi=110, metadata={"Software": None}))
    return paths


GUARDS_PREFIX = "loop.guards."


def with_guards(recommendation: dict[str, Any]) -> dict[str, Any]:
    """*recommendation* with ``guards``: the recommended ``loop.guards.*`` settings nested as a loop
    config's ``guards:`` mapping (None when nothing is recommended or the grid set no guard)."""
    setting = recommendation.get("setting") or {}
    block: dict[str, Any] = {}
    for path, value in sorted(setting.items()):
        if path.startswith(GUARDS_PREFIX):
            *parents, last = path[len(GUARDS_PREFIX):].split(".")
            node = block
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    notes = ["merge into the loop config's guards: (`recon recommend --apply LOOP.yaml` does, diff first)"] if block else []
    other = sorted(p for p in setting if not p.startswith(GUARDS_PREFIX))
    if other:
        notes.append(f"{', '.join(other)}: not guard settings; set by hand")
    return {**recommendation, "guards": block or None, "guards_note": "; ".join(notes) or None}
