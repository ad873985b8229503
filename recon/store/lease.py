"""One process per loop and store: a lease row with its holder and an expiry, and the save's check.

Two processes running the same loop on one store would each load the loop state, run a cycle and
save, overwriting each other's delete window, so the budget across cycles would count only half
the deletes. A loop driver therefore holds the loop's lease (renewed every cycle, expiring on its
own when the holder dies) and every save is a compare-and-set on the cycle it started from. Each
statement here is atomic by itself, so no read-then-write race sits between two processes.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from recon.store.schema import StoreError


@dataclass(frozen=True, slots=True)
class Lease:
    """Who runs *loop* on a store: *holder* (unique per run), its *pid* and *host*, and until when."""

    loop: str
    holder: str
    pid: int
    host: str
    acquired_at: float
    expires_at: float

    @classmethod
    def mine(cls, loop: str, now: float, ttl: float) -> Lease:
        """A new lease for this process, valid *ttl* seconds from *now*."""
        host, pid = socket.gethostname(), os.getpid()
        return cls(loop, f"{host}:{pid}:{uuid.uuid4().hex[:12]}", pid, host, now, now + ttl)

    def who(self) -> str:
        return f"pid {self.pid} on {self.host} (since {_utc(self.acquired_at)})"


class LeaseHeld(StoreError):
    """Another live process holds the loop's lease: this one must not run the loop."""


class LeaseLost(StoreError):
    """The lease this process held expired and another process took it, or it is gone."""


class StateConflict(StoreError):
    """The saved loop state moved on since this cycle loaded it: another process runs the loop."""


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def held(path: Path, lease: Lease) -> LeaseHeld:
    return LeaseHeld(f"{path}: loop {lease.loop!r} is already run by {lease.who()}; its lease expires at "
                     f"{_utc(lease.expires_at)}: a second process would undercount the delete budget across "
                     "cycles, so this one does not start (stop the other, or wait for its lease to expire)")


def lost(path: Path, mine: Lease, now_held: Lease | None) -> LeaseLost:
    by = f"taken by {now_held.who()}" if now_held else "released by another process"
    return LeaseLost(f"{path}: loop {mine.loop!r}: this process's lease expired and was {by}; stopping, since "
                     "two processes running one loop would undercount the delete budget across cycles")


def conflict(path: Path, loop: str, loaded: int, stored: int | None) -> StateConflict:
    now = "no saved state" if stored is None else f"cycle {stored}"
    return StateConflict(f"{path}: loop {loop!r}: the saved state is at {now}, not cycle {loaded} that this "
                         f"cycle started from: another process runs this loop on the same state store; "
                         "nothing was saved (run one loop per store)")


ACQUIRE = ("INSERT INTO loop_lease (loop, holder, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT(loop) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, "
           "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
           # Taken over only once expired (a crashed holder), or renewed by the same holder.
           "WHERE loop_lease.expires_at <= excluded.acquired_at OR loop_lease.holder = excluded.holder")
SELECT = "SELECT loop, holder, pid, host, acquired_at, expires_at FROM loop_lease WHERE loop = ?"
RENEW = "UPDATE loop_lease SET expires_at = ? WHERE loop = ? AND holder = ?"
RELEASE = "DELETE FROM loop_lease WHERE loop = ? AND holder = ?"
