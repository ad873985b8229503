"""Hostile histories for the change-fed diff (review of issue 12 item 1), through the real engine.

Two loops run the same history in lockstep, one fed by deltas and one by full lists; kill switch,
failed observations, failed loads, owner changes, restarts and flagged-incomplete observations come
in between. Every cycle the fed loop's records and plan must equal the full diff's."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.policy import Policy
from recon.core.record import LoopState
from recon.drivers.loop import Loop, run_once
from tests.core.test_changefeed_cycle import FeedWorld
from recon.core.record import CycleRecord


class World(FeedWorld):
    """A world with a change feed; *fail* makes the next observation raise, *cut* flag it incomplete."""

    def __init__(self, feed: bool) -> None:
        super().__init__([], feed)
        self.fail = self.cut = False

    def observe(self) -> Observation:
        if self.fail:
            raise OSError("observer down")
        if not self.cut:
            return super().observe()
        self.position, self.pending = self.position + 1, set()  # a cut list, flagged, at its feed position
        kept = dict(sorted(self.items.items())[: len(self.items) // 2])
        return Observation(MappingProxyType(kept), False, "list cut", "feed", version=str(self.position))


class Source:
    """A desired source answering the same object until it changes; *fail* makes the next load raise."""

    def __init__(self) -> None:
        self.state, self.fail = DesiredState.of([], version="0"), False

    def load(self) -> DesiredState:
        if self.fail:
            raise OSError("source down")
        return self.state


def _same(r: CycleRecord) -> dict[str, object]:
    """The record less what differs between two loops by name alone (the request id hashes it)."""
    return {k: v for k, v in r.to_dict().items() if k not in ("loop", "duration", "approval_request")}


KEYS = [("A", f"r{i}") for i in range(6)]
step = st.one_of(
    st.tuples(st.just("drift"), st.sampled_from(KEYS), st.integers(0, 2), st.sampled_from([None, "me", "you"])),
    st.tuples(st.just("desired"), st.sets(st.sampled_from(KEYS)), st.integers(0, 2)),
    st.tuples(st.sampled_from(["kill", "obs_error", "des_error", "owner", "restart", "cut"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=5, max_size=40))
# A list cut and flagged, at a feed position, then a delta since it: the key the cut hid stayed hidden.
@example([("desired", set(), 0), ("desired", {("A", "r0"), ("A", "r1")}, 0), ("desired", set(), 0), ("cut",),
          ("drift", ("A", "r0"), 0, None)])
def test_the_fed_loop_plans_what_the_full_diff_plans_whatever_happens_in_between(history: list[tuple]) -> None:
    worlds, sources = (World(True), World(False)), (Source(), Source())
    owner = ["me"]
    kill = [False]
    loops = [Loop(n, s, w, policy=Policy(owner_id="me"), actuator=w, kill_switch=lambda: kill[0])
             for n, s, w in zip(("fed", "full"), sources, worlds)]
    for i, (what, *args) in enumerate(history):
        for w, s in zip(worlds, sources):
            if what == "drift":
                k, v, o = args
                if v == 0:
                    w.items.pop(k, None)
                else:
                    w.items[k] = Resource(k[0], k[1], {"v": v}, o)
                w.pending.add(k)
            elif what == "desired":
                s.state = DesiredState.of([Resource(k[0], k[1], {"v": args[1]}) for k in sorted(args[0])],
                                          version=str(i + 1))
            w.fail, w.cut, s.fail = what == "obs_error", what == "cut", what == "des_error"
        kill[0] = what == "kill"
        if what == "owner":
            owner[0] = "you" if owner[0] == "me" else "me"
        for loop in loops:
            loop.policy = Policy(owner_id=owner[0])
            if what == "restart":
                loop.state = LoopState(cycle=loop.state.cycle)
        a, b = (run_once(loop, 60.0 * i) for loop in loops)
        assert _same(a.record) == _same(b.record), (i, what)
        fed, full = (loop.state.last_plan for loop in loops)
        if full is None:
            continue
        assert fed is not None and full.full
        for got, want in ((fed.plan.creates, full.plan.creates), (fed.plan.updates, full.plan.updates),
                          (fed.plan.deletes, full.plan.deletes)):
            assert [(c.key, c.desired, c.observed) for c in got] == [(c.key, c.desired, c.observed) for c in want], \
                (i, what)
        assert len(fed.plan.unchanged) == len(full.plan.unchanged)
