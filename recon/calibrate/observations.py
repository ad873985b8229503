"""A loop's past as a series of sightings: at each observation time, which keys were out of sync and how.

Two inputs give the same series: the history store's key sets (``recon audit`` and ``recon watch``
cycles) and snapshot files (``recon snapshot``, each with its ``observed_at``) diffed against the
loop's desired state. Snapshots also say which specs changed since the previous snapshot, so a
second hand edit of an already edited resource is seen; key sets cannot see it. This module reads
and compares; the estimators live in :mod:`recon.calibrate.estimators`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from recon.audit.drift_keys import DriftKeys, key_text
from recon.core.errors import ReconError
from recon.core.model import Key, Resource
from recon.core.plan import diff
from recon.sources.document import parse_document
from recon.sources.inventory import SUFFIXES, InventoryError, load_inventory
from recon.sources.readfile import read_text_input


class CalibrationError(ReconError):
    """An input of a calibration is unreadable or too thin to fit; the message names it."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """One observation: key sets as :class:`DriftKeys` holds them, plus, from a snapshot, the keys
    whose spec differs from the previous snapshot's (None from the history, which keeps no specs)."""

    keys: DriftKeys
    changed: frozenset[str] | None = None
    kinds: Mapping[str, int] | None = None     # resource kind -> observed count (snapshots only)
    source: str = ""

    @property
    def at(self) -> float:
        return self.keys.at


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One snapshot file: when it was observed and what it held."""

    path: str
    at: float
    resources: Mapping[Key, Resource]


def parse_time(text: str, what: str) -> float:
    """Epoch seconds from ISO 8601 text with a time zone (or epoch seconds); errors name *what*."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise CalibrationError(f"{what}: {text!r} is not an ISO 8601 time (e.g. 2026-01-31T12:00:00Z)") from None
    if t.tzinfo is None:
        raise CalibrationError(f"{what}: {text!r} has no time zone; write it as 2026-01-31T12:00:00Z or with +HH:MM")
    return t.timestamp()


def snapshot_files(paths: Sequence[Path]) -> list[Path]:
    """The files given, a folder standing for every inventory file directly in it."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix in SUFFIXES and f.is_file()))
        else:
            out.append(p)
    return out


def read_snapshot(path: Path) -> Snapshot:
    """A snapshot file with its ``observed_at``; unreadable or undated files are errors naming the file."""
    try:
        text = read_text_input(path, "snapshot", InventoryError)[0]
        if not text.strip():
            raise InventoryError(f"{path}: file is empty; a snapshot holds observed_at and resources")
        data = parse_document(text, str(path), InventoryError)
        stamp = data.get("observed_at") if isinstance(data, dict) else None
        state = load_inventory(path, {path: data})  # parsed once: the strict YAML reader is the cost
    except InventoryError as e:
        raise CalibrationError(str(e)) from None
    if not isinstance(stamp, str):
        raise CalibrationError(f"{path}: field observed_at: a snapshot needs the time it was observed "
                               "(`recon snapshot` writes it; add observed_at: '2026-01-31T12:00:00Z')")
    return Snapshot(str(path), parse_time(stamp, f"{path}: field observed_at"), state.resources)


def from_snapshots(desired: Mapping[Key, Resource], snapshots: Sequence[Snapshot]) -> list[Sighting]:
    """Each snapshot diffed against *desired* (oldest first), with the specs changed since the one before."""
    out: list[Sighting] = []
    previous: Mapping[Key, Resource] | None = None
    for snap in sorted(snapshots, key=lambda s: s.at):
        plan = diff(desired, snap.resources)
        keys = DriftKeys(snap.at, frozenset(key_text(c.key) for c in plan.creates),
                         frozenset(key_text(c.key) for c in plan.updates),
                         frozenset(key_text(c.key) for c in plan.deletes), len(desired))
        changed = None
        if previous is not None:
            changed = frozenset(key_text(k) for k, r in snap.resources.items()
                                if k in previous and previous[k].spec != r.spec)
        kinds: dict[str, int] = {}
        for k in snap.resources:
            kinds[k[0]] = kinds.get(k[0], 0) + 1
        out.append(Sighting(keys, changed, kinds, snap.path))
        previous = snap.resources
    return out


def from_history(rows: Sequence[DriftKeys], source: str) -> list[Sighting]:
    """The history's key sets as sightings; a truncated row cannot be compared and is left out."""
    return [Sighting(r, None, None, source) for r in sorted(rows, key=lambda r: r.at) if not r.truncated]
