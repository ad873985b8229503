"""What a cycle leaves behind: the loop's memory (:class:`LoopState`), the cycle's row
(:class:`CycleRecord`) and the one result a driver receives (:class:`CycleResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from recon.core.baseline import CountBaseline, Windows
from recon.core.changefeed import LastPlan
from recon.core.decision import Decision
from recon.core.model import Key
from recon.core.policy import Verdict


@dataclass(frozen=True, slots=True)
class CarriedApproval:
    """An approval carried forward to what is left of the set it approved while the loop works
    through it under its caps; it never covers a key outside that set, nor any key after *until*."""

    keys: frozenset[Key] = frozenset()
    until: float = 0.0
    by: str | None = None

    def covers(self, keys: frozenset[Key], now: float) -> bool:
        return keys <= self.keys and now < self.until

    def live(self, now: float) -> CarriedApproval:
        """Itself while it lasts, else nothing carried."""
        return self if now < self.until else CarriedApproval()


@dataclass(frozen=True, slots=True)
class LoopState:
    """What a loop remembers between cycles; persisted by the store so it survives restarts, except
    *last_plan*: the change-fed diff's memory, in this process only (after a restart, a full diff)."""

    cycle: int = 0
    last_accepted_desired: int | None = None
    count_baseline: CountBaseline = CountBaseline()  # the observed-count baseline (recon.core.baseline)
    own_deletes_last: int = 0
    # key -> (failed attempts, retry not before)
    backoff: Mapping[Key, tuple[int, float]] = field(default_factory=lambda: MappingProxyType({}))
    approval: CarriedApproval = CarriedApproval()
    windows: Windows = Windows()  # max_deletes' and desired_shrink's memory across cycles (empty while off)
    last_plan: LastPlan | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleRecord:
    """One row per cycle: sizes of every diff set, what happened to them, and why.

    *mode* is the run mode (observe-only or enforce); *duration* is filled in by the driver."""

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


@dataclass(frozen=True, slots=True)
class CycleResult:
    """What one cycle returns: its record, the loop's next state, the decision behind them, and
    *wake_at*, the earliest time something the loop waits for lapses (a retry backoff or a carried
    approval), or None; in the spirit of controller-runtime's ``Result{RequeueAfter}``."""

    record: CycleRecord
    state: LoopState
    decision: Decision
    wake_at: float | None = None
