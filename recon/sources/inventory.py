"""Inventory files (YAML or JSON, one file or a folder of them) as desired state or snapshots.

Every failure raises :class:`InventoryError` naming the file, the line and the field. A file that
is empty or lacks ``resources`` is an error; only an explicit ``resources: []`` is an empty state.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Resource, freeze
from recon.sources import jsonread, yamlread
from recon.sources.atomic import write_text_atomic
from recon.sources.listing import inventory_files
from recon.sources.readfile import read_input, read_text_input
from recon.sources.yamlread import ParseError

SUFFIXES = (".yaml", ".yml", ".json")


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
    """An inventory file: `resources: [{kind, name, spec, owner}, ...]`, optionally `count: N`."""

    model_config = ConfigDict(extra="forbid")
    count: int | None = Field(None, ge=0, strict=True,
                              description="how many resources the file holds; when given, the loader checks it, "
                                          "so a file cut short is an error")
    resources: list[ResourceModel]


def source_lines(text: str, paths: Iterable[tuple[Any, ...]], name: str = "") -> dict[tuple[Any, ...], int]:
    """The 1-based lines of *paths* (tuples of keys and indexes) in YAML, or JSON for a *name* ending
    in .json: a second pass over the text, made only for an error."""
    return (jsonread.lines_for if name.endswith(".json") else yamlread.lines_for)(text, paths)


def line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def describe_validation_error(e: ValidationError, name: str, text: str | None,
                              prefix: tuple[Any, ...] = (),
                              overrides: Mapping[tuple[str, ...], str] | None = None) -> str:
    """Pydantic's errors as `file:line: field a.b.c: message`, lines found in the YAML source.

    A field under a path set on the command line (*overrides*: dotted path parts → the option as
    typed) is blamed on that option instead of on a line of the file."""
    shown = e.errors()[:5]
    lines = source_lines(text, [prefix + tuple(err["loc"]) for err in shown], name) if text is not None else {}
    msgs = []
    for err in shown:
        loc = prefix + tuple(err["loc"])
        field = ".".join(str(x) for x in loc) or "(top level)"
        parts = tuple(str(x) for x in loc)
        option = next((o for path, o in (overrides or {}).items() if parts[:len(path)] == path), None)
        if option is not None:
            msgs.append(f"{option}: field {field}: {err['msg']}")
            continue
        line = line_for(lines, loc) if lines else None
        msgs.append(f"{name}:{line or '?'}: field {field}: {err['msg']}")
    more = f" (and {e.error_count() - 5} more)" if e.error_count() > 5 else ""
    return "; ".join(msgs) + more


def read_yaml_file(path: Path, what: str, error: type[ReconError] = ReconError) -> tuple[Any, str]:
    """Read and parse a YAML file; return (data, text). Errors (raised as *error*) name the file,
    the line, and what the file was meant to be (*what*: "loop config", "scenario", ...)."""
    text, _ = read_text_input(path, what, error)
    try:
        return yamlread.parse_yaml(text), text
    except ParseError as e:
        raise error(_where(str(path), e)) from None


def _where(name: str, e: ParseError) -> str:
    return f"{name}:{e.line}: {e.message}" if e.line else f"{name}: {e.message}"


def _decode(text: str, name: str) -> Any:
    """Parse inventory text (JSON or YAML) into plain data; errors name the file and line."""
    if not text.strip():
        raise InventoryError(f"{name}: file is empty; write `resources: []` for an empty state")
    # By suffix only: YAML reads JSON too, and a YAML flow mapping also starts with "{".
    try:
        return jsonread.parse_json(text) if name.endswith(".json") else yamlread.parse_yaml(text)
    except ParseError as e:
        raise InventoryError(_where(name, e)) from None


def parse_inventory(text: str, path: str | os.PathLike[str] = "<inline>") -> list[Resource]:
    """Parse and validate inventory text; errors name *path*, line and field."""
    return _validate(_decode(text, str(path)), text, str(path))


def _validate(data: Any, text: str, name: str) -> list[Resource]:
    """The resources of parsed inventory *data*, which this consumes: each entry is dropped once frozen."""
    if not isinstance(data, dict):
        raise InventoryError(f"{name}:1: expected a mapping with a 'resources' list, got {type(data).__name__}")
    items = _plain_items(data, name, text)
    try:
        model = InventoryModel.model_validate(data) if items is None else None
    except ValidationError as e:
        raise InventoryError(describe_validation_error(e, name, text)) from None
    seen: dict[tuple[str, str], int] = {}
    out = []
    models = model.resources if model is not None else items
    assert models is not None
    raw = data["resources"] if items is not None else None
    for i, r in enumerate(models):
        k = (r.kind, r.name)
        if k in seen:
            lines = source_lines(text, [("resources", i), ("resources", seen[k])], name)
            raise InventoryError(
                f"{name}:{line_for(lines, ('resources', i)) or '?'}: duplicate resource {r.kind}/{r.name} "
                f"(first at resources[{seen[k]}], line {line_for(lines, ('resources', seen[k])) or '?'})")
        seen[k] = i
        try:
            out.append(Resource(r.kind, r.name, freeze(r.spec), r.owner))
        except ValueError as e:  # a key the model refuses (control characters): name the line
            lines = source_lines(text, [("resources", i)], name)
            raise InventoryError(f"{name}:{line_for(lines, ('resources', i)) or '?'}: field resources.{i}: {e}") from None
        # The frozen copy replaces the parsed entry: dropping it now nearly halves a large file's peak memory.
        models[i] = None  # type: ignore[call-overload]
        if raw is not None:
            raw[i] = None
    declared = model.count if model is not None else data.get("count")
    if declared is not None and declared != len(out):
        raise InventoryError(f"{name}: declares count: {declared} but holds {len(out)} resources "
                             "(cut short or written while being read?)")
    return out


_FIELDS = frozenset(ResourceModel.model_fields)
_TOP = frozenset(InventoryModel.model_fields)


class _Plain:
    """A resource entry already known to satisfy ResourceModel, without building the model."""

    __slots__ = ("kind", "name", "spec", "owner")

    def __init__(self, kind: str, name: str, spec: dict[str, Any], owner: str | None) -> None:
        self.kind, self.name, self.spec, self.owner = kind, name, spec, owner


def _plain_items(data: dict[str, Any], name: str, text: str) -> list[_Plain | ResourceModel] | None:
    """The entries of an inventory, each checked by plain type tests (fast on large files) or, when
    unusual, by pydantic alone, whose error names the field at fault; None when the top level is
    unusual (then pydantic validates the whole file)."""
    items, count = data.get("resources"), data.get("count")
    if (not _TOP.issuperset(data) or type(items) is not list
            or (count is not None and (type(count) is not int or count < 0))):
        return None
    out: list[_Plain | ResourceModel] = []
    for i, it in enumerate(items):
        if type(it) is dict and _FIELDS.issuperset(it) and "spec" in it:
            kind, rname, spec, owner = it.get("kind"), it.get("name"), it["spec"], it.get("owner")
            if (type(kind) is str and kind and type(rname) is str and rname and type(spec) is dict
                    and (owner is None or type(owner) is str)):  # keys are text: the readers make them so
                out.append(_Plain(kind, rname, spec, owner))
                continue
        try:  # one unusual entry is validated alone: a whole large file through pydantic costs seconds
            out.append(ResourceModel.model_validate(it))
        except ValidationError as e:
            raise InventoryError(describe_validation_error(e, name, text, ("resources", i))) from None
    return out


def _files(path: Path) -> list[Path]:
    return inventory_files(path, SUFFIXES, InventoryError)


def load_inventory(path: str | os.PathLike[str], decoded: Mapping[Path, Any] | None = None) -> DesiredState:
    """Load one inventory file or every inventory file under a folder, as one state.

    *decoded* maps files to data already parsed from their text (see :func:`load_inventory_while`)."""
    root = Path(path)
    digest = hashlib.sha256()
    resources: list[Resource] = []
    origin: dict[tuple[str, str], Path] = {}
    for f in _files(root):
        text, raw = _read(f)
        digest.update(raw)
        data = decoded[f] if decoded is not None and f in decoded else _decode(text, str(f))
        for r in _validate(data, text, str(f)):
            if r.key in origin:
                raise InventoryError(f"{f}: resource {r.kind}/{r.name} is also defined in {origin[r.key]}")
            origin[r.key] = f
            resources.append(r)
    return DesiredState.of(resources, source=str(root), version=digest.hexdigest()[:12], loaded_at=time.time())


def fingerprint(path: str | os.PathLike[str]) -> str:
    """A digest of an inventory's file names and bytes: equal fingerprints, equal desired states."""
    h = hashlib.sha256()
    for f in _files(Path(path)):
        raw = read_input(f, "inventory", InventoryError)
        h.update(str(f).encode() + b"\0" + len(raw).to_bytes(8, "big") + raw)
    return h.hexdigest()


