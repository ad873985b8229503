"""Desired-state sources as objects: a file, or any callable that returns resources."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from recon.core.model import DesiredState, Resource
from recon.sources.inventory import load_inventory


@runtime_checkable
class Source(Protocol):
    def load(self) -> DesiredState: ...


class FileSource:
    """Loads an inventory file or folder on every call."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> DesiredState:
        return load_inventory(self.path)


class CallableSource:
    """Wraps a function returning resources (from an API, a CMDB, ...). Exceptions propagate."""

    def __init__(self, fn: Callable[[], Iterable[Resource]], name: str = "callable") -> None:
        self.fn = fn
        self.name = name

    def load(self) -> DesiredState:
        return DesiredState.of(self.fn(), source=self.name)
