"""The decision: what runs this cycle, what waits, and why, from walking the guard table.

``decide`` is a pure function of a plan, a context and a policy. It applies the policy's
convergence (which removes whole operations), asks every guard of :data:`recon.core.guards.GUARDS`
in order for its verdict, and enacts each verdict by its outcome alone: a pause or an abort ends
the walk, an exclusion removes changes for good, holds and suppressions keep deletes back, and a
deferral leaves the rest for later cycles. It creates no verdict of its own.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from recon.core.approval import ApprovalRequest, keys_digest
from recon.core.baseline import CountBaseline
from recon.core.guards import GUARDS, GuardContext, approved_by, delete_candidates, next_count_baseline
from recon.core.model import Key
from recon.core.plan import Change, Op, Plan
from recon.core.policy import Convergence, Outcome, Policy, Verdict
from recon.core.text import plural

_NOTHING = Plan((), (), (), ())


@dataclass(frozen=True, slots=True)
class Blocked:
    change: Change
    guard: str
    reason: str


@dataclass(frozen=True, slots=True)
class Deferred:
    change: Change
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    plan: Plan | None
    verdicts: tuple[Verdict, ...]
    batch: tuple[Change, ...] = ()
    deferred: tuple[Deferred, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    approval_request: ApprovalRequest | None = None
    approved_by: str | None = None
    alerts: tuple[str, ...] = ()
    paused: bool = False
    aborted: bool = False
    accept_desired: bool = False
    count_baseline: CountBaseline   # the observed-count baseline the loop keeps for its next cycle

    @property
    def tripped(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.outcome.tripped)

    @property
    def blocks(self) -> bool:
        """A guard blocks or holds something the plan wants (exit code 3)."""
        return any(v.outcome.blocks for v in self.verdicts)


def _alerts(plan: Plan | None, policy: Policy) -> tuple[str, ...]:
    """A delete spike pages a human whether or not a guard stops it."""
    spike = policy.alerts.delete_spike
    if plan is not None and spike is not None and len(plan.deletes) >= spike:
        return (f"delete_spike: plan wants {plural(len(plan.deletes), 'delete')} (threshold {spike})",)
    return ()


def _of(plan: Plan, op: Op) -> tuple[Change, ...]:
    return plan.creates if op is Op.CREATE else plan.updates if op is Op.UPDATE else plan.deletes


def _without(plan: Plan, keys: AbstractSet[Key]) -> Plan:
    def keep(cs: tuple[Change, ...]) -> tuple[Change, ...]:
        return tuple(c for c in cs if c.key not in keys)
    return replace(plan, creates=keep(plan.creates), updates=keep(plan.updates), deletes=keep(plan.deletes))


def _converge(plan: Plan, policy: Policy) -> tuple[Plan, list[Blocked]]:
    """The policy's convergence first: it removes whole operations, whatever the guards say."""
    conv = policy.convergence
    if conv is Convergence.SYNC:
        return plan, []
    blocked = [Blocked(c, "mode", f"mode {conv.value} never deletes") for c in plan.deletes]
    if conv is Convergence.CREATE_ONLY:
        blocked += [Blocked(c, "mode", "mode create-only never updates") for c in plan.updates]
        return replace(plan, updates=(), deletes=()), blocked
    return replace(plan, deletes=()), blocked


