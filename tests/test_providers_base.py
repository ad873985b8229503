"""The provider registry and the in-memory provider."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from recon.core.model import Resource
from recon.providers import UnknownProvider, available, build_observer, factory_for, register
from recon.providers.memory import MemoryProvider
from recon.providers.snapshot import SnapshotObserver


def test_built_in_providers_are_discovered_through_entry_points() -> None:
    assert {"memory", "snapshot", "dns", "postgres", "nftables", "aws-security-group", "aws-route53",
            "files"} <= set(available())
    assert factory_for("snapshot") is SnapshotObserver


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProvider, match="unknown provider type 'nope'; known: .*memory"):
        factory_for("nope")


def test_last_registration_wins(tmp_path: Path) -> None:
    class Custom(SnapshotObserver):
        pass

    original = factory_for("snapshot")
    register("snapshot", Custom)
    try:
        (tmp_path / "o.yaml").write_text("resources: []\n")
        assert type(build_observer({"type": "snapshot", "path": "o.yaml"}, tmp_path)) is Custom
    finally:
        register("snapshot", original)


def test_memory_provider_is_idempotent_versioned_and_thread_safe() -> None:
    world = MemoryProvider()
    r = Resource("A", "x", {"v": 1})
    world.apply(r)
    v = world.version
    world.apply(r)
    assert world.version == v and world.writes == 2, "applying a matching resource is a no-op"

    def worker(i: int) -> None:
        for j in range(200):
            world.apply(Resource("A", f"t{i}-{j}", {"v": j}))
            world.delete(Resource("A", f"t{i}-{j - 1}"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(world) == 1 + 4 and world.writes == 2 + 4 * 400
    assert world.observe().source.startswith("memory@v")
