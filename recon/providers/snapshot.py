"""Observe an inventory file: a saved snapshot of some system's state. Read-only by construction."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recon.core.model import Observation
from recon.providers.base import ProviderError


class SnapshotObserver:
    """Observes the resources listed in one inventory file (or a folder of them)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"snapshot:{self.path}"

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> SnapshotObserver:
        if "path" not in settings:
            raise ProviderError("provider snapshot: missing 'path'")
        extra = set(settings) - {"path"}
        if extra:
            raise ProviderError(f"provider snapshot: unknown settings {sorted(extra)}")
        return cls(base_dir / settings["path"])

    def observe(self) -> Observation:
        from recon.sources.inventory import load_inventory

        inv = load_inventory(self.path)
        return Observation(inv.resources, True, None, str(self.path), inv.loaded_at)
