"""A small SQLite store shared by loops, the CLI (`recon approve`, `recon pause`) and the widgets.

Each call opens its own short transaction, so the store is safe to share between a running
``recon watch`` and an operator's command in another shell.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from recon.core.approval import Approval, ApprovalRequest
from recon.core.policy import APPROVAL_TTL
from recon.core.record import CarriedApproval, LoopState
from recon.core.errors import ReconError

SCHEMA = """
CREATE TABLE IF NOT EXISTS loop_state (
  loop TEXT PRIMARY KEY, cycle INTEGER NOT NULL, last_accepted_desired INTEGER, last_observed INTEGER,
  own_deletes_last INTEGER NOT NULL, backoff TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS approval_requests (
  id TEXT PRIMARY KEY, loop TEXT NOT NULL, digest TEXT NOT NULL, keys TEXT NOT NULL, guard TEXT NOT NULL,
  reason TEXT NOT NULL, requested_at REAL NOT NULL, last_seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
  request_id TEXT PRIMARY KEY, digest TEXT NOT NULL, granted INTEGER NOT NULL, by TEXT NOT NULL,
  decided_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kill_switch (
  loop TEXT PRIMARY KEY, engaged INTEGER NOT NULL, reason TEXT, by TEXT, at REAL NOT NULL);
"""


# Schema migrations, applied in order; PRAGMA user_version records how many ran.
MIGRATIONS = (
    "ALTER TABLE loop_state ADD COLUMN approved_keys TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE loop_state ADD COLUMN approved_until REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE loop_state ADD COLUMN approved_by TEXT;",
)


class ApprovalNotFound(ReconError):
    pass


@dataclass(frozen=True)
class PendingRequest:
    request: ApprovalRequest
    approval: Approval | None
    last_seen_at: float

    @property
    def status(self) -> str:
        if self.approval is None:
            return "pending"
        if not self.approval.granted:
            return "denied"
        return "approved" if time.time() < self.approval.expires_at else "expired"


class StateStore:
    """Loop state, approval requests, approvals and kill switches in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._memory = sqlite3.connect(":memory:") if str(path) == ":memory:" else None
        try:
            with self._tx() as db:
                db.executescript(SCHEMA)
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for stmt in filter(None, (x.strip() for x in script.split(";"))):
                        db.execute(stmt)
                    db.execute(f"PRAGMA user_version = {i}")
        except ReconError as e:
            raise ReconError(f"{self.path}: not a recon state store ({e.__cause__ or e})") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._memory or sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as e:
            raise ReconError(f"{self.path}: cannot open state store: {e}") from e
        try:
            with db:
                yield db
        except sqlite3.Error as e:
            raise ReconError(f"{self.path}: state store error: {e}") from e
        finally:
            if self._memory is None:
                db.close()

    # loop state -------------------------------------------------------------------------------
    def load_state(self, loop: str) -> LoopState:
        with self._tx() as db:
            row = db.execute("SELECT cycle, last_accepted_desired, last_observed, own_deletes_last, backoff, "
                             "approved_keys, approved_until, approved_by FROM loop_state WHERE loop = ?",
                             (loop,)).fetchone()
        if row is None:
            return LoopState()
        backoff = {(k[0], k[1]): (int(a), float(t)) for k, a, t in json.loads(row[4])}
        approved = frozenset((k[0], k[1]) for k in json.loads(row[5]))
        return LoopState(row[0], row[1], row[2], row[3], MappingProxyType(backoff), CarriedApproval(approved, row[6], row[7]))

    def save_state(self, loop: str, state: LoopState) -> None:
        backoff = json.dumps([[list(k), a, t] for k, (a, t) in sorted(state.backoff.items())])
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO loop_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (loop, state.cycle, state.last_accepted_desired, state.last_observed,
                        state.own_deletes_last, backoff, json.dumps(sorted(map(list, state.approval.keys))),
                        state.approval.until, state.approval.by))

    # approvals --------------------------------------------------------------------------------
    def file_request(self, req: ApprovalRequest, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._tx() as db:
            db.execute(
                "INSERT INTO approval_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET last_seen_at = excluded.last_seen_at, reason = excluded.reason",
                (req.id, req.loop, req.digest, json.dumps([list(k) for k in req.keys]), req.guard, req.reason,
                 req.requested_at, now))

    def get_approval(self, request_id: str) -> Approval | None:
        with self._tx() as db:
            row = db.execute("SELECT request_id, digest, granted, by, decided_at, expires_at FROM approvals "
                             "WHERE request_id = ?", (request_id,)).fetchone()
        return Approval(row[0], row[1], bool(row[2]), row[3], row[4], row[5]) if row else None

    def decide(self, request_id: str, granted: bool, by: str, ttl: float = APPROVAL_TTL,
               now: float | None = None) -> Approval:
        """Record a human's answer to a pending request. The approval covers exactly its key set."""
        now = time.time() if now is None else now
        with self._tx() as db:
            row = db.execute("SELECT digest FROM approval_requests WHERE id = ?", (request_id,)).fetchone()
            if row is None:
                raise ApprovalNotFound(f"{self.path}: no approval request {request_id!r}; see `recon approvals`")
            a = Approval(request_id, row[0], granted, by, now, now + ttl)
            db.execute("INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?, ?, ?)",
                       (a.request_id, a.digest, int(a.granted), a.by, a.decided_at, a.expires_at))
        return a

    def requests(self, loop: str | None = None) -> list[PendingRequest]:
        q = ("SELECT r.id, r.loop, r.digest, r.keys, r.guard, r.reason, r.requested_at, r.last_seen_at, "
             "a.granted, a.by, a.decided_at, a.expires_at FROM approval_requests r "
             "LEFT JOIN approvals a ON a.request_id = r.id")
        args: tuple[str, ...] = ()
        if loop is not None:
            q += " WHERE r.loop = ?"
            args = (loop,)
        with self._tx() as db:
            rows = db.execute(q + " ORDER BY r.requested_at, r.id", args).fetchall()
        out = []
        for r in rows:
            req = ApprovalRequest(r[0], r[1], r[2], tuple((k[0], k[1]) for k in json.loads(r[3])), r[4], r[5], r[6])
            appr = Approval(r[0], r[2], bool(r[8]), r[9], r[10], r[11]) if r[8] is not None else None
            out.append(PendingRequest(req, appr, r[7]))
        return out

    def pending_count(self, loop: str, now: float | None = None) -> int:
        """Requests of *loop* nobody has answered yet (cheap enough to ask every cycle)."""
        with self._tx() as db:
            return int(db.execute("SELECT COUNT(*) FROM approval_requests r LEFT JOIN approvals a "
                                  "ON a.request_id = r.id WHERE r.loop = ? AND a.request_id IS NULL",
                                  (loop,)).fetchone()[0])

    # kill switch -------------------------------------------------------------------------------
    def set_kill_switch(self, loop: str, engaged: bool, reason: str = "", by: str = "") -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO kill_switch VALUES (?, ?, ?, ?, ?)",
                       (loop, int(engaged), reason, by, time.time()))

    def kill_switch(self, loop: str) -> bool:
        """Engaged for this loop, or for every loop (`*`)."""
        with self._tx() as db:
            rows = db.execute("SELECT engaged FROM kill_switch WHERE loop IN (?, '*')", (loop,)).fetchall()
        return any(r[0] for r in rows)
