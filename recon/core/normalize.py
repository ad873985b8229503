"""Per-kind normalisation, so that a resource that already matches compares equal.

Servers add defaults, reorder list values and fill in fields nobody asked for. A normaliser maps a
spec to the canonical form the diff compares. It is applied only when two specs differ verbatim, so
the common unchanged case costs one dictionary comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

SpecFn = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _sort_key(v: Any) -> str:
    return repr(v)


@dataclass(frozen=True)
class Normalizer:
    """Canonicalises specs before comparison.

    *unordered* names spec fields whose list order carries no meaning (compared as sorted),
    *defaults* maps a kind (or ``"*"``) to field defaults a server fills in, *ignored* names
    server-set fields never compared, and *hooks* maps a kind to an extra function.
    """

    unordered: frozenset[str] = frozenset({"values"})
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()
    hooks: Mapping[str, SpecFn] = field(default_factory=dict)

    def __call__(self, kind: str, spec: Mapping[str, Any]) -> Mapping[str, Any]:
        out = dict(spec)
        for defaults in (self.defaults.get("*"), self.defaults.get(kind)):
            if defaults:
                for k, v in defaults.items():
                    out.setdefault(k, v)
        for k in self.ignored:
            out.pop(k, None)
        for k in self.unordered:
            v = out.get(k)
            if isinstance(v, tuple):
                out[k] = tuple(sorted(v, key=_sort_key))
        hook = self.hooks.get(kind)
        if hook is not None:
            out = dict(hook(out))
        return MappingProxyType(out)


DEFAULT = Normalizer()
