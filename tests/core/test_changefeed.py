"""The change-fed diff equals the full diff on every cycle of any history, trusted deltas or not."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import event, given, settings
from hypothesis import strategies as st

from recon.core.changefeed import LastPlan, refresh
from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.normalize import Normalizer
from recon.core.plan import Plan, diff

KEYS = [(kind, name) for kind in "AB" for name in "abcdef"]
SPECS = [{"ttl": 1}, {"ttl": 2}, {"ttl": 3600}, {"values": [1, 2]}, {"values": [2, 1]}, {}]
NORM = Normalizer(defaults={"A": {"ttl": 3600}})  # so some raw differences are in sync after normalising

resources = st.builds(lambda k, s, o: Resource(k[0], k[1], s, o), st.sampled_from(KEYS), st.sampled_from(SPECS),
                      st.sampled_from([None, "me"]))
keys = st.sampled_from(KEYS)
# Mostly deltas that continue the last plan (the path under test), among every way they can fail to.
OBSERVE = ["next"] * 8 + ["twice", "late", "lost", "resync", "superset", "incomplete"]
LOAD = ["same"] * 4 + ["delta"] * 3 + ["no-delta", "stale"]
cycles = st.tuples(st.just("cycle"), st.tuples(st.sampled_from(OBSERVE), st.sampled_from(LOAD), st.integers(0, 20)))
steps = st.one_of(
    st.tuples(st.just("drift"), resources), st.tuples(st.just("drift-delete"), keys),
    st.tuples(st.just("desire"), resources), st.tuples(st.just("undesire"), keys), st.tuples(st.just("adopt"), keys),
    st.tuples(st.just("write"), st.integers(0, 20)), st.tuples(st.just("write"), st.integers(0, 20)), cycles, cycles,
)


class Feed:
    """A change feed over a dict: each observation says which keys changed since the one before."""

    def __init__(self, items: dict[Key, Resource], name: str) -> None:
        self.items, self.name = items, name
        self.position = 0
        self.pending: set[Key] = set()
        self.history: list[Observation] = []

    def touch(self, k: Key) -> None:
        self.pending.add(k)

    def next(self, extra: frozenset[Key] = frozenset(), full: bool = False, complete: bool = True) -> Observation:
        since, self.position = self.position, self.position + 1
        obs = Observation(MappingProxyType(dict(self.items)), complete, None if complete else "cut short",
                          self.name, None, version=f"{self.name}{self.position}", since=f"{self.name}{since}",
                          changed=None if full else frozenset(self.pending) | extra)
        self.pending.clear()
        self.history.append(obs)
        return obs


class Source:
    """Desired states with versions; a load returns the cached state while nothing changed."""

    def __init__(self) -> None:
        self.items: dict[Key, Resource] = {}
        self.version = 0
        self.pending: set[Key] = set()
        self.history = [DesiredState(MappingProxyType({}), "src", "d0")]

    def load(self, how: str, pick: int) -> DesiredState:
        if how == "stale":
            return self.history[pick % len(self.history)]
        if not self.pending and how == "same":
            return self.history[-1]
        since, self.version = self.version, self.version + 1
        state = DesiredState(MappingProxyType(dict(self.items)), "src", f"d{self.version}", None, f"d{since}",
                             frozenset(self.pending) if how != "no-delta" else None)
        self.pending.clear()
        self.history.append(state)
        return state


def assert_same(got: Plan, want: Plan) -> None:
    assert got == want
    assert (got.creates, got.updates, got.deletes) == (want.creates, want.updates, want.deletes)
    assert got.counts() == want.counts() and len(got.unchanged) == len(want.unchanged)
    assert list(got.unchanged) == list(want.unchanged)


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, min_size=10, max_size=80))
def test_change_fed_plan_equals_the_full_diff_on_every_cycle(history: list[tuple[str, object]]) -> None:
    world: dict[Key, Resource] = {}
    feed, source = Feed(world, "o"), Source()
    last: LastPlan | None = None
    for what, arg in history:
        if what == "drift":
            assert isinstance(arg, Resource)
            world[arg.key] = arg
            feed.touch(arg.key)
        elif what == "drift-delete" and arg in world:
            del world[arg]  # type: ignore[arg-type]
            feed.touch(arg)  # type: ignore[arg-type]
        elif what == "desire":
            assert isinstance(arg, Resource)
            source.items[arg.key] = arg
            source.pending.add(arg.key)
        elif what == "undesire" and arg in source.items:
            del source.items[arg]  # type: ignore[arg-type]
            source.pending.add(arg)  # type: ignore[arg-type]
        elif what == "adopt" and arg in world:  # desire what exists already: in sync at once
            source.items[arg] = world[arg]  # type: ignore[index]
            source.pending.add(arg)  # type: ignore[arg-type]
        elif what == "write" and last is not None and last.plan.changes:
            c = last.plan.changes[arg % len(last.plan.changes)]  # type: ignore[operator]
            if c.desired is None:
                world.pop(c.key, None)
            else:
                world[c.key] = c.desired
            feed.touch(c.key)
        elif what == "cycle":
            how, load, pick = arg  # type: ignore[misc]
            observed = _observe(feed, how, pick)
            if observed is None:
                continue
            desired = source.load(load, pick)
            last = refresh(last, desired, desired, None, observed, NORM)
            event("full diff" if last.full else "change-fed")
            assert_same(last.plan, diff(desired.resources, observed.resources, NORM))


def _observe(feed: Feed, how: str, pick: int) -> Observation | None:
    """The observation the core receives: the next one, a repeat, a late one, a resync; or none (lost)."""
    if how in ("twice", "late") and feed.history:
        return feed.history[-1] if how == "twice" else feed.history[pick % len(feed.history)]
    if how == "lost":
        feed.next()
        return None
    extra = frozenset(KEYS[pick % len(KEYS):][:3]) if how == "superset" else frozenset()
    return feed.next(extra, full=how == "resync", complete=how != "incomplete")


def test_a_trusted_delta_is_followed_and_anything_else_is_a_full_diff() -> None:
    world = {k: Resource(k[0], k[1], {"ttl": 1}) for k in KEYS}
    feed, desired = Feed(world, "o"), DesiredState(MappingProxyType(dict(world)), "src", "d1")
    first = refresh(None, desired, desired, None, feed.next(), NORM)
    assert first.full and first.plan.in_sync and len(first.plan.unchanged) == len(KEYS)
    del world[KEYS[0]]
    feed.touch(KEYS[0])
    fed = refresh(first, desired, desired, None, feed.next(), NORM)
    assert not fed.full and [c.key for c in fed.plan.creates] == [KEYS[0]]
    assert len(fed.plan.unchanged) == len(KEYS) - 1 and KEYS[0] not in fed.plan.unchanged
    assert refresh(fed, desired, desired, None, feed.history[-1], NORM).full  # the same delta twice
    feed.next()  # lost
    last = refresh(fed, desired, desired, None, feed.next(), NORM)
    assert last.full  # a gap
    probe = feed.next()
    assert refresh(last, desired, desired, "me", probe, NORM).full  # another owner
    last = refresh(last, desired, desired, None, probe, NORM)
    assert not last.full
    gone = DesiredState(MappingProxyType({}), "src", "d2", since="d1", changed=frozenset(KEYS))
    fed = refresh(last, gone, gone, None, feed.next(), NORM)
    assert not fed.full and len(fed.plan.deletes) == len(KEYS) - 1
    elsewhere = DesiredState(MappingProxyType({}), "src", "d3", since="d0", changed=frozenset())
    assert refresh(fed, elsewhere, elsewhere, None, feed.next(), NORM).full  # from an unknown version
