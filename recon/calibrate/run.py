"""``calibrate``: gather a loop's observations, fit them, and build the scenario and its evidence.

The sightings come from snapshot files when given, else from the history store's key sets; the
world's shape from the latest snapshot (else the desired state and the last sighting); the change
sizes from a desired source's commit history when given, else the history's desired counts.
Every input failure is a :class:`CalibrationError` naming the input; nothing is written here
(:mod:`recon.calibrate.writers` writes).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recon.audit.history import HistoryError, HistoryStore
from recon.calibrate import changes
from recon.calibrate.fit import MIN_SIGHTINGS, RATES, DriftFit, fit_drift
from recon.calibrate.observations import (CalibrationError, Sighting, Snapshot, from_history, from_snapshots,
                                          read_snapshot, snapshot_files)
from recon.core.errors import ReconError
from recon.core.model import Key, Resource, key_problem

MAX_GROUPS = 20
ESTIMATORS = {
    "drift.edit_rate": "hand edits per managed resource per second: maximum likelihood for a Poisson process "
                       "seen at observation times (each resource at risk over an interval changes with "
                       "probability 1 - exp(-rate x interval)); biased low when drift heals between observations",
    "drift.delete_rate": "hand deletes per managed resource per second: the same estimator, resources present "
                         "at the start of an interval at risk",
    "drift.create_rate": "unmanaged resources appearing per second (whole scope): count over observed time",
}


@dataclass(frozen=True)
class Calibration:
    """What ``recon calibrate`` found: the fit, the world, the change sizes and the scenario built from them."""

    loop: str
    inputs: dict[str, Any]
    fit: DriftFit
    world: dict[str, Any]
    change_sizes: dict[str, Any]
    scenario: dict[str, Any]
    sightings: tuple[Sighting, ...] = ()  # what was fitted, for the plots; not in calibration.json

    @property
    def weak(self) -> list[str]:
        return self.fit.weak

    def to_json(self) -> dict[str, Any]:
        f = self.fit
        return _finite({
            "loop": self.loop, "inputs": self.inputs, "observations": f.sightings,
            "span": {"from": f.span[0], "to": f.span[1], "seconds": f.span[1] - f.span[0]},
            "interval_seconds": {"median": f.interval_median, "max": f.interval_max},
            "skipped_intervals": f.skipped,
            "estimates": {name: {**e.to_dict(), "estimator": ESTIMATORS[name],
                                 "unit": "per resource per second" if name != "drift.create_rate" else "per second"}
                          for name, e in f.rates.items()},
            "drift_duration": f.duration, "world": self.world, "change_sizes": self.change_sizes,
            "weak": self.weak, "scenario": self.scenario,
        })


def _finite(v: Any) -> Any:
    """JSON-ready: an infinite or undefined number (an unbounded interval) becomes null."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def calibrate(loop_config: Path, history_url: str | None = None, snapshots: Sequence[Path] = (),
              since: float | None = None, commits: Path | None = None, duration: float = 86400.0,
              progress: bool = False) -> Calibration:
    """Fit the loop *loop_config* describes from its snapshots or its history (see the module docstring)."""
    from recon.config import load_loop_config

    cfg, base = load_loop_config(loop_config)
    assert cfg.name is not None
    inputs: dict[str, Any] = {"config": str(loop_config), "history": None, "snapshots": [],
                              "commits": str(commits) if commits is not None else None, "since": since}
    history = _open_history(history_url, base, required=not snapshots)
    try:
        inputs["history"] = history.name if history is not None else None
        desired = _desired(cfg, base, loop_config, needed=bool(snapshots))
        if snapshots:
            snaps = _snapshots(snapshots, since, progress)
            inputs["snapshots"] = [s.path for s in snaps]
            sightings = from_snapshots(desired, snaps)
            latest = snaps[-1].resources if snaps else None
            where = f"{len(snaps)} snapshot(s)"
        else:
            assert history is not None
            sightings = from_history(history.drift_keys(cfg.name, since), history.name)
            latest, where = None, f"history store {history.name}"
        if len(sightings) < MIN_SIGHTINGS:
            raise CalibrationError(f"{where}: history too short to fit loop {cfg.name}: {len(sightings)} "
                                   "observation(s)" + (" since the --since time" if since is not None else "")
                                   + f"; need at least {MIN_SIGHTINGS} (run `recon audit` or `recon watch` longer)")
        fit = fit_drift(sightings)
        rows, source = _change_rows(history, cfg, base, commits, since)
    finally:
        if history is not None:
            history.close()
    world = world_shape(desired, latest, sightings, cfg.name)
    scenario = build_scenario(cfg, fit, world, changes.migration_events(rows, duration / 2), duration)
    return Calibration(cfg.name, inputs, fit, world, changes.summary(rows, source), scenario, tuple(sightings))


