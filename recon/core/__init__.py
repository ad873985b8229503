"""The pure core of recon: model, diff, guards, policy, decision and the sans-I/O cycle.

Nothing in this package performs I/O, reads a clock or draws random numbers; `now` is always an
argument. Drivers (SimPy or real time) run the cycle generator and perform the effects it yields.
Import-linter contracts in pyproject.toml keep it that way.
"""

from recon.core.approval import Approval, ApprovalRequest, approval_id, keys_digest
from recon.core.cycle import (
    Apply,
    CheckKillSwitch,
    CycleRecord,
    Delete,
    Effect,
    FileApprovalRequest,
    GetApproval,
    LoadDesired,
    LoopState,
    Observe,
    WriteResult,
    run_cycle,
)
from recon.core.decision import Decision, GuardContext, decide
from recon.core.errors import ObserveOnlyViolation, ReconError, SafetyAbort
from recon.core.model import DesiredState, Key, Observation, Resource, freeze
from recon.core.normalize import Normalizer
from recon.core.plan import Change, FieldDiff, Op, Plan, diff
from recon.core.policy import GUARD_ORDER, Mode, Outcome, Policy, Verdict

__all__ = [
    "GUARD_ORDER", "Apply", "Approval", "ApprovalRequest", "Change", "CheckKillSwitch", "CycleRecord",
    "Decision", "Delete", "DesiredState", "Effect", "FieldDiff", "FileApprovalRequest", "GetApproval",
    "GuardContext", "Key", "LoadDesired", "LoopState", "Mode", "Normalizer", "Observation", "Observe",
    "ObserveOnlyViolation", "Op", "Outcome", "Plan", "Policy", "ReconError", "Resource", "SafetyAbort",
    "Verdict", "WriteResult", "approval_id", "decide", "diff", "freeze", "keys_digest", "run_cycle",
]
