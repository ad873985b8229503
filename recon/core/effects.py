"""The effects a cycle asks its driver to perform, and the answer each one expects.

Effects are requests, not actions: the core yields them and a driver (simulated or real time)
performs them and sends the answer back. Nothing here performs anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from recon.core.approval import ApprovalRequest
from recon.core.plan import Change


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
    """The answer to Apply or Delete: per-resource errors are answers, not exceptions."""

    ok: bool = True
    error: str | None = None
