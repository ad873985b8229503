"""Desired state from an octoDNS config: one zone, read through octoDNS itself.

``desired: {type: octodns, config: FILE, zone: NAME}`` loads the config with octoDNS's Manager,
populates the zone from the sources the config lists for it (its YAML provider or any other),
runs the zone's processors and octoDNS's own validation, exactly as ``octodns-sync`` builds the
desired side of its plan. Each record becomes the resource the ``dns`` observer reports for it:
``kind`` the record type, ``name`` relative to the zone (``@`` for the apex, lower case), ``spec``
``{ttl, values}`` with the values in presentation form. octoDNS resolves the relative paths of its
config (a YAML provider's ``directory``) against the folder it runs in: recon runs it in ``workdir``,
by default the loop config's folder, as ``octodns-sync`` run from there. octoDNS is an optional extra; without it,
or when octoDNS raises, loading fails with one line naming the config and the zone, never with a
short or empty state. This module reads; it never builds a plan for, or writes to, a target.
"""

from __future__ import annotations

import hashlib
import json
import contextlib
import logging
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Resource
from recon.core.redact import redact
from recon.sources.readfile import read_input

INSTALL_HINT = "install the octodns extra: pip install 'recon[octodns]'"


class OctodnsError(ReconError):
    """The octoDNS config or zone could not be read; the message names both."""


class OctodnsDesired(BaseModel):
    """``desired:`` of a loop whose desired state is a zone of an octoDNS config."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["octodns"]
    config: str = Field(min_length=1, description="octoDNS config file (its YAML), relative to the loop config")
    zone: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.*-]+$",
                      description="zone as the octoDNS config names it, e.g. example.test (final dot optional)")
    workdir: str = Field(".", min_length=1, description="folder octodns-sync runs in, which the octoDNS config's "
                                                        "relative paths start from; relative to the loop config")


class OctodnsSource:
    """Loads one zone of an octoDNS config on every call, through octoDNS's Manager."""

    def __init__(self, config: Path, zone: str, workdir: Path | None = None) -> None:
        self.config = config
        self.workdir = workdir if workdir is not None else config.parent
        self.zone = zone.rstrip(".").lower() + "."
        self.name = f"octodns:{config}#{self.zone}"

    def _where(self) -> str:
        return f"octoDNS config {self.config} zone {self.zone}"

    def load(self) -> DesiredState:
        # The bounded reader first: a FIFO, a folder or a huge file named as the config fails here,
        # in recon's words, before octoDNS opens it.
        read_input(self.config, "octoDNS config", OctodnsError)
        if not self.workdir.is_dir():
            raise OctodnsError(f"{self._where()}: workdir {self.workdir}: no such folder")
        records = self._records()
        resources = [Resource(kind, name, {"ttl": ttl, "values": values}) for kind, name, ttl, values in records]
        digest = hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()[:12]
        return DesiredState.of(resources, source=self.name, version=digest, loaded_at=time.time())

    def _records(self) -> list[tuple[str, str, int, list[str]]]:
        try:
            from octodns.manager import Manager
        except ImportError:
            raise OctodnsError(f"{self._where()}: desired type octodns needs octoDNS; {INSTALL_HINT}") from None
        try:
            config = str(self.config.resolve())
            # The loop runs in one thread: changing the working directory for the read is safe here.
            with _quiet_octodns(), contextlib.chdir(self.workdir):
                manager = Manager(config)
                zone = self._populate(manager)
                records = [_record(r) for r in zone.records]
        except OctodnsError:
            raise
        except Exception as e:  # octoDNS's own errors (ManagerException, ValidationError, YAML, I/O)
            # Redacted: octoDNS may quote a provider's settings, and a target's settings hold its credentials.
            raise OctodnsError(f"{self._where()}: octoDNS: {type(e).__name__}: {redact(_one_line(e))}") from None
        return sorted(records)

    def _populate(self, manager: Any) -> Any:
        """The zone's desired side as octodns-sync builds it: sources, processors, validation."""
        zones = manager.config.get("zones") or {}
        config = zones.get(self.zone)
        if config is None:
            known = ", ".join(sorted(str(z) for z in zones)) or "none"
            raise OctodnsError(f"{self._where()}: the config declares no such zone (zones: {known})")
        if config.get("alias"):  # an alias zone holds the records of the zone it names
            target = config["alias"]
            config = zones.get(target) or {}
        else:
            target = self.zone
        sources = manager._get_sources(target, config, [])
        if not sources:
            raise OctodnsError(f"{self._where()}: the zone lists no sources")
        processors = manager._get_processors(target, config)
        _plans, zone = manager._populate_and_plan(target, processors, sources, [])
        return zone


def _record(r: Any) -> tuple[str, str, int, list[str]]:
    """One octoDNS record as (type, relative name, ttl, presentation-form values)."""
    rrset = r.to_rrset()
    return r._type, (r.name or "@").lower(), int(r.ttl), sorted(str(v) for v in rrset.rdatas)


class _quiet_octodns:
    """octoDNS logs each step, under loggers of its classes' names ('Manager', 'YamlProvider[id]'), and
    warns about an unconfigured root NS; recon reports the outcome itself, so they are muted meanwhile."""

    def __enter__(self) -> None:
        self.previous = logging.root.manager.disable
        logging.disable(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        logging.disable(self.previous)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def build(cfg: OctodnsDesired, base: Path) -> OctodnsSource:
    """The source a loop config's ``desired: {type: octodns, ...}`` describes; paths relative to *base*."""
    p, w = Path(cfg.config).expanduser(), Path(cfg.workdir).expanduser()
    return OctodnsSource(p if p.is_absolute() else base / p, cfg.zone, w if w.is_absolute() else base / w)
