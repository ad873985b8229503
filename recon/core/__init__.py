"""The pure core of recon: model, diff, guards, decision and the sans-I/O cycle.

Nothing in this package performs I/O, reads a clock or draws random numbers; `now` is always an
argument. Drivers (SimPy or real time) run the cycle generator and perform the effects it yields.
Import-linter contracts in pyproject.toml keep it that way, and order the modules inside it:
model, plan, policy, guards, decision, record, cycle, report (each imports only those before it).
"""

from recon.core.approval import Approval, ApprovalRequest, approval_id, keys_digest
from recon.core.cycle import run_cycle
from recon.core.decision import Blocked, Decision, Deferred, decide
from recon.core.effects import (
    Apply,
    CheckKillSwitch,
    Delete,
    Effect,
    FileApprovalRequest,
    GetApproval,
    LoadDesired,
    Observe,
    WriteResult,
)
from recon.core.errors import ObserveOnlyViolation, ReconError
from recon.core.guards import GUARD_ORDER, GUARDS, Guard, GuardContext
from recon.core.model import DesiredState, Key, Observation, Resource, freeze
from recon.core.normalize import Normalizer
from recon.core.plan import Change, FieldDiff, Op, Plan, diff
from recon.core.policy import Convergence, Outcome, Policy, RunMode, Verdict
from recon.core.record import CarriedApproval, CycleRecord, CycleResult, LoopState

__all__ = [
    "GUARDS", "GUARD_ORDER", "Apply", "Approval", "ApprovalRequest", "Blocked", "CarriedApproval", "Change",
    "CheckKillSwitch", "Convergence", "CycleRecord", "CycleResult", "Decision", "Deferred", "Delete",
    "DesiredState", "Effect", "FieldDiff", "FileApprovalRequest", "GetApproval", "Guard", "GuardContext", "Key",
    "LoadDesired", "LoopState", "Normalizer", "Observation", "Observe", "ObserveOnlyViolation", "Op", "Outcome",
    "Plan", "Policy", "ReconError", "Resource", "RunMode", "Verdict", "WriteResult", "approval_id", "decide",
    "diff", "freeze", "keys_digest", "run_cycle",
]
