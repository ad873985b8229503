"""Decisions and stores built with the real engine, for the widget tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon.approvers import StoreApprover
from recon.core.model import Resource
from recon.core.policy import Policy
from recon.drivers.loop import Loop
from recon.providers.memory import MemoryProvider
from recon.sources.callable import CallableSource
from recon.store.sqlite import StateStore


def records(n: int, prefix: str = "r") -> list[Resource]:
    return [Resource("A", f"{prefix}{i}", {"ttl": 300, "values": [f"10.0.0.{i}"]}) for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.db")


@pytest.fixture
def held_loop(store: StateStore) -> Loop:
    """A writable loop whose desired state dropped 6 of 10 records, so max_deletes (cap 3) holds them."""
    world = MemoryProvider(records(10))
    desired = records(4)
    policy = Policy.model_validate({"guards": {"max_deletes": {"max": 3}, "desired_shrink": False}})
    return Loop(name="lab", source=CallableSource(lambda: desired, name="test"),
                observer=world, actuator=world, policy=policy, approver=StoreApprover(store),
                kill_switch=lambda: store.kill_switch("lab"), store=store)
