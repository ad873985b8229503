"""Append-only JSONL event log of cycle records: one JSON object per line, flushed per cycle."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from recon.core.record import CycleRecord


class EventLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: CycleRecord | dict[str, Any]) -> None:
        row = record.to_dict() if isinstance(record, CycleRecord) else record
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, sort_keys=True, default=str) + "\n")
