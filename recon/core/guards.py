"""The guards, as data: one small pure function each, listed in ``GUARDS`` in evaluation order.

A guard looks at the changes still in play (a :class:`Plan`), the cycle's :class:`GuardContext` and
the :class:`Policy`, and returns its :class:`Verdict`, or None when it has nothing to judge this
cycle. Guards never change the plan themselves: :func:`recon.core.decision.decide` walks the table
and enacts each verdict by its outcome. This module is the only place that creates verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from recon.core.approval import Approval, keys_digest
from recon.core.baseline import CountBaseline, Window, Windows
from recon.core.model import Key
from recon.core.plan import Change, Op, Plan
from recon.core.policy import Convergence, Guards, Outcome, Policy, Verdict
from recon.core.text import plural


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guards need to know besides the plan: this cycle's facts and the store's memory."""

    now: float
    loop: str = "loop"
    switch_engaged: bool = False
    observe_error: str | None = None
    desired_count: int = 0
    observed_count: int = 0
    desired_source: str = ""
    desired_error: str | None = None
    observation_complete: bool = True
    observation_reason: str | None = None
    last_accepted_desired: int | None = None
    count_baseline: CountBaseline = CountBaseline()  # what the observed count is compared with
    own_deletes_last: int = 0
    backoff: Mapping[Key, float] = field(default_factory=lambda: MappingProxyType({}))
    approval: Approval | None = None   # the answer on file for this cycle's delete set, if any
    windows: Windows = Windows()       # unapproved deletes and accepted desired counts, for the windows


def _owned(change: Change, owner_id: str) -> bool:
    o = change.observed
    return o is None or o.owner == owner_id


def delete_candidates(plan: Plan, policy: Policy) -> tuple[Change, ...]:
    """Deletes left after the convergence, ownership and protected filters: what an approval is about."""
    if policy.convergence is not Convergence.SYNC:
        return ()
    g = policy.guards
    return tuple(c for c in plan.deletes
                 if not (g.ownership.enabled and policy.owner_id is not None and not _owned(c, policy.owner_id))
                 and not (g.protected.enabled and any(s.matches(c.target) for s in g.protected.selectors)))


def approved_by(plan: Plan, ctx: GuardContext, policy: Policy) -> str | None:
    """Who approved exactly this plan's delete candidates, if a valid approval is on file."""
    cands = delete_candidates(plan, policy)
    a = ctx.approval
    if cands and a is not None and a.valid_for(keys_digest(c.key for c in cands), ctx.now):
        return a.by
    return None


def _off(name: str, reason: str = "guard disabled") -> Verdict:
    return Verdict(name, Outcome.DISABLED, reason)


