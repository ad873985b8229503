"""Loop configuration files (LOOP.yaml): one desired source, one provider, one policy.

```yaml
name: dns-example
provider: {type: dns, zone: example.test, server: 127.0.0.1, port: 5353}
desired: {path: desired.yaml}
owner_id: dns-loop
guards: {max_deletes: {max: 5}}
```

Paths are relative to the config file. Real providers only observe; ``mode: enforce`` is accepted
only for providers that can write (the in-memory one, for examples and simulation).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from recon.approvers import Approver, StoreApprover, approver_named
from recon.core.errors import ReconError
from recon.core.policy import APPROVAL_TTL, Alerts, Convergence, Guards, Policy, RunMode
from recon.drivers.loop import Loop
from recon.providers.base import Actuator, Observer, ProviderError, build_observer
from recon.providers.snapshot import SnapshotObserver
from recon.sources.callable import FileSource, Source
from recon.sources.inventory import describe_validation_error, read_yaml_file
from recon.sources.registry import build_source, desired_config_type
from recon.store.sqlite import StateStore


class ConfigError(ReconError):
    pass


_LOOP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_loop_name(name: str) -> str:
    """Return *name* if it is a loop identifier; a loop name becomes a file name (its state store,
    its event log), so nothing that could leave the folder or make a new one is accepted."""
    if _LOOP_NAME.fullmatch(name) is None or ".." in name:
        raise ValueError(f"loop name {name!r} is not an identifier: 1 to 64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit, without '..'")
    return name


LoopName = Annotated[str, AfterValidator(check_loop_name)]


class ProviderConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(description="provider name from the registry: memory, snapshot, dns, postgres, nftables, "
                                  "aws-security-group, aws-route53, files, kubernetes-export")


# `desired: {type: NAME, ...}`, one model per registered source type; without `type`, an inventory.
DesiredConfig = desired_config_type()


class LoopConfig(BaseModel):
    """A loop: desired source + provider + policy, scoped to one bounded domain."""

    model_config = ConfigDict(extra="forbid")
    name: LoopName | None = Field(None, description="loop name (letters, digits, '.', '_', '-'); "
                                                    "defaults to the config file's stem")
    provider: ProviderConfig
    desired: DesiredConfig  # type: ignore[valid-type]  # a union built from the registry
    mode: Literal["observe-only", "enforce"] = "observe-only"  # a RunMode; spelled out for the schema
    sync: Convergence = Field(Convergence.SYNC, description="sync, upsert-only (never delete) or create-only")
    owner_id: str | None = None
    guards: Guards = Guards()
    alerts: Alerts = Alerts()
    approval_ttl: float = Field(APPROVAL_TTL, gt=0, description="seconds an approval stays valid")
    approver: Literal["store", "deny-all", "approve-all"] = "store"
    state: str | None = Field(None, description="SQLite state store; default .recon/<name>.db beside the config")
    events: str | None = Field(None, description="JSONL event log for watch; default .recon/<name>.events.jsonl")
    interval: float = Field(60.0, gt=0)
    jitter: float = Field(0.1, ge=0, lt=1)

    _origin: Path | None = PrivateAttr(None)

    def state_path(self, base: Path) -> Path:
        """Where this loop's state store lives: `state:` relative to the config, or .recon/<name>.db."""
        return base / (self.state or f".recon/{self.name}.db")

    def policy(self) -> Policy:
        return loop_policy(self.sync, self.owner_id, self.guards, self.alerts, self.approval_ttl)


def loop_policy(sync: Convergence | str = Convergence.SYNC, owner_id: str | None = None,
                guards: Guards | Mapping[str, Any] = Guards(), alerts: Alerts = Alerts(),
                approval_ttl: float = APPROVAL_TTL) -> Policy:
    """A loop's policy from the keys a loop config gives it (*guards* as its `guards:` mapping, each
    guard's settings over the defaults, or ``false``); `recon plan --desired/--observed` builds its
    policy from its options here too."""
    return Policy(convergence=Convergence(sync), owner_id=owner_id,
                  guards=guards if isinstance(guards, Guards) else Guards.model_validate(guards),
                  alerts=alerts, approval_ttl=approval_ttl)


