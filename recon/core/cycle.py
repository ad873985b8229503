"""One reconciliation cycle, written once as a generator of effect requests (sans-I/O).

``run_cycle`` yields effects (:mod:`recon.core.effects`) and receives their answers by ``send``; a
driver performs them, in simulated time with faults or against real systems. In observe-only mode
the generator never yields a write, and real drivers have no way to perform one anyway. It returns
one :class:`~recon.core.record.CycleResult`. Every verdict comes from the guard table.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from recon.core.approval import Approval, approval_id, keys_digest
from recon.core.changefeed import LastPlan, refresh
from recon.core.decision import Decision, decide
from recon.core.effects import Apply, CheckKillSwitch, Delete, Effect, FileApprovalRequest, GetApproval, LoadDesired, Observe
from recon.core.guards import GuardContext, delete_candidates, next_windows
from recon.core.model import DesiredState, Key, Observation
from recon.core.normalize import DEFAULT, Normalizer
from recon.core.plan import Op, Plan
from recon.core.policy import Policy, RunMode
from recon.core.record import CarriedApproval, CycleRecord, CycleResult, LoopState


def run_cycle(loop: str, policy: Policy, state: LoopState, now: float, *, mode: RunMode,
              normalize: Normalizer = DEFAULT) -> Generator[Effect, Any, CycleResult]:
    """Run one cycle of *loop* at *now*: yields effects, returns the cycle's result."""
    # Check the switch: an engaged switch pauses the cycle before it reads anything.
    # A cycle stopped before it observes still keeps the count baseline, so the context carries it.
    ctx = GuardContext(now=now, loop=loop, switch_engaged=bool((yield CheckKillSwitch())),
                       count_baseline=state.count_baseline, own_deletes_last=state.own_deletes_last)
    if ctx.switch_engaged and (paused := decide(None, ctx, policy)).paused:
        return _stopped(loop, state, now, mode, paused, None, None)

    # Read desired, observe: failures are answers the guards judge, not exceptions.
    loaded = yield LoadDesired()
    desired, desired_error = _stamped(policy, loaded, state.last_plan)
    observed = yield Observe()
    if isinstance(observed, BaseException):
        failed = replace(ctx, observe_error=f"observe failed: {type(observed).__name__}: {observed}")
        return _stopped(loop, state, now, mode, decide(None, failed, policy), desired, failed.observe_error)

    # Diff (from the last plan, when the deltas continue it), then decide with the approval on file
    # for exactly this delete set.
    plan, last_plan = _plan(state.last_plan, loaded, desired, policy, observed, normalize)
    approval, carried = yield from _approval(loop, plan, policy, state.approval, now)
    decision = decide(plan, _context(ctx, state, desired, desired_error, observed, approval), policy)
    if decision.approval_request is not None:
        yield FileApprovalRequest(decision.approval_request)

    # Converge, or (observe-only) only count what would be done.
    writes = _Writes(backoff=dict(state.backoff))
    if mode is RunMode.ENFORCE:
        yield from writes.converge(decision, now, policy)

    # Record: the cycle's row and the loop's memory for the next one.
    record = _record(loop, state.cycle + 1, now, mode, desired, observed, plan, decision, writes, desired_error)
    next_state = LoopState(
        cycle=state.cycle + 1,
        last_accepted_desired=len(desired) if desired is not None and decision.accept_desired
        else state.last_accepted_desired,
        count_baseline=decision.count_baseline,
        own_deletes_last=writes.applied[Op.DELETE],
        backoff=MappingProxyType(writes.backoff),
        approval=carried.live(now),
        windows=next_windows(state.windows, policy, now,
                             len(desired) if decision.accept_desired and desired is not None else None,
                             decision.approved_by is not None, writes.applied[Op.DELETE]),
        last_plan=last_plan,
    )
    return CycleResult(record, next_state, decision, _wake_at(next_state, now))


def _approval(loop: str, plan: Plan | None, policy: Policy, carried: CarriedApproval,
              now: float) -> Generator[Effect, Any, tuple[Approval | None, CarriedApproval]]:
    """The approval covering this plan's delete set, and what the loop carries forward.

    A carried approval covers what is left of its set without asking again; otherwise the approver
    is asked, and a valid answer becomes the new carried approval."""
    keys = frozenset(c.key for c in delete_candidates(plan, policy)) if plan is not None else frozenset()
    if not keys:
        return None, carried
    digest = keys_digest(keys)
    rid = approval_id(loop, digest)
    if carried.covers(keys, now):
        return Approval(rid, digest, True, carried.by or "earlier approval", now, carried.until), carried
    approval = yield GetApproval(rid, digest)
    if approval is not None and approval.valid_for(digest, now):
        carried = CarriedApproval(keys, approval.expires_at, approval.by)
    return approval, carried


def _plan(last: LastPlan | None, loaded: Any, desired: DesiredState | None, policy: Policy, observed: Observation,
          normalize: Normalizer) -> tuple[Plan | None, LastPlan | None]:
    """The cycle's plan and the memory it leaves; without a desired state, no plan and the old memory."""
    if desired is None:
        return None, last
    source = loaded if isinstance(loaded, DesiredState) else desired
    memory = refresh(last, source, desired, policy.owner_id, observed, normalize)
    return memory.plan, memory


