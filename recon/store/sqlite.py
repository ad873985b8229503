"""A small SQLite store shared by loops, the CLI (`recon approve`, `recon pause`) and the widgets.

Each call opens its own short transaction, so the store is safe to share between a running
``recon watch`` and an operator's command in another shell. A store that cannot be read or
trusted raises :class:`StoreError` naming the file; it is never replaced by an empty one, since
that would release the kill switch and forget approvals (see ``recon.store.schema``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from recon.core.approval import Approval, ApprovalRequest
from recon.core.policy import APPROVAL_TTL
from recon.core.record import LoopState
from recon.store import lease
from recon.store import rows as decode
from recon.store.schema import StoreError, check_file, create, initialise, store_error, upgrade_and_check

T = TypeVar("T")

# loop_state's columns after its key, in the order save_state gives them.
_STATE = ("cycle, last_accepted_desired, last_observed, own_deletes_last, backoff, approved_keys, approved_until, "
          "approved_by, lower_observed, lower_seen, delete_window, desired_window")
_MARKS = ", ".join("?" * 12)


class ApprovalNotFound(StoreError):
    """No request with that id in this store."""


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

    def __init__(self, path: str | os.PathLike[str], *, lazy: bool = False) -> None:
        """Open the store at *path*, creating it if there is none; with *lazy*, a missing store is
        created on first use instead, so a command that fails before (a desired source it cannot
        read) leaves nothing behind. An existing file is checked at once either way."""
        self.path = Path(path)
        self._memory: sqlite3.Connection | None = None
        self._opened = False
        if str(path) == ":memory:":
            self._memory = sqlite3.connect(":memory:")
            initialise(self._memory)
            self._opened = True
        elif not lazy or os.path.lexists(self.path):
            self._open()

    def _open(self) -> None:
        """Create the store if there is no file yet, then check it and run pending migrations."""
        if not os.path.lexists(self.path):
            create(self.path)
        check_file(self.path)
        self._opened = True
        try:
            with self._tx() as db:
                upgrade_and_check(db, self.path)
        except BaseException:
            self._opened = False
            raise

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if not self._opened:
            self._open()
        # mode=rw: SQLite must open the store that was checked, never create an empty one in its place
        # (a store deleted under a running watch is then an error, not a released kill switch).
        uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode=rw"
        try:
            db = self._memory or sqlite3.connect(uri, uri=True, timeout=30)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the state store: {e}") from None
        try:
            with db:
                yield db
        except sqlite3.Error as e:
            raise store_error(self.path, e) from None
        finally:
            if self._memory is None:
                db.close()

    def _decode(self, what: str, fn: Callable[[Any], T], row: Any) -> T:
        """Decode one stored row; a row recon could not have written makes the whole store untrusted."""
        try:
            return fn(row)
        except (ValueError, TypeError, IndexError) as e:
            raise StoreError(f"{self.path}: corrupt row in {what}: {e}; the store cannot be trusted, "
                             "fix the row or restore the store from a backup") from None

    # loop state -------------------------------------------------------------------------------
    def load_state(self, loop: str) -> LoopState:
        with self._tx() as db:
            row = db.execute(f"SELECT {_STATE} FROM loop_state WHERE loop = ?", (loop,)).fetchone()
        if row is None:
            return LoopState()
        return self._decode(f"loop_state (loop {loop!r})", decode.loop_state, row)

    def save_state(self, loop: str, state: LoopState, expect: int | None = None) -> None:
        """Save *state*; with *expect*, only if the saved state is still at cycle *expect* (the one
        this cycle loaded; 0 also matches no saved state), else :class:`StateConflict` and nothing saved."""
        backoff = json.dumps([[list(k), a, t] for k, (a, t) in sorted(state.backoff.items())])
        b = state.count_baseline
        values = (state.cycle, state.last_accepted_desired, b.count, state.own_deletes_last, backoff,
                  json.dumps(sorted(map(list, state.approval.keys))), state.approval.until, state.approval.by,
                  b.lower, b.seen, decode.window_json(state.windows.deletes), decode.window_json(state.windows.desired))
        with self._tx() as db:
            if expect is None:
                db.execute(f"INSERT OR REPLACE INTO loop_state (loop, {_STATE}) VALUES (?, {_MARKS})", (loop, *values))
                return
            # One statement each, so no other process can save between the check and the write.
            saved = db.execute(f"UPDATE loop_state SET ({_STATE}) = ({_MARKS}) WHERE loop = ? AND cycle = ?",
                               (*values, loop, expect)).rowcount
            if not saved and expect == 0:
                saved = db.execute(f"INSERT INTO loop_state (loop, {_STATE}) VALUES (?, {_MARKS}) "
                                   "ON CONFLICT(loop) DO NOTHING", (loop, *values)).rowcount
            if not saved:
                row = db.execute("SELECT cycle FROM loop_state WHERE loop = ?", (loop,)).fetchone()
                raise lease.conflict(self.path, loop, expect, None if row is None else row[0])

    # leases -----------------------------------------------------------------------------------
    def acquire_lease(self, loop: str, ttl: float, now: float | None = None) -> lease.Lease:
        """Take *loop*'s lease for *ttl* seconds, or raise :class:`LeaseHeld` naming its live holder."""
        mine = lease.Lease.mine(loop, time.time() if now is None else now, ttl)
        with self._tx() as db:
            db.execute(lease.ACQUIRE, (mine.loop, mine.holder, mine.pid, mine.host, mine.acquired_at, mine.expires_at))
            got = self._lease(db, loop)
        if got is None or got.holder != mine.holder:
            raise lease.held(self.path, got or mine)
        return mine

    def renew_lease(self, mine: lease.Lease, ttl: float, now: float | None = None) -> lease.Lease:
        """Extend the lease this process holds; :class:`LeaseLost` if another process took it meanwhile."""
        until = (time.time() if now is None else now) + ttl
        with self._tx() as db:
            if not db.execute(lease.RENEW, (until, mine.loop, mine.holder)).rowcount:
                raise lease.lost(self.path, mine, self._lease(db, mine.loop))
        return replace(mine, expires_at=until)

    def release_lease(self, mine: lease.Lease) -> None:
        """Give the lease up (a clean stop), so the next run need not wait for it to expire."""
        with self._tx() as db:
            db.execute(lease.RELEASE, (mine.loop, mine.holder))

    def current_lease(self, loop: str) -> lease.Lease | None:
        """Who holds *loop*'s lease, expired or not; None when nobody does."""
        with self._tx() as db:
            return self._lease(db, loop)

    def _lease(self, db: sqlite3.Connection, loop: str) -> lease.Lease | None:
        row = db.execute(lease.SELECT, (loop,)).fetchone()
        return None if row is None else self._decode(f"loop_lease (loop {loop!r})", decode.lease, row)

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
        return self._decode(f"approvals (request {request_id!r})", decode.approval, row) if row else None

    def decide(self, request_id: str, granted: bool, by: str, ttl: float = APPROVAL_TTL,
               now: float | None = None) -> Approval:
        """Record a human's answer to a pending request. The approval covers exactly its key set."""
        now = time.time() if now is None else now
        with self._tx() as db:
            row = db.execute("SELECT digest FROM approval_requests WHERE id = ?", (request_id,)).fetchone()
            if row is None:
                raise ApprovalNotFound(f"{self.path}: no approval request {request_id!r}; see `recon approvals`")
            digest = self._decode(f"approval_requests (id {request_id!r})", decode.digest, row)
            a = Approval(request_id, digest, granted, by, now, now + ttl)
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
            out.append(PendingRequest(*self._decode(f"approval_requests (id {r[0]!r})", decode.pending, r)))
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
        # Every matching row is decoded: a damaged one is an error even when another says engaged.
        return any([self._decode(f"kill_switch (loop {loop!r} or '*')", decode.engaged, r[0]) for r in rows])

    def kill_switch_detail(self, loop: str) -> str | None:
        """Who engaged the switch that pauses *loop*, when (epoch seconds) and why, as one line; None
        when no switch is engaged for it."""
        with self._tx() as db:
            rows = db.execute("SELECT loop, engaged, reason, by, at FROM kill_switch WHERE loop IN (?, '*') "
                              "ORDER BY at", (loop,)).fetchall()
        for name, on, reason, by, at in rows:
            if self._decode(f"kill_switch (loop {name!r})", decode.engaged, on):
                scope = "every loop (*)" if name == "*" else name
                when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if isinstance(at, (int, float)) else "?"
                return f"engaged for {scope} by {by or 'unknown'} at {when}: {reason or 'no reason given'}"
        return None

    def known_loops(self) -> list[str]:
        """Names of the loops this store has seen: a saved state, a kill switch or an approval request
        (never `*`), so that a command naming a loop can refuse a misspelt one."""
        with self._tx() as db:
            rows = db.execute("SELECT loop FROM loop_state UNION SELECT loop FROM kill_switch "
                              "UNION SELECT loop FROM approval_requests").fetchall()
        return sorted(r[0] for r in rows if isinstance(r[0], str) and r[0] != "*")