def observation_failed(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict | None:
    # A cycle that observed nothing judges nothing else: this is its only verdict. It cannot meet the
    # kill switch, which stops a cycle before it observes.
    if ctx.observe_error is None:
        return None
    return Verdict("incomplete_observation", Outcome.ABORT, ctx.observe_error)


def kill_switch(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    if not policy.guards.kill_switch.enabled:
        return _off("kill_switch")
    if ctx.switch_engaged:
        return Verdict("kill_switch", Outcome.PAUSE, "kill switch engaged: the cycle does nothing")
    return Verdict("kill_switch", Outcome.ALLOW, "not engaged")


def desired_error(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    if ctx.desired_error is not None:
        return Verdict("desired_error", Outcome.ABORT, f"desired state failed to load: {ctx.desired_error}")
    outcome = Outcome.ALLOW if policy.guards.desired_error.enabled else Outcome.DISABLED
    return Verdict("desired_error", outcome,
                   f"loaded {plural(ctx.desired_count, 'resource')} from {ctx.desired_source or 'source'}")


def empty_desired(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    if not policy.guards.empty_desired.enabled:
        return _off("empty_desired")
    if ctx.desired_count == 0 and ctx.observed_count > 0:
        return Verdict("empty_desired", Outcome.ABORT, f"desired state is empty but "
                       f"{plural(ctx.observed_count, 'resource')} observed: refusing to delete all")
    return Verdict("empty_desired", Outcome.ALLOW, f"desired has {plural(ctx.desired_count, 'resource')}")


def desired_shrink(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    g = policy.guards.desired_shrink
    last = ctx.last_accepted_desired
    if not g.enabled:
        return _off("desired_shrink")
    # With a window the baseline is where the state stood within it, so slow slices add up.
    peak = ctx.windows.desired.largest(ctx.now, g.window) if g.window is not None else None
    since = ""
    if peak is not None and (last is None or peak > last):
        last, since = peak, f" (the largest accepted in the last {g.window:g} s)"
    if not last:
        return Verdict("desired_shrink", Outcome.ALLOW, "no earlier accepted desired state to compare with")
    fall = (last - ctx.desired_count) / last
    if fall <= g.max_fraction:
        return Verdict("desired_shrink", Outcome.ALLOW, f"desired {ctx.desired_count} vs last accepted {last}{since}")
    reason = f"desired fell from {last}{since} to {ctx.desired_count} ({fall:.0%} > {g.max_fraction:.0%} allowed)"
    if g.action == "abort":
        return Verdict("desired_shrink", Outcome.ABORT, reason)
    cands = delete_candidates(plan, policy)
    if not cands:
        return Verdict("desired_shrink", Outcome.ALLOW, reason + "; nothing to delete, accepted")
    if (by := approved_by(plan, ctx, policy)) is not None:
        return Verdict("desired_shrink", Outcome.ALLOW, reason + f"; approved by {by}")
    return Verdict("desired_shrink", Outcome.HOLD, reason, tuple(c.key for c in cands))


def incomplete_observation(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    g = policy.guards.incomplete_observation
    if not g.enabled:
        return _off("incomplete_observation")
    if not ctx.observation_complete:
        return Verdict("incomplete_observation", Outcome.SUPPRESS_DELETES,
                       f"provider flagged the observation incomplete: {ctx.observation_reason}")
    # The count baseline is the last trusted count (recon.core.baseline): a fall trips the guard on
    # every cycle it shows until enough observations confirm it; the loop's own deletes explain part.
    j = ctx.count_baseline.judge(ctx.observed_count, ctx.own_deletes_last, g.confirm_cycles)
    last, note = j.reference, _baseline_note(ctx.count_baseline, j.after, j.confirmed, g.confirm_cycles)
    if last:
        expected = last - j.explained
        drop = expected - ctx.observed_count
        if expected > 0 and drop / last > g.max_drop_fraction:
            return Verdict("incomplete_observation", Outcome.SUPPRESS_DELETES,
                           f"observed fell from {last} to {ctx.observed_count}; own deletes explain "
                           f"{j.explained} (unexplained {drop / last:.0%} > {g.max_drop_fraction:.0%})" + note)
    return Verdict("incomplete_observation", Outcome.ALLOW, "observation complete" + note)


def _baseline_note(before: CountBaseline, after: CountBaseline, confirmed: bool, needed: int) -> str:
    """What this observation did to the count baseline, when it did something worth a reason."""
    if confirmed:
        return (f"; {needed} consecutive complete observations below the baseline {before.count} confirm "
                f"the fall: the baseline is now {after.count}")
    if after.seen:
        return (f"; the baseline {after.count} stays: {after.seen} of {needed} consecutive observations "
                "below it needed to lower it")
    return ""


def next_count_baseline(ctx: GuardContext, policy: Policy) -> CountBaseline:
    """The count baseline after a cycle that observed, whatever it decided: only a complete observation
    is judged against it (a flagged or failed one leaves it, less the loop's own deletes)."""
    b = ctx.count_baseline
    if ctx.observe_error is not None or not ctx.observation_complete:
        return b.unobserved(ctx.own_deletes_last)
    g = policy.guards.incomplete_observation
    return b.judge(ctx.observed_count, ctx.own_deletes_last, g.confirm_cycles).after


def ownership(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    owner = policy.owner_id
    if not policy.guards.ownership.enabled:
        return _off("ownership", "guard disabled: every resource counts as managed")
    if owner is None:
        return Verdict("ownership", Outcome.ALLOW, "no owner id: every resource in scope counts as managed")
    unowned = {c.key for c in plan.deletes + plan.updates if not _owned(c, owner)}
    if not unowned:
        return Verdict("ownership", Outcome.ALLOW, f"every targeted resource carries {owner!r}")
    return Verdict("ownership", Outcome.EXCLUDE, f"{plural(len(unowned), 'resource')} without owner marker "
                   f"{owner!r}: unmanaged, never touched", tuple(sorted(unowned)))


def protected(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    g = policy.guards.protected
    if not g.enabled:
        return _off("protected")
    hit = {c.key for c in plan.changes if any(s.matches(c.target) for s in g.selectors)}
    if not hit:
        return Verdict("protected", Outcome.ALLOW, f"{plural(len(g.selectors), 'selector')}, none matched")
    return Verdict("protected", Outcome.EXCLUDE, f"{plural(len(hit), 'change')} to protected resources",
                   tuple(sorted(hit)))


def max_deletes(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    md, n, seen = policy.guards.max_deletes, len(plan.deletes), ctx.observed_count
    if not md.enabled:
        return _off("max_deletes")
    fraction_applies = md.max_fraction is not None and seen >= md.fraction_min_observed
    over = [f"{plural(n, 'delete')} > cap {md.max}"] if md.max is not None and n > md.max else []
    if fraction_applies and n > md.max_fraction * seen:  # type: ignore[operator]
        over.append(f"{plural(n, 'delete')} > {md.max_fraction:.0%} of {seen} observed")
    budget = _window_budget(n, ctx, policy)
    if budget is not None and budget[0]:
        over.append(budget[1])
    if not over:
        caps = [f"cap {md.max}"] if md.max is not None else []
        if md.max_fraction is not None:
            caps.append(f"{md.max_fraction:.0%} of observed" if fraction_applies
                        else f"the {md.max_fraction:.0%} fraction applies from {md.fraction_min_observed} observed")
        if budget is not None:
            caps.append(budget[1])
        return Verdict("max_deletes", Outcome.ALLOW, f"{plural(n, 'delete')} within {', '.join(caps) or 'no caps'}")
    reason = "; ".join(over)
    if md.action == "abort":
        return Verdict("max_deletes", Outcome.ABORT, reason)
    if (by := approved_by(plan, ctx, policy)) is not None:
        return Verdict("max_deletes", Outcome.ALLOW, reason + f"; approved by {by}")
    return Verdict("max_deletes", Outcome.HOLD, reason, tuple(c.key for c in plan.deletes))


def _window_budget(n: int, ctx: GuardContext, policy: Policy) -> tuple[bool, str] | None:
    """Whether *n* more deletes overrun max_deletes' window budget, and the words for it; None without
    a window. The budget counts the unapproved deletes made within the last ``window`` seconds."""
    md = policy.guards.max_deletes
    if md.window is None or md.window_max is None:
        return None
    used = ctx.windows.deletes.total(ctx.now, md.window)
    within = f"{used} unapproved in the last {md.window:g} s, window_max {md.window_max}"
    if n and used + n > md.window_max:
        return True, f"{plural(n, 'delete')} + {within}"
    return False, within


def next_windows(windows: Windows, policy: Policy, now: float, accepted: int | None, approved: bool,
                 deleted: int) -> Windows:
    """The windows' memory after a cycle at *now* that accepted a desired count of *accepted* (None:
    it accepted none), under an approval of its delete set or not, and made *deleted* deletes.

    Deletes of an approved set do not count against max_deletes' budget. An approved delete set
    also restarts the shrink window at the count accepted with it: a human saw that state's deletes
    and said yes, so later falls are measured from it. A window that is off keeps nothing."""
    g = policy.guards
    deletes, desired = windows.deletes, windows.desired
    # A disabled guard never reads its window: keeping entries for it would only grow the row.
    if g.max_deletes.window is None or not g.max_deletes.enabled:
        deletes = Window()
    else:
        deletes = deletes.plus(now, g.max_deletes.window, 0 if approved else deleted)
    w = g.desired_shrink.window
    if w is None or not g.desired_shrink.enabled:
        desired = Window()
    elif accepted is not None:
        desired = Window(((now, accepted),)) if approved else desired.plus_peak(now, w, accepted)
    else:
        desired = desired.within(now, w)
    return Windows(deletes, desired)


def max_changes(plan: Plan, ctx: GuardContext, policy: Policy) -> Verdict:
    mc, n = policy.guards.max_changes, len(plan.changes)
    if not mc.enabled:
        return _off("max_changes")
    if n <= mc.max:
        return Verdict("max_changes", Outcome.ALLOW, f"{plural(n, 'change')} within cap {mc.max}")
    rest = plan.changes[mc.max:]
    return Verdict("max_changes", Outcome.DEFER, f"{plural(n, 'change')} > cap {mc.max}: {len(rest)} deferred",
                   tuple(c.key for c in rest))


@dataclass(frozen=True, slots=True)
class Guard:
    """One row of the table. *judges* says which changes an excluding verdict removes, in which order
    they are reported; *batch* marks the guard that sees only what would run now (after holds,
    suppressions and retry backoff); *each* is the reason every change it excludes or defers
    carries (the verdict's own reason when None)."""

    name: str
    check: Callable[[Plan, GuardContext, Policy], Verdict | None]
    judges: tuple[Op, ...] = (Op.CREATE, Op.UPDATE, Op.DELETE)
    batch: bool = False
    each: Callable[[Policy], str] | None = None


GUARDS: tuple[Guard, ...] = (
    Guard("observation_failed", observation_failed),
    Guard("kill_switch", kill_switch),
    Guard("desired_error", desired_error),
    Guard("empty_desired", empty_desired),
    Guard("desired_shrink", desired_shrink),
    Guard("incomplete_observation", incomplete_observation),
    Guard("ownership", ownership, judges=(Op.DELETE, Op.UPDATE),
          each=lambda p: f"unmanaged: no owner marker {p.owner_id!r}"),
    Guard("protected", protected, each=lambda p: "matches a protected selector"),
    Guard("max_deletes", max_deletes),
    Guard("max_changes", max_changes, batch=True, each=lambda p: f"max_changes: {p.guards.max_changes.max} per cycle"),
)

# The guards a policy configures and a verdict names, in evaluation order (the columns of trip counts).
# A failed observation reports under incomplete_observation, the guard that owns observations.
GUARD_ORDER: tuple[str, ...] = tuple(g.name for g in GUARDS if g.name in Guards.model_fields)