def _read(f: Path) -> tuple[str, bytes]:
    return read_text_input(f, "inventory", InventoryError)


# YAML files at least this large are parsed in a worker process by load_inventory_while.
PARALLEL_MIN_BYTES = 512 * 1024
T = TypeVar("T")


def _decode_file(path: str) -> Any:
    return _decode(_read(Path(path))[0], path)


def load_inventory_while(path: str | os.PathLike[str], work: Callable[[], T]) -> tuple[DesiredState, T]:
    """Load an inventory and run *work* (typically observing the provider) at the same time.

    PyYAML builds its objects in Python, so a large YAML inventory costs seconds of CPU. On a machine
    with a spare core, files of at least PARALLEL_MIN_BYTES are parsed in a forked worker process
    while *work* runs here; small files, JSON files and single-core machines load in line. Errors are
    the same as :func:`load_inventory`'s, and an inventory error is raised before any error of *work*.
    Call it only from a single-threaded process (the command line), as forking requires.
    """
    files = _files(Path(path))
    big = [f for f in files if f.suffix != ".json" and f.stat().st_size >= PARALLEL_MIN_BYTES]
    if not big or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        state = load_inventory(path)
        return state, work()
    decoded: dict[Path, Any] = {}
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        futures = {f: pool.submit(_decode_file, str(f)) for f in big}
        try:
            result, failure = work(), None
        except Exception as e:  # report the inventory's own error first, as a sequential load would
            result, failure = None, e
        for f, fut in futures.items():
            try:
                decoded[f] = fut.result()
            except InventoryError:
                raise
            except Exception:  # a broken worker: parse that file here instead
                pass
    state = load_inventory(path, decoded)
    if failure is not None:
        raise failure
    return state, result  # type: ignore[return-value]


def dump_inventory(resources: Iterable[Resource], path: str | os.PathLike[str]) -> None:
    """Write resources as an inventory file (YAML, or JSON for a .json path), atomically."""
    p = Path(path)
    data = {"resources": [r.to_dict() for r in sorted(resources, key=lambda r: r.key)]}
    text = json.dumps(data, indent=1) + "\n" if p.suffix == ".json" else yaml.dump(data, Dumper=_Dumper, sort_keys=False)
    write_text_atomic(p, text)