def _stamped(policy: Policy, loaded: Any, last: LastPlan | None) -> tuple[DesiredState | None, str | None]:
    """The desired state (owner-stamped) or the load error the desired_error guard judges.

    The very state the last plan came from is stamped already: looking again would walk every resource."""
    if last is not None and loaded is last.loaded and last.owner == policy.owner_id:
        return last.desired, None
    if isinstance(loaded, BaseException):
        if policy.guards.desired_error.enabled:
            return None, f"{type(loaded).__name__}: {loaded}"
        # Only for studying the failure: a naive loop that treats a failed load as empty.
        return DesiredState(MappingProxyType({}), source="failed load read as empty"), None
    owner = policy.owner_id
    # The loop stamps its marker on what it will create; rebuild only when something lacks it.
    if owner is not None and any(r.owner != owner for r in loaded.resources.values()):
        loaded = replace(loaded, resources=MappingProxyType(
            {k: r.with_owner(owner) for k, r in loaded.resources.items()}))
    return loaded, None


def _context(ctx: GuardContext, state: LoopState, desired: DesiredState | None, desired_error: str | None,
             observed: Observation, approval: Approval | None) -> GuardContext:
    return replace(
        ctx, approval=approval, desired_count=len(desired) if desired is not None else 0, observed_count=len(observed),
        desired_source=desired.source if desired is not None else "", desired_error=desired_error,
        observation_complete=observed.complete, observation_reason=observed.reason,
        last_accepted_desired=state.last_accepted_desired, count_baseline=state.count_baseline,
        own_deletes_last=state.own_deletes_last, backoff=MappingProxyType({k: t for k, (_, t) in state.backoff.items()}),
        windows=state.windows,
    )


@dataclass(slots=True)
class _Writes:
    """The writes of one cycle: what was applied, what failed, and the retry backoff that results."""

    backoff: dict[Key, tuple[int, float]]
    applied: dict[Op, int] = field(default_factory=lambda: dict.fromkeys(Op, 0))
    errors: list[str] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)

    def converge(self, decision: Decision, now: float, policy: Policy) -> Generator[Effect, Any, None]:
        for change in decision.batch:
            result = yield (Delete(change) if change.op is Op.DELETE else Apply(change))
            if result is not None and not result.ok:  # per-resource errors retry later, with backoff
                attempts = self.backoff.get(change.key, (0, 0.0))[0] + 1
                delay = min(policy.retry_base * (2 ** (attempts - 1)), policy.retry_max)
                self.backoff[change.key] = (attempts, now + delay)
                self.errors.append(f"{change.op.value} {change.key[0]}/{change.key[1]}: {result.error}")
                continue
            self.backoff.pop(change.key, None)
            self.applied[change.op] += 1
            if change.op is Op.DELETE:
                self.deleted.append(change.key)


def _stopped(loop: str, state: LoopState, now: float, mode: RunMode, decision: Decision,
             desired: DesiredState | None, error: str | None) -> CycleResult:
    """A cycle the kill switch paused or a failed observation ended: it judged and changed nothing."""
    record = CycleRecord(loop=loop, cycle=state.cycle + 1, time=now, mode=mode.value, paused=decision.paused,
                         aborted=decision.aborted, verdicts=decision.verdicts,
                         desired_count=len(desired) if desired is not None else None,
                         errors=(error,) if error else ())
    # The loop's own deletes of the cycle before stay explained in the baseline (decide says how).
    return CycleResult(record, replace(state, cycle=state.cycle + 1, own_deletes_last=0,
                                       count_baseline=decision.count_baseline), decision, _wake_at(state, now))


def _record(loop: str, cycle: int, now: float, mode: RunMode, desired: DesiredState | None,
            observed: Observation, plan: Plan | None, decision: Decision, writes: _Writes,
            desired_error: str | None) -> CycleRecord:
    would = {op: sum(1 for c in decision.batch if c.op is op) for op in Op} if mode is RunMode.OBSERVE_ONLY \
        else dict.fromkeys(Op, 0)
    req = decision.approval_request
    return CycleRecord(
        loop=loop, cycle=cycle, time=now, mode=mode.value,
        desired_count=len(desired) if desired is not None else None,
        desired_source=desired.source if desired is not None else None,
        desired_version=desired.version if desired is not None else None,
        observed_count=len(observed), observation_complete=observed.complete, observation_reason=observed.reason,
        to_create=len(plan.creates) if plan else 0, to_update=len(plan.updates) if plan else 0,
        to_delete=len(plan.deletes) if plan else 0, unchanged=len(plan.unchanged) if plan else 0,
        applied_create=writes.applied[Op.CREATE], applied_update=writes.applied[Op.UPDATE],
        applied_delete=writes.applied[Op.DELETE], would_create=would[Op.CREATE], would_update=would[Op.UPDATE],
        would_delete=would[Op.DELETE], deferred=len(decision.deferred), blocked=len(decision.blocked),
        failed=len(writes.errors), aborted=decision.aborted, verdicts=decision.verdicts,
        approval_request=req.id if req else None, approved_by=decision.approved_by, alerts=decision.alerts,
        errors=((desired_error,) if desired_error else ()) + tuple(writes.errors), deleted_keys=tuple(writes.deleted),
    )


def _wake_at(state: LoopState, now: float) -> float | None:
    """The earliest retry or approval lapse after *now* that the loop's next state waits for."""
    times = [t for _, t in state.backoff.values() if t > now]
    if state.approval.keys and state.approval.until > now:
        times.append(state.approval.until)
    return min(times, default=None)