def load_loop_config(path: str | os.PathLike[str]) -> tuple[LoopConfig, Path]:
    p = Path(path)
    data, text = read_yaml_file(p, "loop config", ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a loop config is a mapping with provider, desired and guards")
    try:
        cfg = LoopConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(describe_validation_error(e, str(p), text, model=LoopConfig)) from None
    if cfg.name is None:
        try:
            cfg = cfg.model_copy(update={"name": check_loop_name(p.stem)})
        except ValueError as e:
            raise ConfigError(f"{p}: {e} (the name comes from the file name; set name: in the config)") from None
    cfg._origin = p
    return cfg, p.parent.resolve()


def build_loop(cfg: LoopConfig, base: Path, store: StateStore | None = None) -> Loop:
    """Build the loop a config describes. Real providers yield an observe-only loop, always."""
    assert cfg.name is not None
    try:
        observer = build_observer(cfg.provider.model_dump(), base)
    except Exception as e:  # name the config the settings came from, whatever the provider raised
        msg = str(e) if isinstance(e, ProviderError) else f"provider {cfg.provider.type}: {type(e).__name__}: {e}"
        raise ConfigError(f"{cfg._origin}: {msg}" if cfg._origin else msg) from None
    try:
        source = build_source(cfg.desired, base)
    except ReconError as e:  # settings a source refuses before reading anything (a URL with a password)
        raise ConfigError(f"{cfg._origin}: {e}" if cfg._origin else str(e)) from None
    actuator = None
    if RunMode(cfg.mode) is RunMode.ENFORCE:
        if not isinstance(observer, Actuator):
            raise ConfigError(f"loop {cfg.name}: provider {cfg.provider.type!r} is observe-only; "
                              "enforce mode exists only for the simulation's writable providers")
        actuator = observer
    # An observer that reads ownership from a marker of its own (kubernetes-export's owner.value) gives
    # the loop its owner id, so objects without that marker are never delete candidates.
    marker_owner = getattr(observer, "owner_id", None)
    if marker_owner is not None:
        if cfg.owner_id not in (None, marker_owner):
            raise ConfigError(f"{cfg._origin}: owner_id {cfg.owner_id!r} differs from the provider's owner value "
                              f"{marker_owner!r}; give one of them")
        if not cfg.guards.ownership.enabled:
            raise ConfigError(f"{cfg._origin}: provider {cfg.provider.type} reads ownership from owner markers; "
                              "guards.ownership cannot be disabled for it (unmarked objects are never deleted)")
        cfg = cfg.model_copy(update={"owner_id": marker_owner})
    if store is None:
        store = StateStore(cfg.state_path(base))
    policy = cfg.policy()
    return _loop(cfg.name, source, observer, policy, store,
                 approver_named(cfg.approver, store, policy.approval_ttl), actuator)


def inventory_loop(name: str, desired: Path, observed: Path, policy: Policy, store: StateStore) -> Loop:
    """An observe-only loop over two inventories, *desired* and an *observed* snapshot, whose approval
    requests and kill switch live in *store*: what `recon plan --desired --observed` plans."""
    return _loop(name, FileSource(desired), SnapshotObserver(observed), policy, store, StoreApprover(store))


def _loop(name: str, source: Source, observer: Observer, policy: Policy, store: StateStore, approver: Approver,
          actuator: Actuator | None = None) -> Loop:
    """The one assembly of a loop's parts: its kill switch is the store's switch for its name."""
    return Loop(name=name, source=source, observer=observer, policy=policy, actuator=actuator, approver=approver,
                kill_switch=lambda: store.kill_switch(name), store=store)
