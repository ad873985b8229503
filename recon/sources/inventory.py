"""Inventory files (YAML or JSON, one file or a folder of them) as desired state or snapshots.

Every failure raises :class:`InventoryError` naming the file, the line and the field. A file that
is empty or lacks ``resources`` is an error; only an explicit ``resources: []`` is an empty state.
This module validates parsed data into resources and loads files as one state; reading text
(:mod:`document`), the digest (:mod:`digest`), the forked parse (:mod:`parallel`) and writing
(:mod:`dump`) live beside it and are re-exported here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Resource
from recon.core.text import plural
from recon.sources.digest import FilesDigest, digest_files
from recon.sources.document import (describe_validation_error, line_for, parse_document, read_yaml_file,
                                    source_lines)
from recon.sources.dump import dump_inventory
from recon.sources.listing import inventory_files
from recon.sources.parallel import PARALLEL_MIN_BYTES, parse_while, worth_forking
from recon.sources.plaincheck import PlainCheck
from recon.sources.readfile import read_input, read_text_input
from recon.sources.validation import value_kind

__all__ = ["PARALLEL_MIN_BYTES", "SUFFIXES", "InventoryError", "InventoryModel", "ResourceModel",
           "describe_validation_error", "dump_inventory", "fingerprint", "line_for", "load_inventory",
           "load_inventory_while", "parse_inventory", "parse_inventory_files", "read_yaml_file", "source_lines"]

SUFFIXES = (".yaml", ".yml", ".json")
T = TypeVar("T")


class InventoryError(ReconError):
    """An inventory file could not be read, parsed or validated."""


class ResourceModel(BaseModel):
    """One resource in an inventory file."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, description="resource type, e.g. A, role, rule")
    name: str = Field(min_length=1, description="name, unique per kind inside the loop's scope")
    # Required, even when empty (`spec: {}`): a file cut after a resource's name must not load as
    # that resource with no fields, which would plan an update that empties it.
    spec: dict[str, Any] = Field(description="the resource's fields; write `spec: {}` for none")
    owner: str | None = Field(None, description="owner marker of the loop that manages it")

    @field_validator("kind", "name", mode="before")
    @classmethod
    def _str(cls, v: Any) -> Any:
        # An unquoted integer reads back as written (the parsers refuse 0127, 0x1F, 1_000), so `name: 42`
        # is the name "42". A float need not (1e3 is 1000.0): it must be quoted.
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, float):
            raise ValueError(f"a number ({v!r}) is not a name; quote it to write the text exactly")
        return v


class InventoryModel(BaseModel):
    """An inventory file: `resources: [{kind, name, spec, owner}, ...]`, optionally `count: N` and
    `observed_at: TIME` (written by `recon snapshot`; read by `recon calibrate`, ignored here)."""

    model_config = ConfigDict(extra="forbid")
    count: int | None = Field(None, ge=0, strict=True,
                              description="how many resources the file holds; when given, the loader checks it, "
                                          "so a file cut short is an error")
    resources: list[ResourceModel]
    observed_at: str | None = Field(None, description="when a snapshot was observed (ISO 8601); "
                                                      "ignored for desired state")


def _decode(text: str, name: str) -> Any:
    """Parse inventory text (JSON or YAML) into plain data; errors name the file and line."""
    if not text.strip():
        raise InventoryError(f"{name}: file is empty; write `resources: []` for an empty state")
    return parse_document(text, name, InventoryError)


def parse_inventory(text: str, path: str | os.PathLike[str] = "<inline>") -> list[Resource]:
    """Parse and validate inventory text; errors name *path*, line and field."""
    return _validate(_decode(text, str(path)), text, str(path))


def _validate(data: Any, text: str, name: str) -> list[Resource]:
    """The resources of parsed inventory *data*, which this consumes: each entry is dropped once frozen."""
    if not isinstance(data, dict):
        raise InventoryError(f"{name}:1: expected a mapping with a 'resources' list, got {value_kind(data)}")
    items, declared = _entries(data, name, text)
    seen: dict[tuple[str, str], int] = {}
    out = []
    for i, (kind, rname, spec, owner) in enumerate(items):
        k = (kind, rname)
        if k in seen:
            lines = source_lines(text, [("resources", i), ("resources", seen[k])], name)
            raise InventoryError(
                f"{name}:{line_for(lines, ('resources', i)) or '?'}: duplicate resource {kind}/{rname} "
                f"(first at resources[{seen[k]}], line {line_for(lines, ('resources', seen[k])) or '?'})")
        seen[k] = i
        try:
            out.append(Resource(kind, rname, spec, owner))  # Resource freezes a plain spec itself, in one copy
        except ValueError as e:  # a key the model refuses (control characters): name the line
            lines = source_lines(text, [("resources", i)], name)
            raise InventoryError(f"{name}:{line_for(lines, ('resources', i)) or '?'}: field resources.{i}: {e}") from None
        # The frozen copy replaces the parsed entry: dropping it now nearly halves a large file's peak memory.
        items[i] = None
    if declared is not None and declared != len(out):
        raise InventoryError(f"{name}: declares count: {declared} but holds {plural(len(out), 'resource')} "
                             "(cut short or written while being read?)")
    return out


