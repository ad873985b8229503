"""The desired-source registry: `desired: {type: ...}` dispatch, the inventory default, errors in the file's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recon.config import ConfigError, build_loop, load_loop_config
from recon.sources.callable import FileSource
from recon.sources.registry import DESIRED_TYPES, InventoryDesired, build_source
from recon.store.sqlite import StateStore
from tests.providers.helpers import recon

INVENTORY = "resources:\n  - {kind: A, name: www, spec: {ttl: 60}}\n"


def _loop(tmp_path: Path, desired: str) -> Path:
    (tmp_path / "desired.yaml").write_text(INVENTORY)
    (tmp_path / "observed.yaml").write_text(INVENTORY)
    p = tmp_path / "loop.yaml"
    p.write_text(f"provider: {{type: snapshot, path: observed.yaml}}\ndesired:\n{desired}")
    return p


@pytest.mark.parametrize("desired", ["  path: desired.yaml\n", "  type: inventory\n  path: desired.yaml\n"])
def test_inventory_with_or_without_type(tmp_path: Path, desired: str) -> None:
    cfg, base = load_loop_config(_loop(tmp_path, desired))
    assert isinstance(cfg.desired, InventoryDesired)
    loop = build_loop(cfg, base, store=StateStore(":memory:"))
    assert isinstance(loop.source, FileSource) and len(loop.source.load()) == 1


def test_every_registered_type_builds_from_its_own_model(tmp_path: Path) -> None:
    for name, entry in DESIRED_TYPES.items():
        assert entry.model.model_fields["type"].annotation.__args__ == (name,)
    with pytest.raises(TypeError):
        build_source(DESIRED_TYPES["inventory"].model.model_construct(type="nosuch"), tmp_path)


def test_unknown_type_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_loop_config(_loop(tmp_path, "  type: nosuch\n  path: desired.yaml\n"))
    msg = str(e.value)
    assert msg == f"{tmp_path / 'loop.yaml'}:2: field desired: unknown type 'nosuch'; known: " + ", ".join(DESIRED_TYPES)


def test_a_field_error_names_the_field_as_written_not_the_union_tag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_loop_config(_loop(tmp_path, "  type: inventory\n  path: desired.yaml\n  extra: 1\n"))
    assert str(e.value) == f"{tmp_path / 'loop.yaml'}:5: field desired.extra: unknown field; known: type, path"


def test_schema_lists_the_types(tmp_path: Path) -> None:
    r = recon("schema", "loop", cwd=tmp_path)
    assert r.code == 0
    schema = json.loads(r.stdout)
    desired = schema["properties"]["desired"]
    assert set(desired["discriminator"]["mapping"]) == set(DESIRED_TYPES)
