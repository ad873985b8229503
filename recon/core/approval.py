"""Approvals bound to the exact set of keys they approve.

A held delete set becomes a request whose id is derived from the loop and a digest of the sorted
keys: the same set always asks the same question, and a changed set needs a fresh approval.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from recon.core.model import Key

# Names the encoding below, so that no digest of another encoding can ever equal one of these.
_DIGEST_DOMAIN = b"recon approval keys v2\n"


def keys_digest(keys: Iterable[Key]) -> str:
    """A digest of the sorted key set, encoded as canonical JSON: JSON quotes and escapes every
    string, so no choice of names can make two different key sets encode alike (separator
    characters could: a name holding them forged a second key)."""
    text = json.dumps([[kind, name] for kind, name in sorted(keys)], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(_DIGEST_DOMAIN + text.encode("ascii")).hexdigest()


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
