"""The change-fed diff: the last plan brought up to date from the keys that changed since.

``refresh(last, desired, observed, normalize)`` returns the plan ``diff(desired.resources,
observed.resources, normalize)`` would (same changes, same order, same counts) and the memory for
the next cycle (:class:`LastPlan`), at a cost that follows the changed keys, not the inventory. It
trusts a delta only when it continues exactly from the versions the last plan was computed from;
the first cycle, a gap, a repeat, a resync, a delta out of order, an incomplete observation or a
side without a delta get the full diff. Pure: it never changes *last*, and the memory is never
persisted (after a restart the loop diffs everything once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType

from recon.core.model import DesiredState, Key, Observation, Resource
from recon.core.normalize import DEFAULT, Normalizer
from recon.core.plan import Change, Op, Plan, Unchanged, compare, diff

_key = attrgetter("key")


@dataclass(frozen=True, slots=True, eq=False)
class LastPlan:
    """The plan a loop computed last, with what it came from: the desired state (as the source
    answered it, and as the loop stamped it for *owner*), the observation's feed position, the
    normaliser, and every change of the plan by key."""

    plan: Plan
    loaded: DesiredState
    desired: DesiredState
    owner: str | None
    observed_version: str | None
    normalize: Normalizer
    changes: Mapping[Key, Change]
    full: bool  # whether this plan came from a full diff (for the record and the benchmarks)


def remember(plan: Plan, loaded: DesiredState, desired: DesiredState, owner: str | None, observed: Observation,
             normalize: Normalizer, full: bool = True) -> LastPlan:
    """The memory of a plan computed by a full diff of *desired* against *observed*."""
    changes = {c.key: c for cs in (plan.creates, plan.updates, plan.deletes) for c in cs}
    # An incomplete observation is not the state at its version (a cut list says only where it
    # started): a delta "since" it would keep the missing keys' creates and lost deletes for ever.
    version = observed.version if observed.complete else None
    return LastPlan(plan, loaded, desired, owner, version, normalize, MappingProxyType(changes), full)


def delta(last: LastPlan | None, desired: DesiredState, observed: Observation,
          normalize: Normalizer) -> frozenset[Key] | None:
    """The keys that may differ since *last* on either side, or None when the deltas cannot be trusted."""
    if last is None or not observed.complete or normalize != last.normalize:
        return None
    if observed.changed is None or observed.since is None or observed.since != last.observed_version:
        return None
    before = last.desired
    if desired.resources is before.resources:
        return observed.changed
    if desired.changed is None or desired.since is None or desired.since != before.version:
        return None
    return observed.changed | desired.changed


def refresh(last: LastPlan | None, loaded: DesiredState, desired: DesiredState, owner: str | None,
            observed: Observation, normalize: Normalizer = DEFAULT) -> LastPlan:
    """The plan for *desired* (the loop's stamped copy of *loaded*) against *observed*, from *last*
    when its deltas can be trusted, else from a full diff; returned with the memory it leaves."""
    keys = delta(last, desired, observed, normalize) if last is not None and last.owner == owner else None
    if last is None or keys is None:
        return remember(diff(desired.resources, observed.resources, normalize), loaded, desired, owner, observed,
                        normalize)
    want, have, before = desired.resources, observed.resources, last.desired.resources
    changes = dict(last.changes)
    touched: set[Op] = set()
    for k in keys:
        old = changes.pop(k, None)
        if old is not None:
            touched.add(old.op)
        new = _change(k, want.get(k), have.get(k), normalize)
        if new is not None:
            changes[k] = new
            touched.add(new.op)
    p = last.plan
    creates = _sorted(changes, Op.CREATE) if Op.CREATE in touched else p.creates
    updates = _sorted(changes, Op.UPDATE) if Op.UPDATE in touched else p.updates
    deletes = _sorted(changes, Op.DELETE) if Op.DELETE in touched else p.deletes
    # Every desired key is a create, an update or in sync: the count needs no walk over the inventory.
    same = Unchanged(want, (creates, updates), len(want) - len(creates) - len(updates)) \
        if touched or want is not before else p.unchanged
    plan = Plan(creates, updates, deletes, same)
    return LastPlan(plan, loaded, desired, owner, observed.version, normalize, MappingProxyType(changes), False)


def _change(k: Key, d: Resource | None, o: Resource | None, normalize: Normalizer) -> Change | None:
    """What the full diff says about one key: its change, or None when it is in sync or absent."""
    if d is None:
        return None if o is None else Change(Op.DELETE, k, None, o)
    if o is None:
        return Change(Op.CREATE, k, d, None)
    return compare(k, d, o, normalize)


def _sorted(changes: Mapping[Key, Change], op: Op) -> tuple[Change, ...]:
    return tuple(sorted((c for c in changes.values() if c.op is op), key=_key))
