"""One reconciliation cycle, written once as a generator of effect requests (sans-I/O).

``run_cycle`` yields effects (check the kill switch, load desired, observe, look up an approval,
file an approval request, apply, delete) and receives their results by ``send``. A driver performs
them: the SimPy driver in simulated time with faults, the real-time driver against real systems.
In observe-only mode the generator never yields a write, and real drivers have no way to perform
one anyway. The generator returns the cycle's record, the new loop state and the decision.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Union

from recon.core.approval import Approval, ApprovalRequest, approval_id, keys_digest
from recon.core.decision import Decision, GuardContext, decide, delete_candidates, paused_decision
from recon.core.model import DesiredState, Key, Observation
from recon.core.normalize import DEFAULT, Normalizer
from recon.core.plan import Change, Op, diff
from recon.core.policy import Outcome, Policy, Verdict


@dataclass(frozen=True, slots=True)
class CheckKillSwitch:
    """Answer: bool, whether the switch is engaged."""


@dataclass(frozen=True, slots=True)
class LoadDesired:
    """Answer: a DesiredState, or the exception the source raised."""


@dataclass(frozen=True, slots=True)
class Observe:
    """Answer: an Observation, or the exception the provider raised."""


@dataclass(frozen=True, slots=True)
class GetApproval:
    """Answer: the Approval recorded for this request id, or None."""

    request_id: str
    digest: str


@dataclass(frozen=True, slots=True)
class FileApprovalRequest:
    """Answer: None. Idempotent: the same request id may be filed every cycle."""

    request: ApprovalRequest


@dataclass(frozen=True, slots=True)
class Apply:
    """Answer: a WriteResult. Creates and updates are both idempotent upserts."""

    change: Change


@dataclass(frozen=True, slots=True)
class Delete:
    """Answer: a WriteResult."""

    change: Change


Effect = Union[CheckKillSwitch, LoadDesired, Observe, GetApproval, FileApprovalRequest, Apply, Delete]


@dataclass(frozen=True, slots=True)
class WriteResult:
    ok: bool = True
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LoopState:
    """What a loop remembers between cycles; persisted by the store so it survives restarts."""

    cycle: int = 0
    last_accepted_desired: int | None = None
    last_observed: int | None = None
    own_deletes_last: int = 0
    # key -> (failed attempts, retry not before)
    backoff: Mapping[Key, tuple[int, float]] = field(default_factory=lambda: MappingProxyType({}))
    # An approval carries forward to what is left of the set it approved while the loop works through
    # it under its caps; it never covers a key outside that set.
    approved_keys: frozenset[Key] = frozenset()
    approved_until: float = 0.0
    approved_by: str | None = None


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One row per cycle: sizes of every diff set, what happened to them, and why."""

    loop: str
    cycle: int
    time: float
    mode: str
    desired_count: int | None = None
    desired_source: str | None = None
    desired_version: str | None = None
    observed_count: int | None = None
    observation_complete: bool | None = None
    observation_reason: str | None = None
    to_create: int = 0
    to_update: int = 0
    to_delete: int = 0
    unchanged: int = 0
    applied_create: int = 0
    applied_update: int = 0
    applied_delete: int = 0
    would_create: int = 0
    would_update: int = 0
    would_delete: int = 0
    deferred: int = 0
    blocked: int = 0
    failed: int = 0
    paused: bool = False
    aborted: bool = False
    verdicts: tuple[Verdict, ...] = ()
    approval_request: str | None = None
    approved_by: str | None = None
    alerts: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    duration: float | None = None
    deleted_keys: tuple[Key, ...] = ()

    @property
    def guards_tripped(self) -> tuple[str, ...]:
        return tuple(v.guard for v in self.verdicts if v.outcome.tripped)

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__dataclass_fields__ if f not in ("verdicts", "deleted_keys")}
        d["guards_tripped"] = list(self.guards_tripped)
        d["verdicts"] = [v.to_dict() for v in self.verdicts]
        d["alerts"] = list(self.alerts)
        d["errors"] = list(self.errors)
        d["deleted_keys"] = [list(k) for k in self.deleted_keys]
        return d


CycleResult = tuple[CycleRecord, LoopState, Decision]


def _backoff_delay(attempts: int, policy: Policy) -> float:
    return min(policy.retry_base * (2 ** (attempts - 1)), policy.retry_max)


