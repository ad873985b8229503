"""The diff: exact sets, field-level differences, normalisation and idempotency."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recon.core.model import Resource, freeze, thaw
from recon.core.normalize import Normalizer
from recon.core.plan import Op, diff


def idx(*rs: Resource) -> dict:
    return {r.key: r for r in rs}


def test_resource_is_deeply_immutable() -> None:
    r = Resource("A", "www", {"ttl": 300, "values": ["10.0.0.1"], "meta": {"a": [1, 2]}})
    with pytest.raises(TypeError):
        r.spec["ttl"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        r.spec["meta"]["a"] = ()  # type: ignore[index]
    assert r.spec["values"] == ("10.0.0.1",)
    with pytest.raises(AttributeError):
        r.name = "x"  # type: ignore[misc]
    assert thaw(r.spec) == {"ttl": 300, "values": ["10.0.0.1"], "meta": {"a": [1, 2]}}


def test_creates_updates_deletes_are_exact_and_sorted() -> None:
    desired = idx(Resource("A", "b", {"ttl": 1}), Resource("A", "a", {"ttl": 1}), Resource("A", "same", {"x": 1}),
                  Resource("A", "edit", {"ttl": 5, "values": ["1"]}))
    observed = idx(Resource("A", "same", {"x": 1}), Resource("A", "edit", {"ttl": 6, "values": ["1"]}),
                   Resource("A", "gone2", {}), Resource("A", "gone1", {}))
    p = diff(desired, observed)
    assert [c.key for c in p.creates] == [("A", "a"), ("A", "b")]
    assert [c.key for c in p.deletes] == [("A", "gone1"), ("A", "gone2")]
    assert [c.key for c in p.updates] == [("A", "edit")]
    (f,) = p.updates[0].fields
    assert (f.path, f.old, f.new) == ("ttl", 6, 5)
    assert p.unchanged == (("A", "same"),)
    assert p.counts() == {"create": 2, "update": 1, "delete": 2}
    assert all(c.op is Op.DELETE and c.desired is None for c in p.deletes)


def test_nested_field_paths_and_owner_change_are_reported() -> None:
    d = Resource("rule", "ssh", {"match": {"port": 22, "proto": "tcp"}}, owner="fw")
    o = Resource("rule", "ssh", {"match": {"port": 2222, "proto": "tcp"}}, owner=None)
    (u,) = diff(idx(d), idx(o)).updates
    assert [(f.path, f.old, f.new) for f in u.fields] == [("match.port", 2222, 22), ("owner", None, "fw")]


def test_value_order_and_server_defaults_are_no_ops() -> None:
    norm = Normalizer(defaults={"A": {"ttl": 3600}}, ignored=frozenset({"serial"}))
    d = Resource("A", "www", {"values": ["10.0.0.2", "10.0.0.1"]})
    o = Resource("A", "www", {"values": ["10.0.0.1", "10.0.0.2"], "ttl": 3600, "serial": 7})
    assert diff(idx(d), idx(o), norm).in_sync
    o2 = Resource("A", "www", {"values": ["10.0.0.1", "10.0.0.3"], "ttl": 3600})
    (u,) = diff(idx(d), idx(o2), norm).updates
    assert u.fields[0].path == "values"


def test_kind_hook_normalises_case() -> None:
    norm = Normalizer(hooks={"CNAME": lambda s: {**s, "values": tuple(v.lower() for v in s["values"])}})
    assert diff(idx(Resource("CNAME", "x", {"values": ["WWW.Example."]})),
                idx(Resource("CNAME", "x", {"values": ["www.example."]})), norm).in_sync


specs = st.dictionaries(st.sampled_from(["ttl", "values", "mode"]),
                        st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=3)), max_size=3)
worlds = st.dictionaries(st.tuples(st.sampled_from(["A", "B"]), st.sampled_from("abcdef")), specs, max_size=8)


@given(worlds, worlds)
def test_applying_the_plan_converges_and_reapplying_is_a_no_op(desired_specs: dict, observed_specs: dict) -> None:
    desired = {k: Resource(k[0], k[1], s) for k, s in desired_specs.items()}
    observed = {k: Resource(k[0], k[1], s) for k, s in observed_specs.items()}
    p = diff(desired, observed)
    world = dict(observed)
    for c in p.creates + p.updates:
        world[c.key] = c.target
    for c in p.deletes:
        del world[c.key]
    assert diff(desired, world).in_sync
    assert len(p.creates) + len(p.updates) + len(p.deletes) + len(p.unchanged) == len(set(desired) | set(observed))
    assert diff(desired, observed) == p  # deterministic


def test_freeze_is_idempotent() -> None:
    f = freeze({"a": [1, {"b": 2}]})
    assert freeze(f) is f and isinstance(f, MappingProxyType)
