"""The records of one DNS zone as recon resources: collected from a transfer, kept at one serial.

``RecordCollector`` turns transferred RRsets into resources (``kind`` the type, ``name`` relative and
lower case, ``spec`` ``{ttl, values}`` with the values sorted); AXFR and IXFR both go through it, so
an incrementally kept zone is built exactly as a full transfer builds it. ``ZoneCache`` holds the zone
at one SOA serial and applies an IXFR delta to it in time proportional to the delta, ownership
markers included. This module does no I/O: the transfers live in :mod:`recon.providers.dns` and
:mod:`recon.providers.ixfr`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

import dns.name
import dns.rrset

from recon.core.model import Key, Resource
from recon.providers.txt_registry import Marker, Target, TxtRegistry

# Never managed: the SOA belongs to the server, DNSSEC records to the signer.
IGNORED = frozenset({"SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "TYPE65534"})


class RecordCollector:
    """Gathers the RRsets of a transfer of the zone *origin* into resources, one per (type, name)."""

    def __init__(self, origin: dns.name.Name) -> None:
        self.apex = origin.to_text().lower()
        self._suffix, self._cut = "." + self.apex, -len(self.apex) - 1
        self.records: dict[Key, tuple[int, list[str]]] = {}

    def relative(self, name: dns.name.Name) -> str:
        """The owner name relative to the zone, lower case, ``@`` for the apex."""
        # By string: the same as Name.relativize(), at a fraction of the cost.
        full = name.to_text().lower()
        return full[:self._cut] if full.endswith(self._suffix) else ("@" if full == self.apex else full)

    def add(self, rtype: str, rrset: dns.rrset.RRset) -> None:
        """Add a (part of an) RRset of type *rtype*; a server may split one RRset over messages."""
        if rtype in IGNORED:
            return
        key = (rtype, self.relative(rrset.name))
        entry = self.records.get(key)
        if entry is None:
            self.records[key] = (rrset.ttl, [r.to_text() for r in rrset])
        else:
            entry[1].extend(r.to_text() for r in rrset)

    def resources(self) -> dict[Key, Resource]:
        return {key: record(key, ttl, values) for key, (ttl, values) in self.records.items()}


def record(key: Key, ttl: int, values: Iterable[str]) -> Resource:
    """The resource for an RRset; the spec is built frozen here, so Resource need not walk it again."""
    return Resource(key[0], key[1], MappingProxyType({"ttl": ttl, "values": tuple(sorted(values))}))


@dataclass(frozen=True, slots=True)
class Change:
    """One RR of an IXFR difference sequence: added or deleted from the RRset *key*."""

    added: bool
    key: Key
    ttl: int
    value: str


class DeltaError(Exception):
    """A delta that does not fit the cached zone (it deletes an RR the cache does not hold)."""


class ZoneCache:
    """One zone at one SOA serial: every RRset (markers too) and the managed resources they give."""

    def __init__(self, registry: TxtRegistry, serial: int, raw: dict[Key, Resource]) -> None:
        self.registry, self.serial, self.raw = registry, serial, raw
        self.markers = registry.markers(raw)
        self.owners: dict[Target, str] = {m.target: m.owner for m in self.markers.values() if m.owner}
        self.managed = registry.split(raw, self.markers)
        # Types present at each name, for markers that own every type at a name; only such a
        # template needs it, so only then is it kept.
        self._kinds_at: dict[str, set[str]] | None = None
        if registry.config.enabled and "{type}" not in registry.config.template:
            self._kinds_at = {}
            for kind, name in raw:
                self._kinds_at.setdefault(name, set()).add(kind)

    def apply(self, changes: Iterable[Change], serial: int) -> frozenset[Key]:
        """Apply one IXFR's *changes* (in order) and move to *serial*; return the keys whose
        managed resource may have changed. Raises DeltaError, leaving the cache as it was."""
        work: dict[Key, tuple[int, set[str]]] = {}
        for c in changes:
            ttl_values = work.get(c.key)
            if ttl_values is None:
                r = self.raw.get(c.key)
                ttl_values = (r.spec["ttl"], set(r.spec["values"])) if r is not None else (c.ttl, set())
            ttl, values = ttl_values
            if c.added:
                values.add(c.value)
                ttl = c.ttl  # an RRset has one TTL: the server sends the whole set again to change it
            elif c.value in values:
                values.discard(c.value)
            else:
                raise DeltaError(f"the delta deletes {c.key[0]} {c.key[1]} {c.value!r}, which the zone at "
                                 f"serial {self.serial} does not hold")
            work[c.key] = (ttl, values)
        targets: set[Target] = set()
        for key, (ttl, values) in work.items():
            self._put(key, record(key, ttl, values) if values else None, targets)
        affected = set(work)
        for kind, name in targets:
            if kind is not None:
                affected.add((kind, name))
            elif self._kinds_at is not None:
                affected.update((k, name) for k in self._kinds_at.get(name, ()))
        for key in affected:
            r = self.raw.get(key)
            if r is None or key in self.markers:
                self.managed.pop(key, None)
            else:
                self.managed[key] = self.registry.stamp(key, r, self.owners)
        self.serial = serial
        return frozenset(affected)

    def _put(self, key: Key, new: Resource | None, targets: set[Target]) -> None:
        """Replace the RRset *key* by *new* (None: gone), noting the targets of markers it was or is."""
        old_marker = self.markers.pop(key, None)
        if old_marker is not None:
            targets.add(old_marker.target)
            self.owners.pop(old_marker.target, None)
        if new is None:
            self.raw.pop(key, None)  # an RR added and deleted within one delta was never here
            if self._kinds_at is not None and (kinds := self._kinds_at.get(key[1])) is not None:
                kinds.discard(key[0])
                if not kinds:
                    del self._kinds_at[key[1]]
            return
        self.raw[key] = new
        if self._kinds_at is not None:
            self._kinds_at.setdefault(key[1], set()).add(key[0])
        marker = self.registry.marker_of(key, new)
        if marker is not None:
            self.markers[key] = marker
            targets.add(marker.target)
            if marker.owner:
                self.owners[marker.target] = marker.owner
