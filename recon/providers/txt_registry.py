"""Ownership from TXT registry records, in the style of external-dns's TXT registry.

A loop that owns the record ``www`` of type A marks it with a TXT record (by default named
``_owner.a.www``) whose text is ``heritage=external-dns,external-dns/owner=<owner id>``. Observers
read these markers, attach the owner to the records they describe, and leave the markers themselves
out of the managed resources. The name template, the heritage and the owner key are configurable so
that a zone already managed by external-dns can be read as it is. This module only parses; it never
writes a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from recon.core.model import Key, Resource
from recon.providers.names import MarkerTemplate


class RegistryConfig(BaseModel):
    """``registry:`` settings of the dns and aws-route53 providers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    template: MarkerTemplate = Field("_owner.{type}.{name}",
                          description="relative name of the marker for a record; {type} is the lower-case "
                                      "record type, {name} the record's relative name (dropped at the apex)")
    heritage: str = Field("external-dns", description="value of heritage= that identifies a marker")
    owner_key: str = Field("external-dns/owner", description="key holding the owner id in the marker text")

    @field_validator("template")
    @classmethod
    def _has_name(cls, v: str) -> str:
        if "{name}" not in v:
            raise ValueError("template must contain {name}")
        if set(re.findall(r"\{(\w*)\}", v)) - {"name", "type"}:
            raise ValueError("template may use only {name} and {type}")
        return v


def txt_strings(value: str) -> str:
    """Join the quoted strings of one TXT value's presentation form (``"a" "b"`` -> ``ab``)."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
    return "".join(parts) if parts else value


# What a marker points at: (record type, or None for every type at the name; relative name).
Target = tuple[str | None, str]


class Marker(NamedTuple):
    """One marker record read: the record(s) it owns and the owner it names (None: none named)."""

    target: Target
    owner: str | None


@dataclass(frozen=True)
class TxtRegistry:
    """Finds markers among TXT records and maps each to the record it owns."""

    config: RegistryConfig = RegistryConfig()

    def __post_init__(self) -> None:
        t = self.config.template
        object.__setattr__(self, "_full", self._regex(t))
        apex = re.sub(r"\.?\{name\}\.?", ".", t).strip(".") if t != "{name}" else ""
        object.__setattr__(self, "_apex", self._regex(apex) if apex else re.compile(r"@"))

    @staticmethod
    def _regex(template: str) -> re.Pattern[str]:
        out = ""
        for piece in re.split(r"(\{name\}|\{type\})", template):
            if piece == "{name}":
                out += r"(?P<name>.+?)"
            elif piece == "{type}":
                out += r"(?P<type>[a-z0-9]+)"
            else:
                out += re.escape(piece)
        return re.compile(out + r"\Z")

    def owner_in(self, values: Iterable[str]) -> tuple[bool, str | None]:
        """Whether TXT *values* form a marker of this heritage, and the owner they name."""
        owner: str | None = None
        found = False
        for v in values:
            fields = dict(p.partition("=")[::2] for p in txt_strings(v).split(",") if "=" in p)
            if fields.get("heritage") != self.config.heritage:
                return False, None
            found = True
            owner = owner or fields.get(self.config.owner_key) or None
        return found, owner

    def target_of(self, marker: str) -> Target | None:
        """The (type or None for any type, name) a marker name points at, or None if it is no marker name."""
        for rx, apex in ((self._full, False), (self._apex, True)):  # type: ignore[attr-defined]
            m = rx.match(marker)
            if m:
                gd = m.groupdict()
                return (gd["type"].upper() if gd.get("type") else None), ("@" if apex else gd["name"])
        return None

    def marker_of(self, key: Key, record: Resource) -> Marker | None:
        """What the record *key* says as a marker of this heritage (its target and owner), or None."""
        if key[0] != "TXT" or not self.config.enabled:
            return None
        is_marker, owner = self.owner_in(_values(record.spec))
        if not is_marker:
            return None
        target = self.target_of(key[1])
        return None if target is None else Marker(target, owner)

    @staticmethod
    def stamp(key: Key, record: Resource, owners: Mapping[Target, str]) -> Resource:
        """*record* with the owner its marker names, if any (a typed marker before an any-type one)."""
        owner = owners.get(key) or owners.get((None, key[1]))
        return record.with_owner(owner) if owner else record

    def markers(self, records: Mapping[Key, Resource]) -> dict[Key, Marker]:
        """The markers among *records*, by key."""
        if not self.config.enabled:
            return {}
        out: dict[Key, Marker] = {}
        for key, r in records.items():
            if key[0] != "TXT":  # the common case, without a call
                continue
            m = self.marker_of(key, r)
            if m is not None:
                out[key] = m
        return out

    def split(self, records: Mapping[Key, Resource],
              markers: Mapping[Key, Marker] | None = None) -> dict[Key, Resource]:
        """Drop markers from *records* and stamp their owners on the records they name; *markers*, if
        given, are ``self.markers(records)`` already found."""
        if markers is None:
            markers = self.markers(records)
        owners = {m.target: m.owner for m in markers.values() if m.owner}
        if not owners:  # no owner to stamp: skip the per-record call
            return {key: r for key, r in records.items() if key not in markers}
        stamp = self.stamp
        return {key: stamp(key, r, owners) for key, r in records.items() if key not in markers}


def _values(spec: Mapping[str, Any]) -> tuple[str, ...]:
    v = spec.get("values", ())
    return tuple(str(x) for x in v) if isinstance(v, (tuple, list)) else (str(v),)
