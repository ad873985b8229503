"""Observe an inventory file: a saved snapshot of some system's state. Read-only by construction."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recon.core.model import Observation
from recon.providers.base import ProviderError
from recon.providers.names import no_control_characters
from recon.providers.settings import refuse_inline_credentials


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
        refuse_inline_credentials(settings, "snapshot")
        path = settings["path"]
        if not isinstance(path, str) or not path:
            raise ProviderError("provider snapshot: field path: give the inventory file or folder as a string")
        try:
            no_control_characters(path)
        except ValueError as e:
            raise ProviderError(f"provider snapshot: field path: {e}") from None
        return cls(base_dir / path)

    def observe(self) -> Observation:
        from recon.sources.inventory import load_inventory

        inv = load_inventory(self.path)
        return Observation(inv.resources, True, None, str(self.path), inv.loaded_at)
