"""Who answers approval requests: nobody (deny-all), everybody (approve-all), or a human through the
store (`recon approve`, the approval widget). The simulation adds a modelled human of its own."""

from __future__ import annotations

from typing import Protocol

from recon.core.approval import Approval, ApprovalRequest
from recon.core.policy import APPROVAL_TTL
from recon.store.sqlite import StateStore


class Approver(Protocol):
    name: str

    def request(self, req: ApprovalRequest, now: float) -> None: ...

    def lookup(self, request_id: str, digest: str, now: float) -> Approval | None: ...


class _Automatic:
    granted: bool
    name: str

    def __init__(self, ttl: float = APPROVAL_TTL) -> None:
        self.ttl = ttl
        self._answers: dict[str, Approval] = {}

    def request(self, req: ApprovalRequest, now: float) -> None:
        self._answers.setdefault(req.id, Approval(req.id, req.digest, self.granted, self.name, now, now + self.ttl))

    def lookup(self, request_id: str, digest: str, now: float) -> Approval | None:
        return self._answers.get(request_id)


class DenyAll(_Automatic):
    """Every held delete set stays held: the safest default for unattended loops."""

    granted = False
    name = "deny-all"


class ApproveAll(_Automatic):
    """Every request is granted on the next cycle. Caps still rate-limit; for tests and studies."""

    granted = True
    name = "approve-all"


class StoreApprover:
    """Requests go to the SQLite store; a human answers with `recon approve ID` or the widget."""

    name = "store"

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def request(self, req: ApprovalRequest, now: float) -> None:
        self.store.file_request(req, now)

    def lookup(self, request_id: str, digest: str, now: float) -> Approval | None:
        return self.store.get_approval(request_id)


def approver_named(name: str, store: StateStore | None, ttl: float) -> Approver:
    """The approver a loop config names; *ttl* is the policy's approval lifetime."""
    if name == "deny-all":
        return DenyAll(ttl)
    if name == "approve-all":
        return ApproveAll(ttl)
    if name == "store":
        if store is None:
            raise ValueError("approver 'store' needs a state store")
        return StoreApprover(store)
    raise ValueError(f"unknown approver {name!r}; known: deny-all, approve-all, store")
