"""Writing resources as an inventory file (YAML or JSON) that the readers load back unchanged.

This module only writes, atomically (:mod:`recon.sources.atomic`); it never reads an inventory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from recon.core.model import Resource
from recon.sources import yamlread
from recon.sources.atomic import write_text_atomic


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's safe dumper when PyYAML has it, quoting every string the loader would not read back
    as that string (PyYAML quotes only YAML 1.1's non-strings; `1e3` is a number in 1.2)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and implicit[0] and tag == "tag:yaml.org,2002:str":
            try:
                plain_is_text = type(yamlread.scalar(value)) is str
            except ValueError:
                plain_is_text = False
            return tag if plain_is_text else "tag:recon:quoted"
        return tag


def yaml_text(data: Any) -> str:
    """*data* as YAML the readers load back unchanged, keys in the order given."""
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False))


def dump_inventory(resources: Iterable[Resource], path: str | os.PathLike[str], observed_at: str | None = None) -> None:
    """Write resources as an inventory file (YAML, or JSON for a .json path), atomically; a snapshot
    gives *observed_at* (ISO 8601), written first so that a reader finds it without the resources."""
    p = Path(path)
    data: dict[str, Any] = {"observed_at": observed_at} if observed_at is not None else {}
    data["resources"] = [r.to_dict() for r in sorted(resources, key=lambda r: r.key)]
    text = json.dumps(data, indent=1) + "\n" if p.suffix == ".json" else yaml_text(data)
    write_text_atomic(p, text)
