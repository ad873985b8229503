"""Opening a state store without ever trusting or replacing a file that is not one.

The store holds the kill switch and granted approvals, so a store that cannot be read is an error,
never an empty store: a new file is made only where no file exists (built beside the target and
linked into place, so it is never seen half made), and an existing file must be a SQLite database
with recon's tables and columns that passes SQLite's own consistency check.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from pathlib import Path

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
    # The observed-count baseline's run of lower counts awaiting confirmation (recon.core.baseline).
    "ALTER TABLE loop_state ADD COLUMN lower_observed INTEGER;"
    "ALTER TABLE loop_state ADD COLUMN lower_seen INTEGER NOT NULL DEFAULT 0;",
    # Migration 3: the guards' windows across cycles (recon.core.baseline.Windows), as JSON lists
    # of [time, count]: unapproved deletes for max_deletes.window, accepted desired counts for
    # desired_shrink.window. An older store starts with empty windows.
    "ALTER TABLE loop_state ADD COLUMN delete_window TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE loop_state ADD COLUMN desired_window TEXT NOT NULL DEFAULT '[]';",
    # Migration 4: one lease per loop (recon.store.lease), so that a second process running the same
    # loop on this store refuses to start instead of overwriting the first one's windows.
    "CREATE TABLE loop_lease (loop TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, "
    "host TEXT NOT NULL, acquired_at REAL NOT NULL, expires_at REAL NOT NULL);",
)

# The tables SCHEMA makes; a store lacking one of them is not recon's (later tables come by migration).
BASE_TABLES = ("loop_state", "approval_requests", "approvals", "kill_switch")

# The columns every table has once all migrations ran; the store's queries name exactly these.
COLUMNS = {
    "loop_state": ("loop", "cycle", "last_accepted_desired", "last_observed", "own_deletes_last", "backoff",
                   "approved_keys", "approved_until", "approved_by", "lower_observed", "lower_seen",
                   "delete_window", "desired_window"),
    "approval_requests": ("id", "loop", "digest", "keys", "guard", "reason", "requested_at", "last_seen_at"),
    "approvals": ("request_id", "digest", "granted", "by", "decided_at", "expires_at"),
    "kill_switch": ("loop", "engaged", "reason", "by", "at"),
    "loop_lease": ("loop", "holder", "pid", "host", "acquired_at", "expires_at"),
}

_MAGIC = b"SQLite format 3\x00"
_ADVICE = "recon does not replace it: restore it from a backup or move it away"


class StoreError(ReconError):
    """The state store cannot be opened, read, written or trusted; the message names the file."""


class StoreBusy(StoreError):
    """Another process held the store's lock past the timeout: this call failed, the store is fine."""


def store_error(path: Path, e: sqlite3.Error) -> StoreError:
    """The error to raise for SQLite's *e* on the store at *path*."""
    if (getattr(e, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(f"{path}: state store busy: {e}")
    return StoreError(f"{path}: state store error: {e}")


def _migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for stmt in filter(None, (x.strip() for x in script.split(";"))):
            db.execute(stmt)
        db.execute(f"PRAGMA user_version = {i}")


def initialise(db: sqlite3.Connection) -> None:
    """Give a new, empty database recon's tables at the newest schema version."""
    with db:
        db.executescript(SCHEMA)
        _migrate(db)


def create(path: Path) -> None:
    """Make a new store at *path*, which does not exist; if another process made one first, keep it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{path}: cannot create the state store's folder {e.filename or ''}: "
                         f"{e.strerror or e}") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    except OSError as e:
        raise StoreError(f"{path}: cannot create the state store: {e.strerror or e}") from None
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            initialise(db)
        finally:
            db.close()
        try:
            os.link(tmp, path)  # unlike a rename, a link never replaces a file that appeared meanwhile
        except FileExistsError:
            pass
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"{path}: cannot create the state store: {getattr(e, 'strerror', None) or e}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def check_file(path: Path) -> None:
    """Refuse, before SQLite sees it, an existing file that cannot be a state store."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise StoreError(f"{path}: not a regular file, so not a recon state store; {_ADVICE}")
        if st.st_size == 0:
            raise StoreError(f"{path}: empty file (0 bytes), not a recon state store; {_ADVICE}")
        with open(path, "rb") as f:
            head = f.read(len(_MAGIC))
    except OSError as e:
        raise StoreError(f"{path}: cannot read the state store: {e.strerror or e}") from None
    if head != _MAGIC:
        raise StoreError(f"{path}: not an SQLite database, so not a recon state store; {_ADVICE}")


def upgrade_and_check(db: sqlite3.Connection, path: Path) -> None:
    """Run pending migrations on an existing store, then check it has recon's schema and is intact."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{path}: state store schema version {version} is newer than this recon knows "
                         f"({len(MIGRATIONS)}); upgrade recon")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = sorted(set(BASE_TABLES) - tables)
    if missing:
        raise StoreError(f"{path}: not a recon state store (no table {', '.join(missing)}); {_ADVICE}")
    if version < len(MIGRATIONS):
        with db:
            _migrate(db)
    for table, columns in COLUMNS.items():
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        lacking = [c for c in columns if c not in have]
        if lacking:
            raise StoreError(f"{path}: not a recon state store (table {table} lacks {', '.join(lacking)}); "
                             f"{_ADVICE}")
    problems = [r[0] for r in db.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise StoreError(f"{path}: state store is corrupt ({problems[0]}); {_ADVICE}")
