"""The diff: pure, deterministic, and cheap when nothing changed.

``diff(desired, observed)`` returns a :class:`Plan` with creates, updates (with field-level
differences), deletes and the keys left unchanged. Each list is sorted by key, so the same inputs
always give the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from recon.core.model import Key, Resource
from recon.core.errors import ReconError
from recon.core.normalize import DEFAULT, Normalizer

_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


class Op(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One changed field: a dotted *path*, the *old* (observed) and *new* (desired) values."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Change:
    """One proposed change. *desired* is None for deletes, *observed* is None for creates."""

    op: Op
    key: Key
    desired: Resource | None
    observed: Resource | None
    fields: tuple[FieldDiff, ...] = ()

    @property
    def target(self) -> Resource:
        r = self.desired if self.desired is not None else self.observed
        assert r is not None
        return r


@dataclass(frozen=True, slots=True)
class Plan:
    creates: tuple[Change, ...]
    updates: tuple[Change, ...]
    deletes: tuple[Change, ...]
    unchanged: tuple[Key, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.creates + self.updates + self.deletes

    @property
    def in_sync(self) -> bool:
        return not (self.creates or self.updates or self.deletes)

    def counts(self) -> dict[str, int]:
        return {"create": len(self.creates), "update": len(self.updates), "delete": len(self.deletes)}


def field_diffs(old: Any, new: Any, prefix: str = "") -> tuple[FieldDiff, ...]:
    """Field-level differences between two frozen values, as dotted paths."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[FieldDiff] = []
        for k in sorted(set(old) | set(new)):
            path = f"{prefix}.{k}" if prefix else str(k)
            o, n = old.get(k, _MISSING), new.get(k, _MISSING)
            if o != n:
                out.extend(field_diffs(o, n, path))
        return tuple(out)
    return (FieldDiff(prefix or "spec", None if old is _MISSING else old, None if new is _MISSING else new),)


def diff(desired: Mapping[Key, Resource], observed: Mapping[Key, Resource],
         normalize: Normalizer = DEFAULT) -> Plan:
    """Compute what it takes to make *observed* match *desired*.

    Specs are compared verbatim first and through *normalize* only when they differ, so matching
    resources cost one comparison. Owner markers are compared too: a resource the loop should own but
    that carries another marker is an update.
    """
    creates: list[Change] = []
    updates: list[Change] = []
    unchanged: list[Key] = []
    obs_get = observed.get
    same = unchanged.append
    for k, d in desired.items():
        o = obs_get(k)
        if o is None:
            creates.append(Change(Op.CREATE, k, d, None))
        elif d is o or (d.owner == o.owner and d._raw == o._raw):
            same(k)
        else:
            try:
                ds, os_ = normalize(d.kind, d.spec), normalize(o.kind, o.spec)
            except ReconError as e:  # a provider refusing a spec value it cannot compare: name the resource
                raise ReconError(f"{d.kind} {d.name!r}: {e}") from e
            if ds == os_ and d.owner == o.owner:
                unchanged.append(k)
                continue
            fields = field_diffs(os_, ds) if ds != os_ else ()
            if d.owner != o.owner:
                fields += (FieldDiff("owner", o.owner, d.owner),)
            updates.append(Change(Op.UPDATE, k, d, o, fields))
    if len(observed) > len(unchanged) + len(updates):
        deletes = [Change(Op.DELETE, k, None, o) for k, o in observed.items() if k not in desired]
    else:
        deletes = []
    # Changes are few and sorted for a stable order; unchanged keys keep the desired state's own
    # (deterministic) order, since sorting every key would make the common case O(n log n).
    creates.sort(key=_by_key)
    updates.sort(key=_by_key)
    deletes.sort(key=_by_key)
    return Plan(tuple(creates), tuple(updates), tuple(deletes), tuple(unchanged))


def _by_key(c: Change) -> Key:
    return c.key
