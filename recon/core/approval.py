"""Approvals bound to the exact set of keys they approve.

A held delete set becomes a request whose id is derived from the loop and a digest of the sorted
keys: the same set always asks the same question, and a changed set needs a fresh approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from recon.core.model import Key


def keys_digest(keys: Iterable[Key]) -> str:
    h = hashlib.sha256()
    for kind, name in sorted(keys):
        h.update(kind.encode())
        h.update(b"\x1f")
        h.update(name.encode())
        h.update(b"\x1e")
    return h.hexdigest()


def approval_id(loop: str, digest: str) -> str:
    return hashlib.sha256(f"{loop}\x00{digest}".encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    id: str
    loop: str
    digest: str
    keys: tuple[Key, ...]
    guard: str
    reason: str
    requested_at: float

    @classmethod
    def make(cls, loop: str, keys: Iterable[Key], guard: str, reason: str, now: float) -> ApprovalRequest:
        ks = tuple(sorted(keys))
        digest = keys_digest(ks)
        return cls(approval_id(loop, digest), loop, digest, ks, guard, reason, now)


@dataclass(frozen=True, slots=True)
class Approval:
    """A human's answer to a request: granted or denied, by whom, valid until *expires_at*."""

    request_id: str
    digest: str
    granted: bool
    by: str
    decided_at: float
    expires_at: float

    def valid_for(self, digest: str, now: float) -> bool:
        return self.granted and self.digest == digest and now < self.expires_at
