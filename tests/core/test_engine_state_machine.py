"""The engine's safety properties, as Hypothesis state machines checked against an independent model.

The machine drives ``run_cycle`` itself and answers every effect: it is the desired source, the world,
the kill switch and the human approver. Rules change the desired state (empty, shrunken, failed
loads), drift the world (deletes, edits, hand-made owned and unowned resources), make observations
incomplete, truncated or failing, fail writes, and approve or deny requests with an expiry. After
every cycle each write (or, observe-only, each write the decision would make) must be allowed by
``engine_model.Model``, which keeps its own baselines and approval ledger. One machine runs with every
guard on and one per guard with only that guard on, so no guard can mask another's defect. Teardown
stops every fault and checks that the loop converges and then stays still.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from recon.core.approval import keys_digest
from recon.core.cycle import run_cycle
from recon.core.decision import Decision
from recon.core.effects import (
    Apply, CheckKillSwitch, Delete, FileApprovalRequest, GetApproval, LoadDesired, Observe, WriteResult,
)
from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.plan import Change, Op
from recon.core.policy import Guards, Policy, RunMode, Selector
from recon.core.record import CycleRecord, LoopState
from recon.drivers.loop import drive
from recon.store.sqlite import StateStore
from tests.core.engine_model import (
    CONFIRM, DELETE_WINDOW, DROP, GUARDS, MAX_CHANGES, MAX_DELETES, SHRINK, SHRINK_WINDOW, WINDOW_MAX, Allowed,
    Ledger, Model,
)

LOOP = "loop-a"
NAMES = [f"r{i}" for i in range(8)] + ["prot-0", "prot-1"]
UNIVERSE: list[Key] = [(k, n) for k in ("A", "TXT") for n in NAMES]
HAND: list[Key] = [("A", f"hand-{i}") for i in range(6)]
PERIOD = 60.0
OBSERVATIONS = ("full", "flagged", "truncated", "raises")

resource_keys = st.sampled_from(UNIVERSE)
# Approvals that expire before the next cycle, after one or two, or much later.
ttls = st.sampled_from([30.0, 90.0, 120.0, 600.0, 3600.0])
replies = st.sampled_from(["wait", "grant", "grant", "deny"])
desired_sets = st.dictionaries(resource_keys, st.integers(0, 3), min_size=1, max_size=len(UNIVERSE))


@dataclass(frozen=True, slots=True)
class EngineResult:
    record: CycleRecord
    state: LoopState
    decision: Decision


def run_engine(policy: Policy, state: LoopState, now: float, observe_only: bool, answer: Any) -> EngineResult:
    """The one place that calls the engine: adapt here when run_cycle's result changes shape."""
    mode = RunMode.OBSERVE_ONLY if observe_only else RunMode.ENFORCE
    result = drive(run_cycle(LOOP, policy, state, now, mode=mode), answer)
    return EngineResult(result.record, result.state, result.decision)


def policy_for(enabled: frozenset[str], owner: str | None, windows: bool = False) -> Policy:
    limits: dict[str, dict[str, Any]] = {
        "desired_shrink": {"max_fraction": SHRINK},
        "incomplete_observation": {"max_drop_fraction": DROP, "confirm_cycles": CONFIRM},
        "protected": {"selectors": [Selector(kind="A", name="prot-*")]},
        "max_deletes": {"max": MAX_DELETES, "max_fraction": None}, "max_changes": {"max": MAX_CHANGES},
    }
    if windows:
        limits["desired_shrink"]["window"] = SHRINK_WINDOW
        limits["max_deletes"].update(window=DELETE_WINDOW, window_max=WINDOW_MAX)
    guards = Guards(**{g: {**limits.get(g, {}), "enabled": g in enabled} for g in GUARDS})
    return Policy(owner_id=owner, guards=guards, retry_base=30, retry_max=PERIOD)


def res(key: Key, v: int, owner: str | None) -> Resource:
    return Resource(key[0], key[1], {"ttl": 300, "values": [f"10.0.0.{v}"]}, owner)


