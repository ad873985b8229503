"""Append-only JSONL event log of cycle records: one JSON object per line, flushed per cycle.

The log is the audit trail of a watch, so a path it cannot append to (a folder, a FIFO, a file in
a read-only place) is an error when the log is opened, not a cycle later or never. Every string in
a record is redacted before it is written: the log outlives the run and is shipped.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from recon.core.errors import ReconError
from recon.core.record import CycleRecord
from recon.core.redact import redact_all


class EventLogError(ReconError):
    """The event log cannot be created or appended to; the message names the file."""


class EventLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EventLogError(f"{self.path}: cannot create the event log's folder {e.filename or ''}: "
                                f"{e.strerror or e}") from None
        os.close(self._open())

    @staticmethod
    def check(path: str | os.PathLike[str]) -> Path:
        """*path*, refused if it exists and is not a regular file; creates nothing, so that a watch can
        check its log before it creates its state store and a bad log leaves nothing behind."""
        p = Path(path)
        if p.exists() and not p.is_file():
            raise EventLogError(f"{p}: the event log must be a regular file, not a folder or device")
        return p

    def _open(self) -> int:
        """Open for appending without blocking (a FIFO would hang) and insist on a regular file."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        except OSError as e:
            if os.path.exists(self.path) and not os.path.isfile(self.path):
                raise EventLogError(f"{self.path}: the event log must be a regular file, not a folder or device")
            raise EventLogError(f"{self.path}: cannot open the event log: {e.strerror or e}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise EventLogError(f"{self.path}: the event log must be a regular file, not a folder or device")
        return fd

    def append(self, record: CycleRecord | dict[str, Any]) -> None:
        row = redact_all(record.to_dict() if isinstance(record, CycleRecord) else record)
        data = (json.dumps(row, sort_keys=True, default=str) + "\n").encode("utf-8")
        fd = self._open()
        try:
            with os.fdopen(fd, "ab") as f:
                f.write(data)
        except OSError as e:
            raise EventLogError(f"{self.path}: cannot append to the event log: {e.strerror or e}") from None
