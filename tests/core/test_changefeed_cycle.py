"""The change-fed diff inside the cycle: followed when the observer's deltas continue the last plan,
the same records as a loop that diffs everything, and never carried across a restart."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.policy import Policy
from recon.core.record import CycleRecord
from recon.drivers.loop import Loop, run_once
from recon.store import StateStore


class FeedWorld:
    """A world whose observations carry a delta (*feed*) or none; writes and drift both go in it."""

    def __init__(self, resources: list[Resource], feed: bool = True) -> None:
        self.items = {r.key: r for r in resources}
        self.feed, self.position, self.pending = feed, 0, set[Key]()

    def observe(self) -> Observation:
        since, self.position = self.position, self.position + 1
        changed, self.pending = frozenset(self.pending), set()
        return Observation(MappingProxyType(dict(self.items)), source="feed", version=str(self.position),
                           since=str(since) if self.feed else None, changed=changed if self.feed else None)

    def apply(self, r: Resource) -> None:
        self.items[r.key] = r
        self.pending.add(r.key)

    def delete(self, r: Resource) -> None:
        self.items.pop(r.key, None)
        self.pending.add(r.key)


class Fixed:
    """A source that answers the same (immutable) desired state every time, like a cached load."""

    def __init__(self, resources: list[Resource]) -> None:
        self.state = DesiredState.of(resources, source="fixed", version="v1")

    def load(self) -> DesiredState:
        return self.state


def _drift(world: FeedWorld, i: int) -> None:
    k = ("A", f"r{i % 7}")
    if i % 3 == 0:
        world.items.pop(k, None)
    else:
        world.items[k] = Resource("A", k[1], {"v": -i}, "me")
    world.pending.add(k)


def _same(r: CycleRecord) -> dict[str, object]:
    """The record less what differs between two loops by name alone."""
    return {k: v for k, v in r.to_dict().items() if k not in ("loop", "duration")}


def test_a_fed_loop_records_what_a_full_diff_loop_records() -> None:
    desired = [Resource("A", f"r{i}", {"v": i}) for i in range(10)]  # stamped with the loop's owner on load
    policy = Policy(owner_id="me")
    fed_world, full_world = FeedWorld([], feed=True), FeedWorld([], feed=False)
    fed = Loop("fed", Fixed(desired), fed_world, policy=policy, actuator=fed_world)
    full = Loop("full", Fixed(desired), full_world, policy=policy, actuator=full_world)
    paths: list[bool] = []
    for i in range(12):
        a, b = run_once(fed, 60.0 * i).record, run_once(full, 60.0 * i).record
        assert _same(a) == _same(b)
        last = fed.state.last_plan
        assert last is not None
        paths.append(last.full)
        assert full.state.last_plan is not None and full.state.last_plan.full
        for w in (fed_world, full_world):
            _drift(w, i)
    assert paths[0] and not any(paths[1:])  # one full diff, then the deltas


def test_the_last_plan_lives_in_the_process_not_in_the_store(tmp_path: Path) -> None:
    world = FeedWorld([Resource("A", "r0", {"v": 0})])
    store = StateStore(tmp_path / "s.db")
    loop = Loop("dns", Fixed([Resource("A", "r0", {"v": 0})]), world, actuator=world, store=store)
    run_once(loop, 0.0)
    run_once(loop, 60.0)
    assert loop.state.last_plan is not None and not loop.state.last_plan.full  # carried across load_state
    assert store.load_state("dns").last_plan is None
    restarted = Loop("dns", loop.source, world, actuator=world, store=store)
    run_once(restarted, 120.0)
    assert restarted.state.last_plan is not None and restarted.state.last_plan.full  # after a restart: full
    assert restarted.state.cycle == 3