def run_cycle(loop: str, policy: Policy, state: LoopState, now: float, *, observe_only: bool,
              normalize: Normalizer = DEFAULT) -> Generator[Effect, Any, CycleResult]:
    """Run one cycle. Yields effects; returns (record, new state, decision)."""
    cycle = state.cycle + 1
    mode = "observe-only" if observe_only else "enforce"
    base = CycleRecord(loop=loop, cycle=cycle, time=now, mode=mode)
    next_state = replace(state, cycle=cycle)

    engaged = yield CheckKillSwitch()
    if engaged and policy.guards.kill_switch.enabled:
        d = paused_decision()
        return replace(base, paused=True, verdicts=d.verdicts), replace(next_state, own_deletes_last=0), d

    loaded = yield LoadDesired()
    desired_error = None
    if isinstance(loaded, BaseException):
        if policy.guards.desired_error.enabled:
            desired_error = f"{type(loaded).__name__}: {loaded}"
            desired = None
        else:
            # Only for studying the failure: a naive loop that treats a failed load as empty.
            desired = DesiredState(MappingProxyType({}), source="failed load read as empty")
    else:
        desired = loaded
    if desired is not None and policy.owner_id is not None:
        # The loop stamps its marker on what it will create; rebuild only when something lacks it.
        owner = policy.owner_id
        if any(r.owner != owner for r in desired.resources.values()):
            desired = replace(desired, resources=MappingProxyType(
                {k: r.with_owner(owner) for k, r in desired.resources.items()}))

    observed = yield Observe()
    errors: list[str] = []
    if isinstance(observed, BaseException):
        msg = f"observe failed: {type(observed).__name__}: {observed}"
        verdicts = (Verdict("incomplete_observation", Outcome.ABORT, msg),)
        d = Decision(None, verdicts, aborted=True)
        rec = replace(base, desired_count=len(desired) if desired is not None else None, aborted=True,
                      verdicts=verdicts, errors=(msg,))
        return rec, replace(next_state, own_deletes_last=0), d
    assert isinstance(observed, Observation)

    rec = replace(base, observed_count=len(observed), observation_complete=observed.complete,
                  observation_reason=observed.reason)
    if desired is not None:
        rec = replace(rec, desired_count=len(desired), desired_source=desired.source,
                      desired_version=desired.version)
    plan = diff(desired.resources, observed.resources, normalize) if desired is not None else None
    ctx = GuardContext(
        loop=loop, desired_count=len(desired) if desired is not None else 0, observed_count=len(observed),
        desired_source=desired.source if desired is not None else "", desired_error=desired_error,
        observation_complete=observed.complete, observation_reason=observed.reason,
        last_accepted_desired=state.last_accepted_desired, last_observed=state.last_observed,
        own_deletes_last=state.own_deletes_last,
        backoff=MappingProxyType({k: t for k, (_, t) in state.backoff.items()}),
    )

    approval: Approval | None = None
    carried = (state.approved_keys, state.approved_until, state.approved_by)
    if plan is not None:
        cands = delete_candidates(plan, policy)
        if cands:
            keys = frozenset(c.key for c in cands)
            digest = keys_digest(keys)
            rid = approval_id(loop, digest)
            if keys <= state.approved_keys and now < state.approved_until:
                approval = Approval(rid, digest, True, state.approved_by or "earlier approval", now,
                                    state.approved_until)
            else:
                approval = yield GetApproval(rid, digest)
                if approval is not None and approval.valid_for(digest, now):
                    carried = (keys, approval.expires_at, approval.by)
    decision = decide(plan, ctx, policy, approval, now)
    if decision.approval_request is not None:
        yield FileApprovalRequest(decision.approval_request)

    if plan is not None:
        rec = replace(rec, to_create=len(plan.creates), to_update=len(plan.updates), to_delete=len(plan.deletes),
                      unchanged=len(plan.unchanged))
    rec = replace(rec, deferred=len(decision.deferred), blocked=len(decision.blocked), aborted=decision.aborted,
                  verdicts=decision.verdicts, alerts=decision.alerts,
                  approval_request=decision.approval_request.id if decision.approval_request else None,
                  approved_by=decision.approved_by)
    if desired_error:
        errors.append(desired_error)

    applied = {Op.CREATE: 0, Op.UPDATE: 0, Op.DELETE: 0}
    backoff = dict(state.backoff)
    deleted: list[Key] = []
    if observe_only:
        would = {op: sum(1 for c in decision.batch if c.op is op) for op in Op}
        rec = replace(rec, would_create=would[Op.CREATE], would_update=would[Op.UPDATE],
                      would_delete=would[Op.DELETE])
    else:
        for change in decision.batch:
            result = yield (Delete(change) if change.op is Op.DELETE else Apply(change))
            if result is not None and not result.ok:
                attempts = backoff.get(change.key, (0, 0.0))[0] + 1
                backoff[change.key] = (attempts, now + _backoff_delay(attempts, policy))
                errors.append(f"{change.op.value} {change.key[0]}/{change.key[1]}: {result.error}")
                continue
            backoff.pop(change.key, None)
            applied[change.op] += 1
            if change.op is Op.DELETE:
                deleted.append(change.key)

    rec = replace(rec, applied_create=applied[Op.CREATE], applied_update=applied[Op.UPDATE],
                  applied_delete=applied[Op.DELETE], failed=len(errors) - (1 if desired_error else 0),
                  errors=tuple(errors), deleted_keys=tuple(deleted))
    new_state = replace(
        next_state,
        last_accepted_desired=len(desired) if (desired is not None and decision.accept_desired) else state.last_accepted_desired,
        last_observed=len(observed) if decision.accept_observation else state.last_observed,
        own_deletes_last=applied[Op.DELETE],
        backoff=MappingProxyType(backoff),
        approved_keys=carried[0] if now < carried[1] else frozenset(),
        approved_until=carried[1] if now < carried[1] else 0.0,
        approved_by=carried[2] if now < carried[1] else None,
    )
    return rec, new_state, decision