# The fast path's tests, read off the models: the models stay the one definition of the fields.
_PLAIN_FILE = PlainCheck(InventoryModel)
_PLAIN_ENTRY = PlainCheck(ResourceModel)


def _entries(data: dict[str, Any], name: str, text: str) -> tuple[list[Any], int | None]:
    """Each entry as (kind, name, spec, owner), in the file's own list, and the declared count.

    Plain entries pass the checks derived from the models (fast on large files); an unusual entry
    is validated by pydantic alone, an unusual top level as a whole, and their errors name the field."""
    if _PLAIN_FILE(data):
        items, declared = data["resources"], data.get("count")
    else:
        try:
            model = InventoryModel.model_validate(data)
        except ValidationError as e:
            raise InventoryError(describe_validation_error(e, name, text, model=InventoryModel)) from None
        items, declared = model.resources, model.count
    for i, it in enumerate(items):
        if type(it) is not ResourceModel and _PLAIN_ENTRY(it):
            items[i] = (it["kind"], it["name"], it["spec"], it.get("owner"))
            continue
        try:  # one unusual entry is validated alone: a whole large file through pydantic costs seconds
            r = it if type(it) is ResourceModel else ResourceModel.model_validate(it)
        except ValidationError as e:
            raise InventoryError(describe_validation_error(e, name, text, ("resources", i), model=ResourceModel)) from None
        items[i] = (r.kind, r.name, r.spec, r.owner)
    return items, declared


def _files(path: Path) -> list[Path]:
    return inventory_files(path, SUFFIXES, InventoryError)


def load_inventory(path: str | os.PathLike[str], decoded: Mapping[Path, Any] | None = None) -> DesiredState:
    """Load one inventory file or every inventory file under a folder, as one state.

    *decoded* maps files to data already parsed from their text (see :func:`load_inventory_while`)."""
    root = Path(path)
    read: list[tuple[Path, bytes]] = []

    def texts() -> Iterator[tuple[str, str, Any]]:
        for f in _files(root):
            text, raw = _read(f)
            read.append((f, raw))
            yield str(f), text, decoded[f] if decoded is not None and f in decoded else _UNPARSED

    resources = _merge(texts())
    return DesiredState.of(resources, source=str(root), version=digest_files(read).version, loaded_at=time.time())


def parse_inventory_files(files: Iterable[tuple[str, str]]) -> list[Resource]:
    """The resources of inventory texts given as (name, text), in order, as one state: a resource
    defined in two of them is an error naming both (for files read from elsewhere than the disk)."""
    return _merge((name, text, _UNPARSED) for name, text in files)


_UNPARSED = object()


def _merge(files: Iterable[tuple[str, str, Any]]) -> list[Resource]:
    resources: list[Resource] = []
    origin: dict[tuple[str, str], str] = {}
    for name, text, data in files:
        for r in _validate(_decode(text, name) if data is _UNPARSED else data, text, name):
            if r.key in origin:
                raise InventoryError(f"{name}: resource {r.kind}/{r.name} is also defined in {origin[r.key]}")
            origin[r.key] = name
            resources.append(r)
    return resources


def fingerprint(path: str | os.PathLike[str]) -> FilesDigest:
    """The digest of an inventory's files without parsing them: equal fingerprints, equal desired states."""
    return digest_files((f, read_input(f, "inventory", InventoryError)) for f in _files(Path(path)))


def _read(f: Path) -> tuple[str, bytes]:
    return read_text_input(f, "inventory", InventoryError)


def _decode_file(path: str) -> Any:
    return _decode(_read(Path(path))[0], path)


def load_inventory_while(path: str | os.PathLike[str], work: Callable[[], T]) -> tuple[DesiredState, T]:
    """Load an inventory and run *work* (typically observing the provider) at the same time.

    On a machine with a spare core, YAML files of at least PARALLEL_MIN_BYTES are parsed in a forked
    worker (:mod:`recon.sources.parallel`) while *work* runs here; other files load in line. Errors
    are the same as :func:`load_inventory`'s, and an inventory error is raised before any error of
    *work*. Call it only from a single-threaded process (the command line), as forking requires.
    """
    big = worth_forking(_files(Path(path)))
    if not big:
        state = load_inventory(path)
        return state, work()
    decoded, result, failure = parse_while(big, _decode_file, work, InventoryError)
    state = load_inventory(path, decoded)
    if failure is not None:
        raise failure
    return state, result  # type: ignore[return-value]