def _desired(cfg: Any, base: Path, loop_config: Path, needed: bool) -> Mapping[Key, Resource]:
    """The loop's desired state through its own source (owner-stamped as a cycle stamps it); with key
    sets alone it is only the world's shape, so a source that fails then leaves it empty."""
    from recon.config import build_loop
    from recon.store.sqlite import StateStore

    try:
        loaded = build_loop(cfg, base, store=StateStore(":memory:")).source.load()  # calibrating keeps no loop state
    except ReconError as e:
        if needed:
            raise CalibrationError(f"{loop_config}: the desired state, which snapshots are compared with: {e}") from None
        return {}
    return {k: r.with_owner(cfg.owner_id) if cfg.owner_id else r for k, r in loaded.resources.items()}


def _snapshots(paths: Sequence[Path], since: float | None, progress: bool) -> list[Snapshot]:
    """The snapshot files read (with a progress bar), from *since* on, oldest first."""
    from tqdm import tqdm

    files = snapshot_files(list(paths))
    snaps = [read_snapshot(p) for p in tqdm(files, desc="reading snapshots", unit="file", leave=False,
                                             disable=not progress)]
    return sorted((s for s in snaps if since is None or s.at >= since), key=lambda s: s.at)


def _open_history(url: str | None, base: Path, required: bool) -> HistoryStore | None:
    try:
        return HistoryStore.for_config(url, base, create=False)
    except HistoryError:
        if required or url:
            raise
        return None  # snapshots alone: the default history store is optional


def _change_rows(history: HistoryStore | None, cfg: Any, base: Path, commits: Path | None,
                 since: float | None) -> tuple[list[changes.ChangeRow], str | None]:
    """From --commits, else the Git source's own history, else the history store's desired counts."""
    loop = cfg.name
    if commits is None:
        try:
            found = changes.git_rows(cfg, base)
        except ReconError as e:
            raise CalibrationError(f"desired history of loop {loop}: {e}") from None
        if found is not None:
            return [r for r in found[0] if since is None or r.at >= since], found[1]
    if commits is not None:
        try:
            data = json.loads(commits.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CalibrationError(f"{commits}: cannot read the commit history: {e}") from None
        rows = [r for r in changes.from_commits(data, str(commits)) if since is None or r.at >= since]
        return rows, f"commits in {commits}"
    if history is None:
        return [], None
    runs = history.runs(loop)
    points = [(r.started_at, r.desired_count) for r in runs if r.exit_code != 1 and (since is None or r.started_at >= since)]
    return changes.from_desired_counts(points), f"desired counts in {history.name} (net changes only)"


def group_of(name: str) -> str:
    """A name's group: what comes before its first '-' or '.' (a zone label, a VPC prefix)."""
    cut = min((i for i in (name.find("-"), name.find(".")) if i > 0), default=len(name))
    return name[:cut]


def world_shape(desired: Mapping[Key, Resource], latest: Mapping[Key, Resource] | None,
                sightings: Sequence[Sighting], loop: str) -> dict[str, Any]:
    """Count, kinds and groups of the managed resources, and how many unmanaged ones share the scope."""
    last = sightings[-1].keys
    managed = [k for k in desired] if desired else [tuple(k.split("/", 1)) for k in (last.missing | last.edited)]
    count = len(desired) if desired else (last.desired_count or len(managed))
    kinds = Counter(k[0] for k in managed)
    groups = Counter(group_of(k[1]) for k in managed)
    usable = [g for g, _ in groups.most_common() if g and not key_problem(g, "")][:MAX_GROUPS]
    foreign = len([k for k in latest if k not in desired]) if latest is not None else len(last.unmanaged)
    return {"resources": count, "kinds": sorted(k for k in kinds if not key_problem(k, "")) or ["resource"],
            "groups": usable or [loop], "foreign": foreign, "kind_counts": dict(sorted(kinds.items())),
            "source": "latest snapshot" if latest is not None else "desired state and the last observation"}


def build_scenario(cfg: Any, fit: DriftFit, world: Mapping[str, Any], migrations: list[dict[str, Any]],
                   duration: float) -> dict[str, Any]:
    """A scenario with the loop's own settings, the fitted rates and the largest legitimate change."""
    from recon.sim.scenario import ScenarioError, load_scenario

    drift = {}
    for name in RATES:
        e = fit.rates[name]
        if not math.isfinite(e.value):
            raise CalibrationError(f"{name}: cannot be estimated ({'; '.join(e.weak)})")
        drift[name.split(".", 1)[1]] = float(f"{e.value:.6g}")
    data = {
        "name": f"{cfg.name}-calibrated", "duration": duration,
        "description": f"calibrated from {fit.sightings} observations of loop {cfg.name} by recon calibrate",
        "world": {k: world[k] for k in ("resources", "kinds", "groups", "foreign")},
        "loop": {"name": cfg.name, "period": cfg.interval, "jitter": cfg.jitter, "sync": cfg.sync.value,
                 "owner_id": cfg.owner_id, "guards": cfg.guards.model_dump(mode="json"),
                 "alerts": cfg.alerts.model_dump(mode="json"), "approver": {"type": "deny-all"}},
        "desired": migrations, "drift": drift,
    }
    try:
        load_scenario(data)
    except ScenarioError as e:
        raise CalibrationError(f"the calibrated scenario does not validate: {e}") from None
    return data
