"""Desired-state sources as objects: a file, or any callable that returns resources."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from recon.core.model import DesiredState, Resource
from recon.sources.digest import FilesDigest
from recon.sources.inventory import fingerprint, load_inventory


@runtime_checkable
class Source(Protocol):
    def load(self) -> DesiredState: ...


class FileSource:
    """Loads an inventory file or folder on every call; an unchanged one is not parsed again.

    Reading and hashing the bytes is cheap; parsing a large YAML inventory is not (seconds for tens
    of thousands of resources), and a watch loads it every cycle."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._last: tuple[FilesDigest, DesiredState] | None = None

    def load(self) -> DesiredState:
        fp = fingerprint(self.path)
        if self._last is not None and self._last[0] == fp:
            return replace(self._last[1], loaded_at=time.time())
        state = load_inventory(self.path)
        self._last = (fp, state)
        return state


class CallableSource:
    """Wraps a function returning resources (from an API, a CMDB, ...). Exceptions propagate."""

    def __init__(self, fn: Callable[[], Iterable[Resource]], name: str = "callable") -> None:
        self.fn = fn
        self.name = name

    def load(self) -> DesiredState:
        return DesiredState.of(self.fn(), source=self.name)
