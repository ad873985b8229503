"""An in-memory world that implements both protocols: for tests, examples and the simulation.

Thread-safe and versioned: every write bumps ``version``, and ``writes`` counts calls so tests can
prove that observe-only loops never write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from recon.core.model import Key, Observation, Resource


class MemoryProvider:
    """Resources held in a dict, observable and writable."""

    def __init__(self, resources: Iterable[Resource] = (), name: str = "memory") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._items: dict[Key, Resource] = {r.key: r for r in resources}
        self.version = 0
        self.writes = 0

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> MemoryProvider:
        from recon.sources.inventory import load_inventory

        path = settings.get("path")
        items = load_inventory(base_dir / path).resources.values() if path else ()
        return cls(items, name=str(settings.get("name", "memory")))

    def observe(self) -> Observation:
        with self._lock:
            items = dict(self._items)
            v = self.version
        return Observation(items, True, None, f"{self.name}@v{v}")

    def snapshot(self) -> dict[Key, Resource]:
        with self._lock:
            return dict(self._items)

    def apply(self, resource: Resource) -> None:
        with self._lock:
            self.writes += 1
            if self._items.get(resource.key) != resource:
                self._items[resource.key] = resource
                self.version += 1

    def delete(self, resource: Resource) -> None:
        with self._lock:
            self.writes += 1
            if self._items.pop(resource.key, None) is not None:
                self.version += 1

    # Drift helpers: changes made "by hand", outside any loop.
    def external_put(self, resource: Resource) -> None:
        with self._lock:
            self._items[resource.key] = resource
            self.version += 1

    def external_delete(self, key: Key) -> bool:
        with self._lock:
            gone = self._items.pop(key, None) is not None
            self.version += gone
            return gone

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
