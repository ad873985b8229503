"""Guards in order, and the decision they produce: what runs this cycle, what waits, and why.

``decide`` is a pure function of a plan, a context and a policy. It evaluates every guard in the
order of ``GUARD_ORDER``, records a verdict for each, and splits the plan into the batch to execute
now, the changes deferred to later cycles, and the changes blocked (with the guard and reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from recon.core.approval import Approval, ApprovalRequest, keys_digest
from recon.core.model import Key
from recon.core.plan import Change, Op, Plan
from recon.core.policy import Mode, Outcome, Policy, Verdict


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guards need to know besides the plan. All counts come from this cycle or the store."""

    loop: str = "loop"
    desired_count: int = 0
    observed_count: int = 0
    desired_source: str = ""
    desired_error: str | None = None
    observation_complete: bool = True
    observation_reason: str | None = None
    last_accepted_desired: int | None = None
    last_observed: int | None = None
    own_deletes_last: int = 0
    paused: bool = False
    backoff: Mapping[Key, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Blocked:
    change: Change
    guard: str
    reason: str


@dataclass(frozen=True, slots=True)
class Deferred:
    change: Change
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    plan: Plan | None
    verdicts: tuple[Verdict, ...]
    batch: tuple[Change, ...] = ()
    deferred: tuple[Deferred, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    upserts: frozenset[Key] = frozenset()
    approval_request: ApprovalRequest | None = None
    approved_by: str | None = None
    alerts: tuple[str, ...] = ()
    paused: bool = False
    aborted: bool = False
    accept_desired: bool = False
    accept_observation: bool = False

    @property
    def tripped(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.outcome.tripped)

    @property
    def blocks(self) -> bool:
        """A guard blocks or holds something the plan wants (exit code 3)."""
        return any(v.outcome.blocks for v in self.verdicts)


def paused_decision() -> Decision:
    return Decision(None, (Verdict("kill_switch", Outcome.PAUSE, "kill switch engaged: the cycle does nothing"),),
                    paused=True)


def _abort(plan: Plan | None, verdicts: list[Verdict], blocked_reason: str, guard: str,
           ctx: GuardContext, alerts: tuple[str, ...] = ()) -> Decision:
    blocked = tuple(Blocked(c, guard, blocked_reason) for c in plan.changes) if plan else ()
    # An aborted cycle still saw a (complete or not) observation: it remains the count baseline.
    return Decision(plan, tuple(verdicts), blocked=blocked, aborted=True, alerts=alerts,
                    accept_observation=ctx.observation_complete)


def _alerts(plan: Plan | None, policy: Policy) -> tuple[str, ...]:
    """A delete spike pages a human whether or not a guard stops it."""
    spike = policy.alerts.delete_spike
    if plan is not None and spike is not None and len(plan.deletes) >= spike:
        return (f"delete_spike: plan wants {len(plan.deletes)} deletes (threshold {spike})",)
    return ()


def _owned(change: Change, owner_id: str) -> bool:
    o = change.observed
    return o is None or o.owner == owner_id


def delete_candidates(plan: Plan, policy: Policy) -> tuple[Change, ...]:
    """Deletes left after the mode, ownership and protected filters: what an approval is about."""
    if policy.mode is not Mode.SYNC:
        return ()
    g = policy.guards
    out = []
    for c in plan.deletes:
        if g.ownership.enabled and policy.owner_id is not None and not _owned(c, policy.owner_id):
            continue
        if g.protected.enabled and any(s.matches(c.target) for s in g.protected.selectors):
            continue
        out.append(c)
    return tuple(out)


def decide(plan: Plan | None, ctx: GuardContext, policy: Policy, approval: Approval | None = None,
           now: float = 0.0) -> Decision:
    """Evaluate every guard on *plan* and decide what this cycle does. Pure."""
    g = policy.guards
    v: list[Verdict] = []
    alerts = _alerts(plan, policy)

    if ctx.paused and g.kill_switch.enabled:
        return paused_decision()
    v.append(Verdict("kill_switch", Outcome.ALLOW if g.kill_switch.enabled else Outcome.DISABLED,
                     "not engaged" if g.kill_switch.enabled else "guard disabled"))

    if ctx.desired_error is not None or plan is None:
        reason = f"desired state failed to load: {ctx.desired_error}"
        v.append(Verdict("desired_error", Outcome.ABORT, reason))
        return _abort(plan, v, reason, "desired_error", ctx, alerts)
    v.append(Verdict("desired_error", Outcome.ALLOW if g.desired_error.enabled else Outcome.DISABLED,
                     f"loaded {ctx.desired_count} resources from {ctx.desired_source or 'source'}"))

    if g.empty_desired.enabled and ctx.desired_count == 0 and ctx.observed_count > 0:
        reason = f"desired state is empty but {ctx.observed_count} resources exist: refusing to delete all"
        v.append(Verdict("empty_desired", Outcome.ABORT, reason))
        return _abort(plan, v, reason, "empty_desired", ctx, alerts)
    v.append(Verdict("empty_desired", Outcome.ALLOW if g.empty_desired.enabled else Outcome.DISABLED,
                     f"desired has {ctx.desired_count} resources" if g.empty_desired.enabled else "guard disabled"))

    blocked: list[Blocked] = []
    creates, updates, deletes = list(plan.creates), list(plan.updates), list(plan.deletes)

    # Policy mode first: it removes whole operations, whatever the guards say.
    if policy.mode is not Mode.SYNC:
        for c in deletes:
            blocked.append(Blocked(c, "mode", f"mode {policy.mode.value} never deletes"))
        deletes = []
        if policy.mode is Mode.CREATE_ONLY:
            for c in updates:
                blocked.append(Blocked(c, "mode", "mode create-only never updates"))
            updates = []

    candidates = delete_candidates(plan, policy)
    digest = keys_digest(c.key for c in candidates)
    approved = approval is not None and approval.valid_for(digest, now) and bool(candidates)
    denied = approval is not None and not approval.granted and approval.digest == digest
    hold_reasons: list[tuple[str, str]] = []
    accept_desired = True

    # desired_shrink
    if not g.desired_shrink.enabled:
        v.append(Verdict("desired_shrink", Outcome.DISABLED, "guard disabled"))
    elif ctx.last_accepted_desired is None or ctx.last_accepted_desired == 0:
        v.append(Verdict("desired_shrink", Outcome.ALLOW, "no earlier accepted desired state to compare with"))
    else:
        last = ctx.last_accepted_desired
        fall = (last - ctx.desired_count) / last
        if fall > g.desired_shrink.max_fraction:
            reason = (f"desired fell from {last} to {ctx.desired_count} ({fall:.0%} > "
                      f"{g.desired_shrink.max_fraction:.0%} allowed)")
            if g.desired_shrink.action == "abort":
                v.append(Verdict("desired_shrink", Outcome.ABORT, reason))
                return _abort(plan, v, reason, "desired_shrink", ctx, alerts)
            if not candidates:
                v.append(Verdict("desired_shrink", Outcome.ALLOW, reason + "; nothing to delete, accepted"))
            elif approved:
                v.append(Verdict("desired_shrink", Outcome.ALLOW, reason + f"; approved by {approval.by}"))  # type: ignore[union-attr]
            else:
                v.append(Verdict("desired_shrink", Outcome.HOLD, reason, tuple(c.key for c in candidates)))
                hold_reasons.append(("desired_shrink", reason))
                accept_desired = False
        else:
            v.append(Verdict("desired_shrink", Outcome.ALLOW, f"desired {ctx.desired_count} vs last accepted {last}"))

    # incomplete_observation
    suppress = False
    # The count baseline is the last complete observation, so a drop trips the guard on the cycle it
    # appears; a list the provider flags incomplete never becomes a baseline.
    accept_observation = ctx.observation_complete
    if not g.incomplete_observation.enabled:
        v.append(Verdict("incomplete_observation", Outcome.DISABLED, "guard disabled"))
    elif not ctx.observation_complete:
        suppress = True
        v.append(Verdict("incomplete_observation", Outcome.SUPPRESS_DELETES,
                         f"provider flagged the observation incomplete: {ctx.observation_reason}"))
    elif ctx.last_observed:
        expected = ctx.last_observed - ctx.own_deletes_last
        drop = expected - ctx.observed_count
        if expected > 0 and drop / ctx.last_observed > g.incomplete_observation.max_drop_fraction:
            suppress = True
            v.append(Verdict("incomplete_observation", Outcome.SUPPRESS_DELETES,
                             f"observed fell from {ctx.last_observed} to {ctx.observed_count}; own deletes explain "
                             f"{ctx.own_deletes_last} (unexplained {drop / ctx.last_observed:.0%} > "
                             f"{g.incomplete_observation.max_drop_fraction:.0%})"))
        else:
            v.append(Verdict("incomplete_observation", Outcome.ALLOW, "observation complete"))
    else:
        v.append(Verdict("incomplete_observation", Outcome.ALLOW, "observation complete"))

    # ownership
    if not g.ownership.enabled:
        v.append(Verdict("ownership", Outcome.DISABLED, "guard disabled: every resource counts as managed"))
    elif policy.owner_id is None:
        v.append(Verdict("ownership", Outcome.ALLOW, "no owner id: every resource in scope counts as managed"))
    else:
        unowned = [c for c in deletes + updates if not _owned(c, policy.owner_id)]
        if unowned:
            ks = {c.key for c in unowned}
            reason = f"{len(unowned)} resources lack owner marker {policy.owner_id!r}: unmanaged, never touched"
            v.append(Verdict("ownership", Outcome.EXCLUDE, reason, tuple(sorted(ks))))
            blocked.extend(Blocked(c, "ownership", "unmanaged: no owner marker " + repr(policy.owner_id)) for c in unowned)
            deletes = [c for c in deletes if c.key not in ks]
            updates = [c for c in updates if c.key not in ks]
        else:
            v.append(Verdict("ownership", Outcome.ALLOW, f"every targeted resource carries {policy.owner_id!r}"))

    # protected
    sels = g.protected.selectors
    if not g.protected.enabled:
        v.append(Verdict("protected", Outcome.DISABLED, "guard disabled"))
    else:
        hit = [c for c in creates + updates + deletes if any(s.matches(c.target) for s in sels)]
        if hit:
            ks = {c.key for c in hit}
            v.append(Verdict("protected", Outcome.EXCLUDE, f"{len(hit)} changes target protected resources",
                             tuple(sorted(ks))))
            blocked.extend(Blocked(c, "protected", "matches a protected selector") for c in hit)
            creates = [c for c in creates if c.key not in ks]
            updates = [c for c in updates if c.key not in ks]
            deletes = [c for c in deletes if c.key not in ks]
        else:
            v.append(Verdict("protected", Outcome.ALLOW, f"{len(sels)} selectors, none matched"))

    # max_deletes
    md = g.max_deletes
    n = len(deletes)
    if not md.enabled:
        v.append(Verdict("max_deletes", Outcome.DISABLED, "guard disabled"))
    else:
        over = []
        if md.max is not None and n > md.max:
            over.append(f"{n} deletes > cap {md.max}")
        if md.max_fraction is not None and ctx.observed_count >= md.fraction_min_observed and n > md.max_fraction * ctx.observed_count:
            over.append(f"{n} deletes > {md.max_fraction:.0%} of {ctx.observed_count} observed")
        if not over:
            caps = [f"cap {md.max}"] if md.max is not None else []
            if md.max_fraction is not None:
                caps.append(f"{md.max_fraction:.0%} of observed" if ctx.observed_count >= md.fraction_min_observed
                            else f"the {md.max_fraction:.0%} fraction applies from {md.fraction_min_observed} observed")
            v.append(Verdict("max_deletes", Outcome.ALLOW, f"{n} deletes within {', '.join(caps) or 'no caps'}"))
        else:
            reason = "; ".join(over)
            if md.action == "abort":
                v.append(Verdict("max_deletes", Outcome.ABORT, reason))
                return _abort(plan, v, reason, "max_deletes", ctx, alerts)
            if approved:
                v.append(Verdict("max_deletes", Outcome.ALLOW, reason + f"; approved by {approval.by}"))  # type: ignore[union-attr]
            else:
                v.append(Verdict("max_deletes", Outcome.HOLD, reason, tuple(c.key for c in deletes)))
                hold_reasons.append(("max_deletes", reason))

    approval_request = None
    if hold_reasons:
        guard = "+".join(h[0] for h in hold_reasons)
        reason = "; ".join(h[1] for h in hold_reasons)
        if denied:
            reason = f"denied by {approval.by}: " + reason  # type: ignore[union-attr]
        else:
            approval_request = ApprovalRequest.make(ctx.loop, (c.key for c in candidates), guard, reason, now)
        blocked.extend(Blocked(c, hold_reasons[0][0], "awaiting approval: " + reason) for c in deletes)
        deletes = []
    if suppress:
        blocked.extend(Blocked(c, "incomplete_observation", "deletes suppressed: observation incomplete")
                       for c in deletes)
        deletes = []

    # Per-resource backoff, then the per-cycle change cap, in a deterministic order.
    deferred: list[Deferred] = []
    ordered: list[Change] = []
    for c in creates + updates + deletes:
        until = ctx.backoff.get(c.key)
        if until is not None and until > now:
            deferred.append(Deferred(c, f"retry backoff until t={until:g}"))
        else:
            ordered.append(c)
    mc = g.max_changes
    if mc.enabled and len(ordered) > mc.max:
        rest = ordered[mc.max:]
        ordered = ordered[:mc.max]
        deferred.extend(Deferred(c, f"max_changes: {mc.max} per cycle") for c in rest)
        v.append(Verdict("max_changes", Outcome.DEFER, f"{len(ordered) + len(rest)} changes > cap {mc.max}: "
                         f"{len(rest)} deferred", tuple(c.key for c in rest)))
    else:
        v.append(Verdict("max_changes", Outcome.ALLOW if mc.enabled else Outcome.DISABLED,
                         f"{len(ordered)} changes within cap {mc.max}" if mc.enabled else "guard disabled"))

    upserts = frozenset(c.key for c in ordered if c.op is Op.CREATE) if suppress else frozenset()
    return Decision(
        plan, tuple(v), tuple(ordered), tuple(deferred), tuple(blocked), upserts, approval_request,
        approval.by if approved and approval else None, alerts, False, False, accept_desired, accept_observation,
    )
