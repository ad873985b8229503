"""ZoneCache against the whole-zone registry split, over random IXFR deltas (no server needed).

After any sequence of deltas the cache must hold what a fresh transfer of the same records would
give (``TxtRegistry.split`` of them), and every key whose managed resource differs from before a
delta must be among the keys that delta reports changed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.core.model import Key, Resource
from recon.providers.txt_registry import RegistryConfig, TxtRegistry
from recon.providers.zonecache import Change, DeltaError, ZoneCache, record

NAMES = ("www", "mail", "@")
TYPED = {"template": "_owner.{type}.{name}"}
UNTYPED = {"template": "owner-{name}"}
MARKERS = ('"heritage=external-dns,external-dns/owner=o1"', '"heritage=external-dns,external-dns/owner=o2"',
           '"heritage=external-dns"', '"heritage=other,external-dns/owner=o1"', '"plain text"')


def keys_for(template: dict[str, str]) -> list[Key]:
    out: list[Key] = [(k, n) for k in ("A", "AAAA") for n in NAMES]
    for kind in ("a", "aaaa"):
        for name in NAMES:
            if template is TYPED:
                out.append(("TXT", f"_owner.{kind}" if name == "@" else f"_owner.{kind}.{name}"))
            else:
                out.append(("TXT", "owner-" if name == "@" else f"owner-{name}"))
    return sorted(set(out))


def value_for(key: Key, i: int) -> str:
    if key[0] == "TXT":
        return MARKERS[i % len(MARKERS)]
    return f"192.0.2.{i % 3}" if key[0] == "A" else f"2001:db8::{i % 3}"


def full(registry: TxtRegistry, model: dict[Key, tuple[int, set[str]]]) -> dict[Key, Resource]:
    """What a whole transfer of *model* gives."""
    return registry.split({k: record(k, ttl, v) for k, (ttl, v) in model.items() if v})


@pytest.mark.parametrize("template", [TYPED, UNTYPED], ids=["typed", "untyped"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_deltas_keep_the_cache_equal_to_a_whole_transfer(template: dict[str, str], data: st.DataObject) -> None:
    registry = TxtRegistry(RegistryConfig(**template))
    keys = keys_for(template)
    model: dict[Key, tuple[int, set[str]]] = {}
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=6)):
        model[key] = (300, {value_for(key, data.draw(st.integers(0, 9)))})
    cache = ZoneCache(registry, 1, {k: record(k, t, v) for k, (t, v) in model.items()})
    assert cache.managed == full(registry, model)
    for serial in range(2, 2 + data.draw(st.integers(1, 6))):
        before = dict(cache.managed)
        changes: list[Change] = []
        for _ in range(data.draw(st.integers(0, 5))):
            held = [(k, v) for k, (_, vs) in model.items() for v in sorted(vs)]
            if held and data.draw(st.booleans()):
                key, value = data.draw(st.sampled_from(held))
                model[key][1].discard(value)
                changes.append(Change(False, key, model[key][0], value))
            else:
                key = data.draw(st.sampled_from(keys))
                value, ttl = value_for(key, data.draw(st.integers(0, 9))), data.draw(st.sampled_from([60, 300]))
                model[key] = (ttl, model.get(key, (ttl, set()))[1] | {value})
                changes.append(Change(True, key, ttl, value))
        model = {k: v for k, v in model.items() if v[1]}
        changed = cache.apply(changes, serial)
        assert cache.managed == full(registry, model) and cache.serial == serial
        assert {k: r.owner for k, r in cache.managed.items()} == {k: r.owner for k, r in full(registry, model).items()}
        moved = {k for k in before.keys() | cache.managed.keys()
                 if before.get(k) != cache.managed.get(k)
                 or getattr(before.get(k), "owner", None) != getattr(cache.managed.get(k), "owner", None)}
        assert moved <= changed


def test_a_deletion_of_a_record_never_held_leaves_the_cache_as_it_was() -> None:
    registry = TxtRegistry()
    www = ("A", "www")
    cache = ZoneCache(registry, 7, {www: record(www, 300, ["192.0.2.1"])})
    raw, managed = dict(cache.raw), dict(cache.managed)
    with pytest.raises(DeltaError, match=r"deletes A www '192.0.2.9', which the zone at serial 7 does not hold"):
        cache.apply([Change(True, ("A", "api"), 300, "192.0.2.5"), Change(False, www, 300, "192.0.2.9")], 8)
    assert (cache.raw, cache.managed, cache.serial) == (raw, managed, 7)
