"""Guard policy: which guards run, with which thresholds, and what a verdict is.

The guards themselves, and their order, are in :mod:`recon.core.guards`.

The policy is a pydantic model so that loop configs and scenarios validate it at the boundary and
``recon schema`` can print it. Every guard accepts ``false`` (disabled) or ``true`` (defaults) in
place of its settings, which is what ``--set loop.guards.<name>=false`` relies on.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recon.core.model import Key, Resource


APPROVAL_TTL = 3600.0  # seconds an approval stays valid unless a loop's policy says otherwise


class Outcome(str, Enum):
    ALLOW = "allow"
    PAUSE = "pause"              # kill switch: the cycle does nothing
    ABORT = "abort"              # no changes at all this cycle
    HOLD = "hold"                # deletes wait for an approval
    SUPPRESS_DELETES = "suppress_deletes"
    EXCLUDE = "exclude"          # ownership / protected: these resources are never touched
    DEFER = "defer"              # rate limit: the rest goes to later cycles
    DISABLED = "disabled"

    @property
    def tripped(self) -> bool:
        """The guard did something (anything but allow, or being switched off)."""
        return self not in (Outcome.ALLOW, Outcome.DISABLED)

    @property
    def blocks(self) -> bool:
        """Whether this outcome stops changes the plan wants (exit code 3 territory)."""
        return self in (Outcome.PAUSE, Outcome.ABORT, Outcome.HOLD, Outcome.SUPPRESS_DELETES)


# How far a loop converges: everything (sync), never deleting, or only creating. Loop configs and
# scenarios spell it `sync:`; "mode" there, and everywhere in the Python API, is the RunMode. (A
# comment, not a docstring, so that the JSON Schemas `recon schema` prints stay as they were.)
class Convergence(str, Enum):
    SYNC = "sync"
    UPSERT_ONLY = "upsert-only"
    CREATE_ONLY = "create-only"


class RunMode(str, Enum):
    """Whether a loop may write: observe-only loops have no actuator at all."""

    OBSERVE_ONLY = "observe-only"
    ENFORCE = "enforce"


@dataclass(frozen=True, slots=True)
class Verdict:
    guard: str
    outcome: Outcome
    reason: str
    keys: tuple[Key, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.guard, "outcome": self.outcome.value, "reason": self.reason,
                "keys": [list(k) for k in self.keys]}


class _Guard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _from_bool(cls, data: Any) -> Any:
        if isinstance(data, bool):
            return {"enabled": data}
        if isinstance(data, str) and data.lower() in ("true", "false", "on", "off"):
            return {"enabled": data.lower() in ("true", "on")}
        return data


class SimpleGuard(_Guard):
    """A guard with no thresholds."""


class ShrinkGuard(_Guard):
    max_fraction: float = Field(0.3, ge=0, le=1, description="largest allowed fall of the desired count vs the last accepted one")
    action: Literal["hold", "abort"] = "hold"
    window: float | None = Field(None, gt=0, allow_inf_nan=False, description=(
        "seconds: the fall is measured from the largest desired count accepted within this window "
        "(or the last accepted, if larger), not from the last slice; null: the last accepted only"))


class IncompleteGuard(_Guard):
    max_drop_fraction: float = Field(0.3, ge=0, le=1, description="largest unexplained fall of the observed count vs the baseline (the last trusted count)")
    confirm_cycles: int = Field(3, ge=2, description="consecutive complete observations below the baseline that "
                                "confirm a real fall and lower it to the highest of them; until then the "
                                "baseline stays and a big fall suppresses deletes")


class Selector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = "*"
    name: str = "*"

    def matches(self, r: Resource) -> bool:
        return fnmatch.fnmatchcase(r.kind, self.kind) and fnmatch.fnmatchcase(r.name, self.name)


class ProtectedGuard(_Guard):
    selectors: tuple[Selector, ...] = ()


class MaxDeletesGuard(_Guard):
    max: int | None = Field(10, ge=0, description="absolute cap on deletes per cycle")
    max_fraction: float | None = Field(0.25, ge=0, le=1, description="cap as a fraction of observed")
    fraction_min_observed: int = Field(10, ge=0, description="the fraction applies only when at least this many exist")
    action: Literal["hold", "abort"] = "hold"
    window: float | None = Field(None, gt=0, allow_inf_nan=False, description=(
        "seconds of the sliding window that window_max counts over; null: no budget across cycles"))
    window_max: int | None = Field(None, ge=0, description=(
        "deletes allowed without approval in any window seconds; deletes of an approved set do not count"))

    @model_validator(mode="after")
    def _window_pair(self) -> MaxDeletesGuard:
        # Either alone is a half-configured budget: refuse it rather than guess the other half.
        if self.window is not None and self.window_max is None:
            raise ValueError("window is set but window_max is not: give both (deletes allowed per window)")
        if self.window_max is not None and self.window is None:
            raise ValueError("window_max is set but window is not: give both (the window, in seconds)")
        return self


class MaxChangesGuard(_Guard):
    max: int = Field(100, ge=1, description="changes applied per cycle; the rest is deferred")


class Guards(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    item_name: ClassVar[str] = "guard"  # what a key is called in errors: "unknown guard; known: ..."
    kill_switch: SimpleGuard = SimpleGuard()
    desired_error: SimpleGuard = SimpleGuard()
    empty_desired: SimpleGuard = SimpleGuard()
    desired_shrink: ShrinkGuard = ShrinkGuard()
    incomplete_observation: IncompleteGuard = IncompleteGuard()
    ownership: SimpleGuard = SimpleGuard()
    protected: ProtectedGuard = ProtectedGuard()
    max_deletes: MaxDeletesGuard = MaxDeletesGuard()
    max_changes: MaxChangesGuard = MaxChangesGuard()


class Alerts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    item_name: ClassVar[str] = "alert"
    delete_spike: int | None = Field(20, ge=1, description="page when a plan wants at least this many deletes")


class Policy(BaseModel):
    """Everything that decides what a cycle may do with a plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    convergence: Convergence = Convergence.SYNC
    owner_id: str | None = Field(None, description="marker this loop stamps on what it creates; deletes need it")
    guards: Guards = Guards()
    alerts: Alerts = Alerts()
    approval_ttl: float = Field(APPROVAL_TTL, gt=0, description="seconds an approval stays valid")
    retry_base: float = Field(5.0, gt=0, description="first per-resource retry delay in seconds")
    retry_max: float = Field(1000.0, gt=0, description="largest per-resource retry delay in seconds")
