"""Immutable data the loop reasons about: resources, desired states and observations.

A resource is identified inside one loop's scope by its key, ``(kind, name)``. Its ``spec`` is deeply
frozen on construction (mappings become read-only, lists become tuples) so that a plan can never be
changed behind the engine's back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Key = tuple[str, str]

# C0 and C1 control characters and the two Unicode line breaks: invisible or line-breaking in
# every output, so two keys that print alike could differ, and a name could fake an output line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def key_problem(kind: str, name: str) -> str | None:
    """Why ``(kind, name)`` cannot be a resource key, or None: keys are printable text."""
    if kind.isprintable() and name.isprintable():  # the common case, in C: no control characters
        return None
    for part, text in (("kind", kind), ("name", name)):
        m = _CONTROL.search(text)
        if m is not None:
            return f"{part} {text!r} contains the control character U+{ord(m.group()):04X}"
    return None


_SCALARS = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Any:
    """Return a deeply immutable copy of a JSON-like value (mappings, lists, scalars)."""
    # Parsed data is plain dicts, lists and scalars: an exact type test answers those before the
    # isinstance chain below (an ABC check per scalar), which a large inventory pays per value.
    t = type(value)
    if t in _SCALARS:
        return value
    if t is list:
        return tuple([v if type(v) in _SCALARS else freeze(v) for v in value])
    if t is dict:
        return MappingProxyType({str(k): v if type(v) in _SCALARS else freeze(v) for k, v in value.items()})
    if isinstance(value, MappingProxyType):
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted((freeze(v) for v in value), key=repr))
    return value


def thaw(value: Any) -> Any:
    """Turn a frozen value back into plain dicts and lists (for JSON and YAML output)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, eq=False)
class Resource:
    """One managed thing. Equality compares kind, name, spec and owner."""

    kind: str
    name: str
    spec: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    owner: str | None = None
    # The dict behind the read-only spec, for comparisons: comparing two mapping proxies costs two
    # extra dispatches, and the diff compares every resource every cycle.
    _raw: dict[str, Any] = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        problem = key_problem(self.kind, self.name)
        if problem is not None:
            raise ValueError(f"resource key: {problem}")
        spec = self.spec
        if isinstance(spec, MappingProxyType):
            raw = dict(spec)
        else:
            raw = {str(k): v if type(v) in _SCALARS else freeze(v) for k, v in spec.items()}
            object.__setattr__(self, "spec", MappingProxyType(raw))
        object.__setattr__(self, "_raw", raw)

    @property
    def key(self) -> Key:
        return (self.kind, self.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resource):
            return NotImplemented
        return self is other or (
            self.name == other.name
            and self.kind == other.kind
            and self.owner == other.owner
            and self._raw == other._raw
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def with_owner(self, owner: str | None) -> Resource:
        return self if owner == self.owner else Resource(self.kind, self.name, self.spec, owner)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "spec": thaw(self.spec)}
        if self.owner is not None:
            out["owner"] = self.owner
        return out

    def __repr__(self) -> str:
        return f"Resource({self.kind}/{self.name})"


def index(resources: Iterable[Resource], what: str) -> dict[Key, Resource]:
    """Index resources by key; a key seen twice is an error naming both."""
    out: dict[Key, Resource] = {}
    for r in resources:
        k = (r.kind, r.name)
        if k in out:
            raise ValueError(f"{what}: duplicate resource {r.kind}/{r.name}")
        out[k] = r
    return out


@dataclass(frozen=True, slots=True)
class DesiredState:
    """The resources that should exist, with provenance. A failed load is an error, never this.

    *since* and *changed* are an optional delta, as for :class:`Observation`: this state differs
    from the one at version *since* at most in the keys *changed*. The same object twice is the
    same state (it is immutable), so a source that caches its answer needs no delta."""

    resources: Mapping[Key, Resource]
    source: str = "inline"
    version: str | None = None
    loaded_at: float | None = None
    since: str | None = None
    changed: frozenset[Key] | None = None

    @classmethod
    def of(cls, resources: Iterable[Resource], source: str = "inline", version: str | None = None,
           loaded_at: float | None = None) -> DesiredState:
        return cls(MappingProxyType(index(resources, source)), source, version, loaded_at)

    def __len__(self) -> int:
        return len(self.resources)


@dataclass(frozen=True, slots=True)
class Observation:
    """What exists now, and whether the provider saw all of it (and if not, why).

    A change feed fills the last three: *version* is the feed position this observation reflects
    (a DNS SOA serial, the simulated world's version), and it differs from the observation at
    version *since* at most in the keys *changed* (a superset is fine). ``changed=None`` promises
    nothing: the core diffs everything. The core decides itself whether *since* continues from the
    plan it holds (:mod:`recon.core.changefeed`). A change-fed observer may hand out its live
    cache: the mapping must then stay as it is until that observer's next observation."""

    resources: Mapping[Key, Resource]
    complete: bool = True
    reason: str | None = None
    source: str = "inline"
    observed_at: float | None = None
    # A change feed's position: *version* is what this observation reflects (a DNS SOA serial),
    # *since* the version of the observation it was brought up from, *changed* the keys that may
    # differ between the two (a superset is fine). None: no delta to trust, e.g. after a full list.
    version: str | None = None
    since: str | None = None
    changed: frozenset[Key] | None = None

    @classmethod
    def of(cls, resources: Iterable[Resource], complete: bool = True, reason: str | None = None,
           source: str = "inline", observed_at: float | None = None, *, version: str | None = None,
           since: str | None = None, changed: frozenset[Key] | None = None) -> Observation:
        if not complete and not reason:
            raise ValueError("an incomplete observation must say why")
        return cls(MappingProxyType(index(resources, source)), complete, reason, source, observed_at,
                   version, since, changed)

    def __len__(self) -> int:
        return len(self.resources)
