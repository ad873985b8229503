"""The scenarios a sweep runs: a file path, a mapping, or a loaded scenario, each with a short label.

A label names the scenario in ``sweep.csv`` and ``points.csv``: a file's stem, or the scenario's
``name`` when it was given as data. ``replay_ref`` is what a replay command passes to
``recon simulate`` (the path as given). The digest fingerprints the scenario after the sweep's
``--set`` overrides, so resuming a sweep after its scenario file changed is refused.

This module owns naming and loading scenarios for sweeps; it never runs a simulation.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recon.core.errors import ReconError
from recon.sim import Scenario, load_scenario


class SourceError(ReconError):
    """Scenarios that cannot be told apart in a sweep's outputs."""


@dataclass(frozen=True)
class ScenarioSource:
    label: str
    ref: Any            # what load_scenario accepts: a path, a mapping or a Scenario
    replay_ref: str

    def load(self, overrides: Sequence[str], grid: Sequence[str] = ()) -> Scenario:
        return load_scenario(self.ref, list(overrides), list(grid))

    def digest(self, sets: Sequence[str]) -> str:
        # Unset optional settings are left out, so a release that adds one (off by default) keeps the
        # digest of every scenario that does not use it, and old sweep folders stay resumable.
        text = self.load(sets).model_dump_json(exclude_none=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def effective(scenario: Scenario) -> str:
    """The scenario as the simulation will act on it: thresholds of disabled guards are dropped."""
    data = scenario.model_dump(mode="json")
    for spec in (data.get("loop") or {}, *(data.get("loops") or ())):
        guards = spec.get("guards") if isinstance(spec, dict) else None
        if isinstance(guards, dict):
            for name, g in guards.items():
                if isinstance(g, dict) and g.get("enabled") is False:
                    guards[name] = {"enabled": False}
    return json.dumps(data, sort_keys=True)


def _one(item: Any) -> ScenarioSource:
    if isinstance(item, (str, os.PathLike)):
        p = Path(item)
        return ScenarioSource(p.stem, p, str(item))
    if isinstance(item, Scenario):
        return ScenarioSource(item.name, item, f"{item.name}.yaml")
    if isinstance(item, dict):
        name = str(item.get("name", "scenario"))
        return ScenarioSource(name, item, f"{name}.yaml")
    raise SourceError(f"scenario {item!r}: expected a path, a mapping or a Scenario")


def resolve_sources(scenario: Any) -> list[ScenarioSource]:
    """One source per scenario given (a single one or a list); labels must differ."""
    items = list(scenario) if isinstance(scenario, (list, tuple)) else [scenario]
    if not items:
        raise SourceError("no scenario given")
    sources = [_one(i) for i in items]
    labels = [s.label for s in sources]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise SourceError(f"scenarios share the label(s) {dup}: give files with different names")
    return sources
