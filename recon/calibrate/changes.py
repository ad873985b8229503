"""Legitimate change sizes: how much the desired state itself changes at a time, as migration events.

Two sources give rows of (time, creates, updates, deletes, size before): a desired source's own
history (a Git source's commits, each against its parent, as ``recon desired-history --json``
prints them) and, failing that, the history store's desired counts (net changes only: a commit
that adds and removes as many shows as none). The distribution is summarised per row; the largest
share legitimately removed becomes the scenario's migration event, because that is the change the
guards must let through. Pure functions over rows; :mod:`recon.calibrate.run` reads the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recon.calibrate.observations import CalibrationError, parse_time


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One legitimate change of the desired state."""

    at: float
    creates: int
    updates: int
    deletes: int
    size_before: int | None = None
    ref: str | None = None  # the commit, or None for a change seen in the desired counts

    @property
    def changes(self) -> int:
        return self.creates + self.updates + self.deletes


def from_desired_counts(points: Iterable[tuple[float, int | None]]) -> list[ChangeRow]:
    """Net changes between consecutive desired counts (time, count), oldest first; unchanged counts are no row."""
    out, last = [], None
    for at, count in points:
        if count is None:
            continue
        if last is not None and count != last:
            out.append(ChangeRow(at, max(0, count - last), 0, max(0, last - count), last))
        last = count
    return out


def from_commits(data: Any, name: str) -> list[ChangeRow]:
    """Rows from a desired source's commit history as JSON data (``recon desired-history --json``):
    a list of commits, or a mapping with ``commits``; each has a time (``time``, ``at`` or
    ``committed_at``: epoch or ISO 8601), ``creates``, ``updates``, ``deletes`` and optionally
    ``commit`` and ``resources`` (or ``count``: the size after). A commit listed with an ``error``
    (its files did not load) is no change size and is left out."""
    items = data.get("commits") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise CalibrationError(f"{name}: expected a list of commits (or a mapping with 'commits')")
    rows = []
    for i, c in enumerate(items):
        where = f"{name}: commits[{i}]"
        if not isinstance(c, Mapping):
            raise CalibrationError(f"{where}: expected a mapping")
        if c.get("error"):
            continue
        stamp = next((c[k] for k in ("time", "at", "committed_at") if k in c), None)
        if stamp is None:
            raise CalibrationError(f"{where}: no time (at, time or committed_at)")
        counts = []
        for field in ("creates", "updates", "deletes"):
            v = c.get(field, 0)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise CalibrationError(f"{where}: field {field}: expected a count, got {v!r}")
            counts.append(v)
        after = c.get("resources", c.get("count"))
        before = after - counts[0] + counts[2] if isinstance(after, int) and not isinstance(after, bool) else None
        rows.append(ChangeRow(parse_time(str(stamp), f"{where}: time"), *counts, before,
                              str(c["commit"]) if "commit" in c else None))
    return sorted(rows, key=lambda r: r.at)


def git_rows(cfg: Any, base: Any, max_commits: int = 200) -> tuple[list[ChangeRow], str] | None:
    """The change sizes of a loop whose desired source is Git (issue 14's ``desired: {type: git}``),
    read with ``recon.sources.git.desired_history``; None for any other source, or a recon without it."""
    try:
        from recon.sources.git import GitDesired, GitSource, desired_history
    except ImportError:
        return None
    if not isinstance(getattr(cfg, "desired", None), GitDesired):
        return None
    source = GitSource(cfg.desired, base)
    # desired_history lists newest first; oldest first keeps commits made in the same second in order.
    commits = [c.to_dict() for c in reversed(desired_history(source, max_commits))]
    return from_commits({"commits": commits}, source.name), f"commits of {source.name}"


def summary(rows: Sequence[ChangeRow], source: str | None) -> dict[str, Any]:
    """The distribution of change sizes: quantiles of each count and of the share deleted, and every row."""
    out: dict[str, Any] = {"source": source, "events": len(rows), "rows": [asdict(r) for r in rows]}
    for field in ("creates", "updates", "deletes", "changes"):
        values = np.array([getattr(r, field) for r in rows], dtype=float)
        out[field] = _quantiles(values)
    fractions = np.array([delete_fraction(r) for r in rows if r.size_before], dtype=float)
    out["delete_fraction"] = _quantiles(fractions)
    return out


def _quantiles(values: np.ndarray) -> dict[str, float | None]:
    if not len(values):
        return {"p50": None, "p90": None, "max": None}
    return {"p50": float(np.quantile(values, 0.5)), "p90": float(np.quantile(values, 0.9)), "max": float(values.max())}


def delete_fraction(r: ChangeRow) -> float:
    return r.deletes / r.size_before if r.size_before else 0.0


def migration_events(rows: Sequence[ChangeRow], at: float) -> list[dict[str, Any]]:
    """The largest legitimate removal as one migration event at *at* (none when nothing was removed)."""
    fractions = [delete_fraction(r) for r in rows if r.deletes and r.size_before]
    if not fractions:
        return []
    largest = max(fractions)
    return [{"at": at, "kind": "migration", "fraction": round(min(1.0, largest), 6)}] if math.isfinite(largest) else []