class EngineMachine(RuleBasedStateMachine):
    ENABLED: frozenset[str] = frozenset(GUARDS)
    WINDOWS = False  # the window machines below set max_deletes.window and desired_shrink.window

    @initialize(initial=desired_sets, owner=st.sampled_from([None, LOOP]), n_protected=st.integers(0, 2),
                unowned=st.sets(st.sampled_from(UNIVERSE + HAND), max_size=3))
    def setup(self, initial: dict[Key, int], owner: str | None, n_protected: int, unowned: set[Key]) -> None:
        self.owner = owner
        self.world: dict[Key, Resource] = {k: res(k, v, owner) for k, v in initial.items()}
        self.world.update({("A", f"prot-{i}"): res(("A", f"prot-{i}"), 0, owner) for i in range(n_protected)})
        self.world.update({k: res(k, 9, "loop-b") for k in unowned})  # another loop's resources
        self.desired: dict[Key, Resource] = {k: res(k, v, None) for k, v in initial.items()}
        self.load_fails = False
        self.observation = "full"
        self.failing: set[Key] = set()
        self.paused = False
        self.ledger = Ledger()
        self.model = Model(self.ENABLED, owner, windows=self.WINDOWS)
        self.policy = policy_for(self.ENABLED, owner, self.WINDOWS)
        self.state = LoopState()
        self.now = 0.0

    # Few rules, each with a choice of what happens, so that cycles come often enough between them
    # for multi-step stories (ask, approve, carry, expire) to arise.
    @rule(how=st.sampled_from(["set", "empty", "shrink", "fail"]), new=desired_sets, keep=st.floats(0.0, 0.5))
    def change_desired(self, how: str, new: dict[Key, int], keep: float) -> None:
        self.load_fails = how == "fail"
        if how == "set":
            self.desired = {k: res(k, v, None) for k, v in new.items()}
        elif how == "empty":
            self.desired = {}
        elif how == "shrink":
            items = sorted(self.desired.items())
            self.desired = dict(items[: int(len(items) * keep)])

    @rule(how=st.sampled_from(["delete", "edit", "create", "bulk"]), keys=st.lists(
        st.sampled_from(UNIVERSE + HAND), min_size=1, max_size=8, unique=True), v=st.integers(4, 9),
        owned=st.booleans())
    def drift(self, how: str, keys: list[Key], v: int, owned: bool) -> None:
        """Changes made by hand (one resource) or by a script or a restored backup (bulk). A resource
        made without this loop's marker is unowned and must never be written."""
        for k in keys if how == "bulk" else keys[:1]:
            if how == "edit" and k in self.world:
                self.world[k] = res(k, v, self.world[k].owner)
            elif how == "delete" or (how == "bulk" and k in self.world):
                self.world.pop(k, None)
            elif how in ("create", "bulk"):
                self.world[k] = res(k, v, self.owner if owned else None)

    @rule(how=st.sampled_from(["observation", "fail_writes", "heal_writes", "kill_switch"]),
          observation=st.sampled_from(OBSERVATIONS), key=resource_keys)
    def fault(self, how: str, observation: str, key: Key) -> None:
        if how == "observation":
            self.observation = observation
        elif how == "fail_writes":
            self.failing.add(key)
        elif how == "heal_writes":
            self.failing.clear()
        else:
            self.paused = not self.paused

    @rule(dt=st.sampled_from([30.0, 600.0]))
    def time_passes(self, dt: float) -> None:
        # Without a cycle: approvals may expire between two cycles.
        self.now += dt

    # cycles -------------------------------------------------------------------------------------
    def observe(self) -> Observation | BaseException:
        items = sorted(self.world.items())
        if self.observation == "raises":
            return ConnectionError("world: connection refused")
        if self.observation == "flagged":
            return Observation(dict(items[: len(items) // 2]), False, "page 2 failed", "world")
        if self.observation == "truncated":  # silently short, yet claims to be complete
            return Observation(dict(items[: len(items) // 2]), True, None, "world")
        return Observation(dict(items), True, None, "world")

    @rule(reply=replies, ttl=ttls)
    def observe_only_cycle(self, reply: str, ttl: float) -> None:
        self.cycle(reply, ttl, observe_only=True)

    @rule(reply=replies, ttl=ttls)
    def cycle(self, reply: str = "wait", ttl: float = 0.0, observe_only: bool = False) -> None:
        """The human answers the latest request (or not), time moves on one period, and a cycle runs."""
        pending = self.ledger.pending()
        if pending and reply != "wait":
            self.ledger.answer(pending[-1], reply == "grant", self.now, ttl)
        self.now += PERIOD
        engaged = self.paused
        desired: dict[Key, Resource] | BaseException = (
            OSError("config.yaml: connection reset while fetching") if self.load_fails else dict(self.desired))
        obs = self.observe()
        allowed = self.model.allowed(engaged, desired, obs, self.ledger, self.now)
        writes: list[Change] = []
        deleted = 0

        def answer(effect: Any) -> Any:
            nonlocal deleted
            if isinstance(effect, CheckKillSwitch):
                return engaged
            if isinstance(effect, LoadDesired):
                return desired if isinstance(desired, BaseException) else DesiredState.of(desired.values(), "test")
            if isinstance(effect, Observe):
                return obs
            if isinstance(effect, GetApproval):
                assert effect.digest == keys_digest(allowed.candidates), "asked about a set that is not the deletes"
                return self.ledger.lookup(effect.request_id)
            if isinstance(effect, FileApprovalRequest):
                assert frozenset(effect.request.keys) == allowed.candidates, "request is not for the exact deletes"
                self.ledger.file(effect.request, self.now)
                return None
            assert isinstance(effect, (Apply, Delete)), effect
            writes.append(effect.change)
            key = effect.change.key
            if observe_only or key in self.failing:
                return WriteResult(False, "503 from provider")
            if isinstance(effect, Delete):
                deleted += self.world.pop(key, None) is not None
            else:
                self.world[key] = effect.change.target
            return WriteResult(True)

        out = run_engine(self.policy, self.state, self.now, observe_only, answer)
        self.state = self.keep(out.state)
        if observe_only:
            assert not writes, f"observe-only cycle wrote {[(c.op.value, c.key) for c in writes]}"
        self.check(allowed, obs, writes if not observe_only else list(out.decision.batch))
        self.model.advance(allowed, obs, deleted, self.ledger, self.now)

    def keep(self, state: LoopState) -> LoopState:
        """The state the next cycle starts from (the window machines restart through a store)."""
        return state

    def check(self, a: Allowed, obs: Observation | BaseException, acted: list[Change]) -> None:
        """Every write the cycle made (or would make) is one the model allows."""
        what = [(c.op.value, c.key) for c in acted]
        if a.halt is not None:
            assert not acted, f"{a.halt}, yet the loop acted: {what}"
            return
        assert isinstance(obs, Observation)
        deletes = [c.key for c in acted if c.op is Op.DELETE]
        for k in deletes:
            assert k in a.candidates, f"deleted {k}: in the desired state, unobserved, unowned or protected"
        assert not deletes or a.hold is None, f"{a.hold}, yet the loop deleted {deletes}"
        for c in acted:
            if c.op is Op.DELETE:
                continue
            assert not self.model.excluded(c.key, obs.resources.get(c.key)), \
                f"{c.op.value} of {c.key}: unowned or protected"
            assert c.target == a.intended.get(c.key), f"{c.op.value} of {c.key} is not the desired resource"
        if "max_changes" in self.ENABLED:
            assert len(acted) <= MAX_CHANGES, f"{len(acted)} writes > cap {MAX_CHANGES}"

    def teardown(self) -> None:
        if not hasattr(self, "world"):
            return
        # Faults stop and the desired state stops changing; the human approves what is asked.
        self.paused = self.load_fails = False
        self.observation = "full"
        self.failing.clear()
        if not self.desired:
            self.desired = {UNIVERSE[0]: res(UNIVERSE[0], 1, None)}
        self.ledger.grant_everything(self.now, 1e9)
        target = {k: r.with_owner(self.owner) for k, r in self.desired.items()}

        def goal() -> tuple[list[Key], list[Key]]:
            """Keys still to write toward the desired state, and managed keys still to delete."""
            off = {k for k in self.world.keys() | target.keys() if self.model.excluded(k, self.world.get(k))}
            todo = [k for k, r in target.items() if k not in off and self.world.get(k) != r]
            return todo, [k for k in self.world if k not in target and k not in off]

        todo, extra = goal()
        # Per max_changes-sized batch one cycle, one to get the approval, and up to CONFIRM for the
        # count-drop guard to confirm a fall that drift or a cut list left behind.
        budget = math.ceil((len(todo) + len(extra)) / MAX_CHANGES) + 1 + CONFIRM
        for _ in range(budget):
            self.cycle()
            todo, extra = goal()
            if not todo and not extra:
                break
        assert not todo and not extra, f"not converged within {budget} cycles: to write {todo}, to delete {extra}"
        before = dict(self.world)
        self.cycle()
        assert self.world == before, "a converged loop kept writing"


class WindowMachine(EngineMachine):
    """The machine with max_deletes.window and desired_shrink.window set, whose loop restarts before
    every cycle: its state is saved to a state store and read back, so the windows' memory must
    survive the store. The model holds shrinks beyond SHRINK of the window's largest accepted state."""

    WINDOWS = True

    @rule(share=st.floats(0.05, 0.25))
    def slice_desired(self, share: float) -> None:
        """The slow failure the windows exist for: the source loses a small share, under every per-cycle guard."""
        items = sorted(self.desired.items())
        self.desired = dict(items[: len(items) - max(1, int(len(items) * share))])

    def keep(self, state: LoopState) -> LoopState:
        if not hasattr(self, "store"):
            self.store = StateStore(":memory:")
        self.store.save_state(LOOP, state)
        return self.store.load_state(LOOP)

    @invariant()
    def no_window_lets_more_than_window_max_unapproved_deletes_through(self) -> None:
        # Checked after every step, so at every delete's time: the window ending there holds them all.
        if "max_deletes" in self.ENABLED and hasattr(self, "model"):
            n = self.model.unapproved_within(self.now)
            assert n <= WINDOW_MAX, f"{n} unapproved deletes within {DELETE_WINDOW:g} s > window_max {WINDOW_MAX}"


EXAMPLES = int(os.environ.get("RECON_SM_EXAMPLES", "60"))
STEPS = int(os.environ.get("RECON_SM_STEPS", "50"))
# The mutation check runs with a fixed seed and no example database, so every run is the same.
FIXED = os.environ.get("RECON_SM_DERANDOMIZE") == "1"


def machine_for(name: str, enabled: frozenset[str], base: type[EngineMachine] = EngineMachine) -> type[EngineMachine]:
    cls = type(f"EngineMachine_{name}", (base,), {"ENABLED": enabled})
    cls.TestCase.settings = settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=FIXED,
        database=None if FIXED else settings.default.database, suppress_health_check=[HealthCheck.too_slow],
        # A mutant needs a verdict, not a minimal example: skip shrinking in the fixed-seed runs.
        phases=(Phase.explicit, Phase.generate) if FIXED else tuple(Phase),
    )
    return cls


TestEngineAllGuards = machine_for("all", frozenset(GUARDS)).TestCase
# Each guard alone: a defect in one guard cannot hide behind another that happens to stop the same delete.
for _guard in GUARDS:
    globals()[f"TestEngineOnly_{_guard}"] = machine_for(_guard, frozenset({_guard})).TestCase
del _guard
# The windows across cycles, with every guard and with only the guard that owns each window.
TestEngineWindows_all = machine_for("windows_all", frozenset(GUARDS), WindowMachine).TestCase
TestEngineWindows_max_deletes = machine_for("windows_max_deletes", frozenset({"max_deletes"}), WindowMachine).TestCase
TestEngineWindows_desired_shrink = machine_for("windows_desired_shrink", frozenset({"desired_shrink"}),
                                               WindowMachine).TestCase


def story(enabled: frozenset[str]) -> EngineMachine:
    """A machine started by hand for a fixed story: ten owned resources, desired shrinks to two."""
    m = machine_for("story", enabled)()
    m.setup(initial={k: 1 for k in UNIVERSE[:10]}, owner=LOOP, n_protected=0, unowned=set())
    m.change_desired("set", {k: 1 for k in UNIVERSE[:2]}, 0.0)
    m.cycle()  # eight deletes > cap 3: held, a request is filed
    return m


def test_a_carried_approval_never_covers_a_new_set() -> None:
    m = story(frozenset({"max_deletes"}))
    m.cycle("grant", 3600.0)  # the approved eight go
    m.drift("bulk", HAND[:4], 5, True)  # four the human never saw appear
    m.cycle()
    assert all(k in m.world for k in HAND[:4]), "a carried approval covered a set it never approved"
    m.teardown()


def test_a_carried_approval_expires() -> None:
    m = story(frozenset({"max_deletes"}))
    m.observe_only_cycle("grant", 90.0)  # the approval is looked up and carried, nothing is deleted
    m.cycle()  # one period later it has expired
    assert len(m.world) == 10, "deleted under an expired approval"
    m.teardown()


def window_story(guard: str) -> EngineMachine:
    """A window machine started by hand: ten owned resources, converged, then the source loses two
    (20%: under every per-cycle guard) and they go; then half a window passes."""
    m = machine_for("window_story", frozenset({guard}), WindowMachine)()
    m.setup(initial={k: 1 for k in UNIVERSE[:10]}, owner=LOOP, n_protected=0, unowned=set())
    m.cycle()
    m.slice_desired(0.2)
    m.cycle()
    assert len(m.world) == 8, "a 20% slice under every per-cycle guard was held"
    m.now += DELETE_WINDOW / 2  # the two deletes, and the 10 accepted before them, are still inside the window
    return m


def test_a_delete_window_still_counts_deletes_half_a_window_old_after_a_restart() -> None:
    m = window_story("max_deletes")
    m.slice_desired(0.05)  # one more: 2 + 1 > window_max 2
    m.cycle()
    m.no_window_lets_more_than_window_max_unapproved_deletes_through()
    assert len(m.world) == 8, "the window's budget let a third unapproved delete through"
    m.teardown()


def test_a_shrink_window_measures_from_the_largest_state_it_holds() -> None:
    m = window_story("desired_shrink")
    m.slice_desired(0.25)  # 8 -> 6: 25% of the last accepted, 40% of the window's largest (10)
    m.cycle()
    assert len(m.world) == 8, "a shrink beyond 30% of the window's largest state went through"
    m.teardown()
