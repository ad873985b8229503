"""One digest of an inventory's files, and the fast path's checks held to the pydantic models."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from recon.sources.inventory import InventoryModel, ResourceModel, fingerprint, load_inventory
from recon.sources.plaincheck import PlainCheck


def test_the_version_a_state_carries_is_the_digest_file_source_compares(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("resources:\n  - {kind: A, name: x, spec: {ttl: 1}}\n")
    assert load_inventory(one).version == fingerprint(one).version == hashlib.sha256(one.read_bytes()).hexdigest()[:12]
    folder = tmp_path / "inv"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {}}\n")
    (folder / "sub" / "b.json").write_text('{"resources": [{"kind": "A", "name": "y", "spec": {}}]}')
    assert load_inventory(folder).version == fingerprint(folder).version


def test_bytes_moved_between_files_change_the_fingerprint(tmp_path: Path) -> None:
    # The same bytes in the same order, split at another place: the sha256 alone cannot tell them apart.
    (tmp_path / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {}}\n#")
    (tmp_path / "b.yaml").write_text("\nresources: []\n")
    first = fingerprint(tmp_path)
    (tmp_path / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {}}\n")
    (tmp_path / "b.yaml").write_text("#\nresources: []\n")
    second = fingerprint(tmp_path)
    assert first.sha256 == second.sha256 and first != second


ENTRIES: list[Any] = [
    {"kind": "A", "name": "x", "spec": {}},
    {"kind": "A", "name": "x", "spec": {"ttl": 1}, "owner": "o"},
    {"kind": "A", "name": "x", "spec": {}, "owner": None},
    {"kind": "", "name": "x", "spec": {}},
    {"kind": "A", "name": "", "spec": {}},
    {"kind": "A", "name": 42, "spec": {}},
    {"kind": "A", "name": 1.5, "spec": {}},
    {"kind": "A", "name": True, "spec": {}},
    {"kind": None, "name": "x", "spec": {}},
    {"kind": "A", "name": "x"},
    {"kind": "A", "spec": {}},
    {"kind": "A", "name": "x", "spec": []},
    {"kind": "A", "name": "x", "spec": None},
    {"kind": "A", "name": "x", "spec": {}, "owner": 3},
    {"kind": "A", "name": "x", "spec": {}, "extra": 1},
    ["A", "x"],
    "A/x",
]
FILES: list[Any] = [
    {"resources": []},
    {"resources": [], "count": 0},
    {"resources": [], "count": None},
    {"resources": [], "count": -1},
    {"resources": [], "count": True},
    {"resources": [], "count": 1.0},
    {"resources": [], "count": "1"},
    {"resources": {}},
    {"resources": None},
    {"count": 0},
    {"resources": [], "version": 2},
]


@pytest.mark.parametrize(("model", "value"), [(ResourceModel, v) for v in ENTRIES] + [(InventoryModel, v) for v in FILES])
def test_the_fast_path_passes_only_what_the_model_accepts_unchanged(model: type[BaseModel], value: Any) -> None:
    try:
        dumped = model.model_validate(value).model_dump(exclude_unset=True)
    except ValidationError:
        dumped = None
    if PlainCheck(model)(value):
        assert dumped == value, "the plain check passed a value the model refuses or changes"


def test_the_fast_path_takes_every_ordinary_entry() -> None:
    # Without this, a check that passes nothing would satisfy the test above (and make loading slow).
    assert PlainCheck(ResourceModel)({"kind": "A", "name": "x", "spec": {"ttl": 1}, "owner": "o"})
    assert PlainCheck(InventoryModel)({"resources": [{"anything": 1}], "count": 1})


class _Bounded(BaseModel):
    name: str = Field(max_length=3)


class _Either(BaseModel):
    value: int | str


class _Tagged(BaseModel):
    tags: set[str]


@pytest.mark.parametrize("model", [_Bounded, _Either, _Tagged])
def test_a_field_the_plain_check_cannot_read_is_refused_when_the_check_is_built(model: type[BaseModel]) -> None:
    with pytest.raises(TypeError, match="cannot be checked by plain type tests"):
        PlainCheck(model)
