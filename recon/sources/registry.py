"""The desired-state source types a loop config's ``desired:`` names, and the one place that builds them.

``desired: {type: NAME, ...}``: :data:`DESIRED_TYPES` maps each NAME to a :class:`DesiredType`, the
pydantic model of its settings (whose ``type`` field is ``Literal[NAME]``) and the builder that
turns validated settings and the config's folder into a :class:`~recon.sources.callable.Source`.
A mapping without ``type`` is an inventory (``desired: {path: FILE}``), so older configs read as
before. Adding a source type is one entry here and one module beside this one; this module reads
no input itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from recon.sources.callable import FileSource, Source
from recon.sources import kubernetes, octodns
from recon.sources.git import GitDesired, build_git_source
from recon.sources.sql import SqlDesired, build_sql_source

__all__ = ["DESIRED_TYPES", "DesiredType", "InventoryDesired", "build_source", "desired_config_type"]


class InventoryDesired(BaseModel):
    """Inventory files on disk: one file or a folder of them."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["inventory"] = "inventory"
    path: str = Field(description="inventory file or folder, relative to the loop config")


class DesiredType(NamedTuple):
    """One source type: the *model* of its ``desired:`` settings and the *build* function
    ``(settings, config folder) -> Source``."""

    model: type[BaseModel]
    build: Callable[[Any, Path], Source]


def _inventory(cfg: InventoryDesired, base: Path) -> Source:
    return FileSource(base / cfg.path)


DESIRED_TYPES: dict[str, DesiredType] = {
    "inventory": DesiredType(InventoryDesired, _inventory),
    "git": DesiredType(GitDesired, build_git_source),
    "sql": DesiredType(SqlDesired, build_sql_source),
    "octodns": DesiredType(octodns.OctodnsDesired, octodns.build),
    "kubernetes": DesiredType(kubernetes.KubernetesDesired, kubernetes.build),
}


def _default_type(value: Any) -> Any:
    # `desired: {path: ...}` predates the types: it stays an inventory.
    if isinstance(value, Mapping) and "type" not in value:
        return {"type": "inventory", **value}
    return value


def desired_config_type() -> Any:
    """The annotation of ``LoopConfig.desired``: the union of the registered models, told apart by ``type``."""
    models = tuple(t.model for t in DESIRED_TYPES.values())
    union = Union[models] if len(models) > 1 else models[0]  # noqa: UP007 (built at run time)
    return Annotated[Annotated[union, Field(discriminator="type")], BeforeValidator(_default_type)]


def build_source(cfg: BaseModel, base: Path) -> Source:
    """The source *cfg* (a validated model of :data:`DESIRED_TYPES`) describes; paths relative to *base*."""
    name = getattr(cfg, "type")
    entry = DESIRED_TYPES.get(name)
    if entry is None or not isinstance(cfg, entry.model):
        raise TypeError(f"desired type {name!r} is not registered with this model")
    return entry.build(cfg, base)
