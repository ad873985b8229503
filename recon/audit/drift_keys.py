"""Which keys were out of sync in one audit or watch cycle, and how: the part of the history a fit reads.

Key sets, never specs: a key is ``kind/name`` text, grouped as *missing* (desired, not observed:
the loop would create it), *edited* (observed with another spec: it would update it) and
*unmanaged* (observed, not desired: it would delete it, or its ownership guard keeps it). Each set
is capped (``RECON_HISTORY_MAX_KEYS``, default 10,000 per set; a capped set is marked truncated, so
a fit knows not to read it) and the store keeps the key sets of the last ``RECON_HISTORY_KEEP_RUNS``
runs per loop (default 5,000); counts stay in ``audit_runs`` for good. This module encodes and
decodes rows; it never decides what drift means.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from recon.core.model import Key

MAX_KEYS_ENV, KEEP_RUNS_ENV = "RECON_HISTORY_MAX_KEYS", "RECON_HISTORY_KEEP_RUNS"
DEFAULT_MAX_KEYS, DEFAULT_KEEP_RUNS = 10_000, 5_000
KINDS = ("missing", "edited", "unmanaged")
OP_KIND = {"create": "missing", "update": "edited", "delete": "unmanaged"}


@dataclass(frozen=True, slots=True)
class Retention:
    """How much of the key sets the history keeps: keys per set, and runs per loop."""

    max_keys: int = DEFAULT_MAX_KEYS
    keep_runs: int = DEFAULT_KEEP_RUNS

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Retention:
        """Settings from ``RECON_HISTORY_MAX_KEYS`` and ``RECON_HISTORY_KEEP_RUNS``; a bad value is an error naming it."""
        values = []
        for name, default in ((MAX_KEYS_ENV, DEFAULT_MAX_KEYS), (KEEP_RUNS_ENV, DEFAULT_KEEP_RUNS)):
            raw = env.get(name, "").strip()
            if not raw:
                values.append(default)
                continue
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{name}={raw!r}: give a whole number of at least 1")
            values.append(int(raw))
        return cls(*values)


@dataclass(frozen=True, slots=True)
class DriftKeys:
    """The keys out of sync at one observation, at time *at* (epoch seconds)."""

    at: float
    missing: frozenset[str] = frozenset()
    edited: frozenset[str] = frozenset()
    unmanaged: frozenset[str] = frozenset()
    desired_count: int | None = None
    desired_version: str | None = None
    truncated: bool = False

    @classmethod
    def from_changes(cls, at: float, changes: Iterable[Mapping[str, Any]], desired_count: int | None,
                     desired_version: str | None = None) -> DriftKeys:
        """From a plan's changes as ``decision_dict`` writes them (``op``, ``kind``, ``name``)."""
        sets: dict[str, set[str]] = {k: set() for k in KINDS}
        for c in changes:
            sets[OP_KIND[c["op"]]].add(key_text((c["kind"], c["name"])))
        return cls(at, *(frozenset(sets[k]) for k in KINDS), desired_count, desired_version)

    def sets(self) -> dict[str, frozenset[str]]:
        return {k: getattr(self, k) for k in KINDS}


def key_text(key: Key) -> str:
    return f"{key[0]}/{key[1]}"


def define_table(meta: sa.MetaData) -> sa.Table:
    """The ``audit_drift_keys`` table, one row per run that observed (a failed run has none)."""
    return sa.Table(
        "audit_drift_keys", meta,
        sa.Column("run_id", sa.Integer, primary_key=True),
        sa.Column("loop", sa.String(200), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("desired_count", sa.Integer),
        sa.Column("desired_version", sa.String(200)),
        sa.Column("truncated", sa.Boolean, nullable=False, default=False),
        sa.Column("keys", sa.Text, nullable=False),  # JSON: {"missing": [...], "edited": [...], "unmanaged": [...]}
    )


def encode(run_id: int, loop: str, keys: DriftKeys, retention: Retention) -> dict[str, Any]:
    """The row for *keys*; a set over the cap keeps its first keys in sort order and marks the row truncated."""
    out, truncated = {}, keys.truncated
    for kind, values in keys.sets().items():
        ordered = sorted(values)
        truncated = truncated or len(ordered) > retention.max_keys
        out[kind] = ordered[: retention.max_keys]
    return {"run_id": run_id, "loop": loop, "at": keys.at, "desired_count": keys.desired_count,
            "desired_version": keys.desired_version, "truncated": truncated,
            "keys": json.dumps(out, separators=(",", ":"))}


def decode(row: Mapping[str, Any]) -> DriftKeys:
    sets = json.loads(row["keys"])
    return DriftKeys(float(row["at"]), *(frozenset(sets.get(k, ())) for k in KINDS), row["desired_count"],
                     row["desired_version"], bool(row["truncated"]))
