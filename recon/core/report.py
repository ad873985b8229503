"""A decision as plain data, and the exit code it deserves: shared by `recon plan`, `recon audit`
and anything else that reports a cycle. Pure: builds dicts, prints nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from recon.core.decision import Decision
from recon.core.model import Key, thaw
from recon.core.plan import Change
from recon.core.policy import Outcome, Verdict
from recon.core.record import CycleRecord



class ExitCode(IntEnum):
    """The exit codes of recon's commands, named once: plan-like commands (plan, audit) exit with
    what the decision deserves, every command exits ERROR on an error and INTERRUPTED on Ctrl-C.
    2 means "changes pending" to a scheduler, which is why usage errors exit 1 as well."""

    IN_SYNC = 0
    ERROR = 1
    PENDING = 2
    BLOCKED = 3
    INTERRUPTED = 130


def exit_code(decision: Decision) -> ExitCode:
    """IN_SYNC, PENDING when the loop would apply or defer changes, BLOCKED when a guard pauses,
    aborts, holds or suppresses."""
    if decision.blocks:
        return ExitCode.BLOCKED
    return ExitCode.PENDING if decision.batch or decision.deferred else ExitCode.IN_SYNC


def acting(verdicts: Iterable[Verdict]) -> list[str]:
    """The guards that tripped and hold changes back this cycle (pause, abort, hold, suppress, defer);
    the guards that exclude resources for good are reported by what they exclude instead."""
    return [v.guard for v in verdicts if v.outcome.tripped and v.outcome is not Outcome.EXCLUDE]


@dataclass(frozen=True, slots=True)
class Fate:
    """What a cycle does with one change: apply it, defer it, block it, or exclude it for good."""

    status: str                # "apply", "deferred", "blocked" or "excluded"
    guard: str | None = None   # the guard (or "mode") that blocked or excluded it
    reason: str = ""


def fates(decision: Decision) -> dict[Key, Fate]:
    """The fate of every change in the decision's plan, by key."""
    excluding = {v.guard for v in decision.verdicts if v.outcome is Outcome.EXCLUDE}
    out = {c.key: Fate("apply") for c in decision.batch}
    out.update({d.change.key: Fate("deferred", None, d.reason) for d in decision.deferred})
    out.update({b.change.key: Fate("excluded" if b.guard in excluding else "blocked", b.guard, b.reason)
                for b in decision.blocked})
    return out


def change_dict(c: Change) -> dict[str, Any]:
    d: dict[str, Any] = {"op": c.op.value, "kind": c.key[0], "name": c.key[1]}
    if c.fields:
        d["fields"] = [{"path": f.path, "old": thaw(f.old), "new": thaw(f.new)} for f in c.fields]
    return d


def _fate_dict(f: Fate | None) -> dict[str, Any]:
    if f is None:
        return {"status": "not executed", "guard": None, "reason": ""}
    return {"status": f.status, "guard": f.guard, "reason": f.reason}


def decision_dict(decision: Decision, record: CycleRecord) -> dict[str, Any]:
    """Counts, guard verdicts and every change with what became of it, as JSON-ready data.

    ``counts`` is the raw diff; ``pending`` what the loop would apply now or after deferral."""
    plan = decision.plan
    req = decision.approval_request
    code = exit_code(decision)
    fate = fates(decision)
    pending = {"create": 0, "update": 0, "delete": 0}
    for c in list(decision.batch) + [d.change for d in decision.deferred]:
        pending[c.op.value] += 1
    return {
        "exit_code": code,
        # In sync: nothing the loop would do, now or later, and no guard in the way. Changes to
        # resources excluded by ownership or protection are not the loop's to make.
        "in_sync": code == ExitCode.IN_SYNC,
        "counts": plan.counts() if plan else {"create": 0, "update": 0, "delete": 0},
        "pending": pending,
        "unchanged": len(plan.unchanged) if plan else 0,
        "desired": {"count": record.desired_count, "source": record.desired_source, "version": record.desired_version},
        "observation": {"count": record.observed_count, "complete": record.observation_complete,
                        "reason": record.observation_reason},
        "guards": [{"name": v.guard, "outcome": v.outcome.value, "reason": v.reason} for v in decision.verdicts],
        "changes": [{**change_dict(c), "fate": _fate_dict(fate.get(c.key))} for c in plan.changes] if plan else [],
        "batch": [change_dict(c) for c in decision.batch],
        "deferred": [{**change_dict(d.change), "reason": d.reason} for d in decision.deferred],
        "blocked": [{**change_dict(b.change), "guard": b.guard, "reason": b.reason} for b in decision.blocked],
        "approval_request": None if req is None else {"id": req.id, "guard": req.guard, "reason": req.reason,
                                                      "keys": [list(k) for k in req.keys]},
        "alerts": list(decision.alerts),
    }