def decide(plan: Plan | None, ctx: GuardContext, policy: Policy) -> Decision:
    """Walk the guard table on *plan* and decide what this cycle does. Pure.

    *plan* is None when there is nothing to diff: the switch is engaged, or desired or the
    observation failed (the context says which)."""
    if plan is None and ctx.desired_error is None and ctx.observe_error is None and not ctx.switch_engaged:
        ctx = replace(ctx, desired_error="no desired state")
    alerts = _alerts(plan, policy)
    left, blocked = _converge(plan or _NOTHING, policy)
    baseline = next_count_baseline(ctx, policy)
    verdicts: list[Verdict] = []
    holds: list[Verdict] = []
    suppress = False
    deferred: list[Deferred] = []
    for guard in GUARDS:
        if guard.batch:
            left, held, waiting = _settle(left, plan or _NOTHING, ctx, policy, holds, suppress)
            blocked, deferred = blocked + held, deferred + waiting
        v = guard.check(left, ctx, policy)
        if v is None:
            continue
        verdicts.append(v)
        if v.outcome is Outcome.PAUSE:  # nothing was observed: the baseline keeps, less own deletes
            return Decision(plan=None, verdicts=tuple(verdicts), paused=True,
                            count_baseline=ctx.count_baseline.unobserved(ctx.own_deletes_last))
        if v.outcome is Outcome.ABORT:
            # An aborted cycle still saw an observation: it moves the count baseline by the same rule.
            return Decision(plan=plan, verdicts=tuple(verdicts), aborted=True, alerts=alerts,
                            blocked=tuple(Blocked(c, v.guard, v.reason) for c in (plan.changes if plan else ())),
                            count_baseline=baseline)
        keys, why = set(v.keys), guard.each(policy) if guard.each else v.reason
        if v.outcome is Outcome.EXCLUDE:
            blocked += [Blocked(c, v.guard, why) for op in guard.judges for c in _of(left, op) if c.key in keys]
            left = _without(left, keys)
        elif v.outcome is Outcome.DEFER:
            deferred += [Deferred(c, why) for c in left.changes if c.key in keys]
            left = _without(left, keys)
        elif v.outcome is Outcome.HOLD:
            holds.append(v)
        elif v.outcome is Outcome.SUPPRESS_DELETES:
            suppress = True
    request = _request(plan or _NOTHING, ctx, policy, holds)
    approver = approved_by(plan, ctx, policy) if plan is not None else None
    return Decision(
        plan=plan, verdicts=tuple(verdicts), batch=left.changes, deferred=tuple(deferred), blocked=tuple(blocked),
        approval_request=request, approved_by=approver, alerts=alerts,
        # While a shrink is held, the last accepted desired count stays desired_shrink's baseline.
        accept_desired=not any(v.guard == "desired_shrink" for v in holds),
        count_baseline=baseline,
    )


def _denied(plan: Plan, ctx: GuardContext, policy: Policy) -> str | None:
    a = ctx.approval
    digest = keys_digest(c.key for c in delete_candidates(plan, policy))
    return a.by if a is not None and not a.granted and a.digest == digest else None


def _hold_reason(plan: Plan, ctx: GuardContext, policy: Policy, holds: list[Verdict]) -> str:
    reason = "; ".join(v.reason for v in holds)
    by = _denied(plan, ctx, policy)
    return reason if by is None else f"denied by {by}: " + reason


def _settle(left: Plan, plan: Plan, ctx: GuardContext, policy: Policy, holds: list[Verdict],
            suppress: bool) -> tuple[Plan, list[Blocked], list[Deferred]]:
    """What is left to run now: held deletes wait for an approval, suppressed deletes for a complete
    observation, and keys in retry backoff for their time."""
    blocked: list[Blocked] = []
    if holds:
        why = "awaiting approval: " + _hold_reason(plan, ctx, policy, holds)
        blocked += [Blocked(c, holds[0].guard, why) for c in left.deletes]
        left = replace(left, deletes=())
    if suppress:
        blocked += [Blocked(c, "incomplete_observation", "deletes suppressed: observation incomplete")
                    for c in left.deletes]
        left = replace(left, deletes=())
    waiting = {c.key: ctx.backoff[c.key] for c in left.changes if ctx.backoff.get(c.key, ctx.now) > ctx.now}
    deferred = [Deferred(c, f"retry backoff until t={waiting[c.key]:g}") for c in left.changes if c.key in waiting]
    return _without(left, waiting.keys()), blocked, deferred


def _request(plan: Plan, ctx: GuardContext, policy: Policy, holds: list[Verdict]) -> ApprovalRequest | None:
    """A hold asks for an approval of the whole delete set, unless that very set was denied."""
    if not holds or _denied(plan, ctx, policy) is not None:
        return None
    return ApprovalRequest.make(ctx.loop, (c.key for c in delete_candidates(plan, policy)),
                                "+".join(v.guard for v in holds), _hold_reason(plan, ctx, policy, holds), ctx.now)


__all__ = ["Blocked", "Decision", "Deferred", "GuardContext", "Op", "decide"]
