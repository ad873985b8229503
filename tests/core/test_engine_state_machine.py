"""The engine's safety properties, as a Hypothesis state machine.

Rules change the desired state (including empty and shrunken ones and failed loads), drift the world,
make observations incomplete (flagged or silently truncated), fail writes, toggle the kill switch and
approve requests. After every cycle the invariants check that no guard was bypassed; teardown stops
every fault and checks that the loop converges within ceil(changes / cap) + 1 cycles.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from recon.approvers import ApproveAll, StoreApprover
from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.policy import Guards, Policy, Selector
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.store.sqlite import StateStore

NAMES = [f"r{i}" for i in range(12)]
KINDS = ["A", "TXT"]
UNIVERSE: list[Key] = [(k, n) for k in KINDS for n in NAMES]
MAX_DELETES = 3
MAX_CHANGES = 5
SHRINK = 0.3
DROP = 0.3
PERIOD = 60.0

resource_keys = st.sampled_from(UNIVERSE)
desired_sets = st.dictionaries(resource_keys, st.integers(0, 3), min_size=1, max_size=len(UNIVERSE))


class FlakyWorld(MemoryProvider):
    """The in-memory provider with injectable faults: incomplete or truncated lists, failing writes."""

    def __init__(self, resources: list[Resource]) -> None:
        super().__init__(resources, name="world")
        self.flag_incomplete = False
        self.truncate = False
        self.failing: set[Key] = set()

    def observe(self) -> Observation:
        obs = super().observe()
        if self.flag_incomplete:
            keep = dict(list(sorted(obs.resources.items()))[: len(obs.resources) // 2])
            return Observation(keep, False, "page 2 failed: continuation token expired", "world")
        if self.truncate:
            keep = dict(list(sorted(obs.resources.items()))[: (len(obs.resources) * 3) // 4])
            return Observation(keep, True, None, "world")
        return obs

    def apply(self, resource: Resource) -> None:
        if resource.key in self.failing:
            raise RuntimeError("503 from provider")
        super().apply(resource)

    def delete(self, resource: Resource) -> None:
        if resource.key in self.failing:
            raise RuntimeError("503 from provider")
        super().delete(resource)


class Source:
    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.fail = False

    def load(self) -> DesiredState:
        if self.fail:
            raise OSError("config.yaml: connection reset while fetching")
        return DesiredState.of(self.resources, source="test")


def res(key: Key, v: int, owner: str | None) -> Resource:
    return Resource(key[0], key[1], {"ttl": 300, "values": [f"10.0.0.{v}"]}, owner)


class EngineMachine(RuleBasedStateMachine):
    @initialize(initial=desired_sets, owner=st.sampled_from([None, "loop-a"]), n_protected=st.integers(0, 2))
    def setup(self, initial: dict[Key, int], owner: str | None, n_protected: int) -> None:
        self.owner = owner
        world = [res(k, v, owner) for k, v in initial.items()]
        # Protected resources: never in desired, never to be touched.
        self.protected = {("A", f"prot-{i}") for i in range(n_protected)}
        world += [res(k, 0, owner) for k in self.protected]
        self.world = FlakyWorld(world)
        self.source = Source()
        self.source.resources = [res(k, v, None) for k, v in initial.items()]
        self.store = StateStore(":memory:")
        self.paused = False
        guards = Guards(
            desired_shrink={"max_fraction": SHRINK},
            incomplete_observation={"max_drop_fraction": DROP},
            protected={"selectors": [Selector(kind="A", name="prot-*")]},
            max_deletes={"max": MAX_DELETES, "max_fraction": None},
            max_changes={"max": MAX_CHANGES},
        )
        self.policy = Policy(owner_id=owner, guards=guards, retry_base=30, retry_max=PERIOD)
        self.loop = Loop("loop-a", self.source, self.world, self.policy, actuator=self.world,
                         approver=StoreApprover(self.store), kill_switch=lambda: self.paused, store=self.store)
        self.now = 0.0
        self.last_accepted: int | None = None
        self.last_complete_count: int | None = None
        self.own_deletes_last = 0
        self.approved_sets: list[frozenset[Key]] = []

    # desired-state changes ---------------------------------------------------------------------
    @rule(new=desired_sets)
    def set_desired(self, new: dict[Key, int]) -> None:
        self.source.fail = False
        self.source.resources = [res(k, v, None) for k, v in new.items()]

    @rule()
    def desired_loads_empty(self) -> None:
        self.source.fail = False
        self.source.resources = []

    @rule(keep=st.floats(0.0, 0.5))
    def desired_shrinks(self, keep: float) -> None:
        rs = self.source.resources
        self.source.resources = rs[: int(len(rs) * keep)]

    @rule()
    def desired_fails(self) -> None:
        self.source.fail = True

    # drift and faults -------------------------------------------------------------------------
    @rule(key=resource_keys)
    def drift_delete(self, key: Key) -> None:
        self.world.external_delete(key)

    @rule(key=resource_keys, v=st.integers(4, 9))
    def drift_edit(self, key: Key, v: int) -> None:
        cur = self.world.snapshot().get(key)
        if cur is not None:
            self.world.external_put(Resource(key[0], key[1], {"ttl": 300, "values": [f"10.0.0.{v}"]}, cur.owner))

    @rule(i=st.integers(0, 5), owned=st.booleans())
    def drift_create(self, i: int, owned: bool) -> None:
        # Made by hand: unowned (or, without owner ids, simply undeclared).
        self.world.external_put(Resource("A", f"hand-{i}", {"ttl": 60}, None))

    @rule(flag=st.booleans(), trunc=st.booleans())
    def observation_faults(self, flag: bool, trunc: bool) -> None:
        self.world.flag_incomplete, self.world.truncate = flag, trunc

    @rule(key=resource_keys)
    def fail_writes_for(self, key: Key) -> None:
        self.world.failing.add(key)

    @rule()
    def heal_writes(self) -> None:
        self.world.failing.clear()

    @rule()
    def toggle_kill_switch(self) -> None:
        self.paused = not self.paused

    @precondition(lambda self: any(r.status == "pending" for r in self.store.requests()))
    @rule(data=st.data())
    def approve_a_request(self, data: st.DataObject) -> None:
        pending = [r for r in self.store.requests() if r.status == "pending"]
        r = data.draw(st.sampled_from(pending))
        self.store.decide(r.request.id, True, "test-human", ttl=3 * PERIOD, now=self.now)
        self.approved_sets.append(frozenset(r.request.keys))

    # cycles -------------------------------------------------------------------------------------
    @rule()
    def observe_only_cycle(self) -> None:
        before = self.world.writes
        shadow = Loop("shadow", self.source, self.world, self.policy, actuator=None,
                      approver=StoreApprover(StateStore(":memory:")))
        record = run_once(shadow, self.now).record
        assert self.world.writes == before, "observe-only loop wrote"
        assert record.applied_create == record.applied_update == record.applied_delete == 0

    @rule()
    def cycle(self) -> None:
        self.now += PERIOD
        before_world = self.world.snapshot()
        before_writes = self.world.writes
        desired_fail = self.source.fail
        desired_n = None if desired_fail else len(self.source.resources)
        flagged = self.world.flag_incomplete
        visible = len(self.world.observe().resources) if not flagged else None
        result = run_once(self.loop, self.now)
        record, state, decision = result.record, result.state, result.decision
        deleted = set(record.deleted_keys)

        if self.paused:
            assert record.paused and self.world.writes == before_writes, "a paused loop acted"
        elif desired_fail:
            assert self.world.writes == before_writes, "wrote although the desired state failed to load"
        else:
            assert desired_n is not None
            if desired_n == 0 and len(before_world) > 0:
                assert self.world.writes == before_writes, "acted on an empty desired state"
            if flagged:
                assert not deleted, "deleted on an observation flagged incomplete"
            if (self.last_complete_count and visible is not None
                    and (self.last_complete_count - self.own_deletes_last - visible) / self.last_complete_count > DROP):
                assert not deleted, "deleted although the observed count fell unexplained"
            covered = any(deleted <= s for s in self.approved_sets)
            if len(deleted) > MAX_DELETES:
                assert covered, f"deleted {len(deleted)} > cap {MAX_DELETES} without an approval covering them"
            if self.last_accepted and (self.last_accepted - desired_n) / self.last_accepted > SHRINK and deleted:
                assert covered, "deleted on a shrunken desired state without approval"
        for k in deleted:
            assert k not in self.protected, f"deleted protected {k}"
            if self.owner is not None:
                assert before_world[k].owner == self.owner, f"deleted unowned {k}"
        for k in self.protected:
            assert before_world.get(k) == self.world.snapshot().get(k), f"touched protected {k}"
        assert record.applied_create + record.applied_update + record.applied_delete <= MAX_CHANGES

        if not self.paused:
            self.last_accepted = state.last_accepted_desired
            if record.observation_complete:
                self.last_complete_count = record.observed_count
            self.own_deletes_last = record.applied_delete

    @invariant()
    def protected_resources_intact(self) -> None:
        if hasattr(self, "world"):
            snap = self.world.snapshot()
            assert all(k in snap for k in self.protected)

    def teardown(self) -> None:
        if not hasattr(self, "world"):
            return
        # Faults stop; desired stops changing (a failed or empty load is replaced by a good one).
        self.paused = False
        self.world.flag_incomplete = self.world.truncate = False
        self.world.failing.clear()
        self.source.fail = False
        if not self.source.resources:
            self.source.resources = [res(UNIVERSE[0], 1, None)]
        self.loop.approver = ApproveAll(ttl=1e9)
        desired = {r.key: r.with_owner(self.owner) for r in self.source.resources}

        def managed(k: Key, r: Resource) -> bool:
            return k not in self.protected and (self.owner is None or r.owner == self.owner)

        snap = self.world.snapshot()
        changes = sum(1 for k, r in desired.items() if snap.get(k) != r)
        changes += sum(1 for k, r in snap.items() if k not in desired and managed(k, r))
        budget = math.ceil(changes / MAX_CHANGES) + 1
        for _ in range(budget + 1):  # +1: the count-drop guard may see the end of the faults once
            self.now += PERIOD
            run_once(self.loop, self.now)
            snap = self.world.snapshot()
            extra = [k for k, r in snap.items() if k not in desired and managed(k, r)]
            if all(snap.get(k) == r for k, r in desired.items()) and not extra:
                return
        raise AssertionError(f"not converged within {budget} (+1) cycles for {changes} changes: "
                             f"missing/different {[k for k, r in desired.items() if snap.get(k) != r]}, extra {extra}")


EngineMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestEngine = EngineMachine.TestCase
