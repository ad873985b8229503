"""The diff: pure, deterministic, and cheap when nothing changed.

``diff(desired, observed)`` returns a :class:`Plan` with creates, updates (with field-level
differences), deletes and the keys left unchanged. Each list is sorted by key, so the same inputs
always give the same plan. ``compare`` judges one key present on both sides; the change-fed diff
(:mod:`recon.core.changefeed`) calls it too, so both paths classify a key the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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


class Unchanged(Sequence[Key]):
    """The keys in sync, in the desired state's order, listed only when someone reads them.

    Its length is known at once; the keys are the desired keys that are neither created nor
    updated, so the change-fed diff never walks the inventory to say how many are in sync."""

    __slots__ = ("_desired", "_changed", "_count", "_keys")

    def __init__(self, desired: Mapping[Key, Resource], changed: tuple[tuple[Change, ...], ...], count: int) -> None:
        self._desired, self._changed, self._count = desired, changed, count
        self._keys: tuple[Key, ...] | None = None

    def _all(self) -> tuple[Key, ...]:
        if self._keys is None:
            skip = {c.key for cs in self._changed for c in cs}
            self._keys = tuple(k for k in self._desired if k not in skip)
        return self._keys

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Key]:
        return iter(self._all())

    def __getitem__(self, i: Any) -> Any:
        return self._all()[i]

    def __contains__(self, key: object) -> bool:
        return key in self._desired and all(c.key != key for cs in self._changed for c in cs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and self._all() == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Unchanged({self._count} keys)"


@dataclass(frozen=True, slots=True)
class Plan:
    """What it takes to converge. *unchanged* is a tuple from :func:`diff`, an :class:`Unchanged`
    view from the change-fed diff: both compare equal when they hold the same keys in the same order."""

    creates: tuple[Change, ...]
    updates: tuple[Change, ...]
    deletes: tuple[Change, ...]
    unchanged: Sequence[Key]

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
        elif (change := compare(k, d, o, normalize)) is None:
            same(k)
        else:
            updates.append(change)
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


def compare(k: Key, d: Resource, o: Resource, normalize: Normalizer = DEFAULT) -> Change | None:
    """The update that makes *o* match *d* (both at key *k*), or None when they are in sync."""
    if d is o or (d.owner == o.owner and d._raw == o._raw):
        return None
    try:
        ds, os_ = normalize(d.kind, d.spec), normalize(o.kind, o.spec)
    except ReconError as e:  # a provider refusing a spec value it cannot compare: name the resource
        raise ReconError(f"{d.kind} {d.name!r}: {e}") from e
    if ds == os_ and d.owner == o.owner:
        return None
    fields = field_diffs(os_, ds) if ds != os_ else ()
    if d.owner != o.owner:
        fields += (FieldDiff("owner", o.owner, d.owner),)
    return Change(Op.UPDATE, k, d, o, fields)


def _by_key(c: Change) -> Key:
    return c.key
