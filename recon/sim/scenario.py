"""Scenario files: the pydantic schema of a simulation, and loading it with ``--set`` overrides.

A scenario describes a world (how many resources, in which groups), one loop template under
``loop`` (period, jitter, policy with its guards under ``loop.guards.<name>``, approver), optionally
several ``loops`` with their own scopes, the fake provider's faults, desired-state failures, drift,
and the humans. This module validates; it never runs anything and never draws a random number.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel, Field, SerializerFunctionWrapHandler, ValidationError, ValidationInfo, field_validator, model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from recon.config import LoopName
from recon.core.errors import ReconError
from recon.core.model import key_problem
from recon.core.policy import APPROVAL_TTL, Alerts, Convergence, Guards, Policy, Selector
from recon.sim.distributions import Dist
from recon.sim.limits import MODEL_CONFIG, Count, Limits, Real, excesses, refusal
from recon.sim.script import ScriptStep, Typo, check_order
from recon.sources.document import describe_validation_error, read_yaml_file
from recon.sources.validation import value_kind
from recon.sources.yamlread import ParseError, parse_yaml


class ScenarioError(ReconError):
    """A scenario file or override is invalid; the message names the file, line and field."""


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class WorldSpec(_Model):
    resources: Count = Field(200, ge=0, description="managed resources the intended desired state holds")
    kinds: tuple[str, ...] = Field(("rule",), min_length=1, description="resource kinds, assigned round-robin")
    groups: tuple[str, ...] = Field(("fw",), min_length=1,
                                    description="name prefixes (zones, VPCs); resources are spread over them")
    foreign: Count = Field(0, ge=0, description="resources someone else owns in the same scope (must stay)")
    initially_missing: Count = Field(0, ge=0, description="managed resources absent at t=0: a backlog to create")

    @field_validator("kinds", "groups")
    @classmethod
    def _printable(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        # kinds and group prefixes become resource keys: refuse what keys refuse, here, with the line
        for v in values:
            problem = key_problem(v, "")
            if problem:
                raise ValueError(problem)
        return values

    @field_validator("initially_missing")
    @classmethod
    def _missing_within(cls, value: int, info: ValidationInfo) -> int:
        resources = info.data.get("resources")
        if resources is not None and value > resources:
            raise ValueError(f"{value} resources cannot be missing out of world.resources {resources}")
        return value


class ApproverSpec(_Model):
    type: Literal["deny-all", "approve-all", "human"] = "deny-all"
    latency: Dist = Field(default_factory=lambda: Dist(dist="exponential", mean=600.0),
                          description="how long the human takes to answer a request (seconds)")
    p_approve_legit: Real = Field(0.95, ge=0, le=1, description="chance a legitimate delete set is approved")
    p_approve_bogus: Real = Field(0.05, ge=0, le=1, description="chance a bogus delete set is approved")
    ttl: Real = Field(APPROVAL_TTL, gt=0, description="seconds an approval stays valid")


class LoopSpec(_Model):
    """A loop template. In ``loops`` entries, only the fields given override the template."""

    name: LoopName = "loop"
    scope: Selector = Field(default_factory=Selector, description="which resources this loop owns (globs)")
    period: Real = Field(60.0, gt=0, description="seconds between cycles")
    jitter: Real = Field(0.0, ge=0, lt=1, description="± fraction of the period, uniform")
    offset: Real = Field(0.0, ge=0, description="time of the first cycle")
    triggered: bool = Field(False, description="also run a cycle when drift in scope is noticed (watch events)")
    mode: Literal["enforce", "observe-only"] = "enforce"  # a RunMode; spelled out for the schema
    sync: Convergence = Convergence.SYNC
    owner_id: str | None = None
    guards: Guards = Guards()
    alerts: Alerts = Alerts()
    retry_base: Real = Field(5.0, gt=0)
    retry_max: Real = Field(1000.0, gt=0)
    approver: ApproverSpec = ApproverSpec()

    def policy(self) -> Policy:
        return Policy(convergence=self.sync, owner_id=self.owner_id, guards=self.guards, alerts=self.alerts,
                      approval_ttl=self.approver.ttl, retry_base=self.retry_base, retry_max=self.retry_max)


class ThrottleSpec(_Model):
    rate: Real = Field(gt=0, description="server-side token bucket: calls per second")
    burst: Count = Field(10, ge=1, description="bucket size")
    max_retries: Count = Field(5, ge=0, description="429 retries (after Retry-After) before the call fails")


class PagesSpec(_Model):
    size: Count = Field(100, ge=1, description="items per list page")
    truncate_p: Real = Field(0.0, ge=0, le=1, description="chance a list stops early after a random page")
    on_truncate: Literal["silent", "flag"] = Field(
        "silent", description="silent: the paginator returns what it has as complete; flag: marked incomplete")
    token_ttl: Real | None = Field(None, gt=0, description="continuation tokens expire after this many seconds")
    on_token_expiry: Literal["flag", "silent"] = "flag"


class WatchSpec(_Model):
    """Watch-style observation, as Kubernetes informers do: a cache fed by a change feed, resynced by a
    full list every *resync* seconds; lists cost API calls only on resync."""

    resync: Real = Field(600.0, gt=0, description="seconds between full lists")
    delay: Dist = Field(default_factory=Dist, description="how late a change reaches the cache")
    drop_p: Real = Field(0.0, ge=0, le=1, description="chance a change notification is lost (until resync)")


class ProviderSpec(_Model):
    """The fake provider's faults. Every fault is off by default and they compose."""

    list_latency: Dist = Field(default_factory=Dist, description="per list page")
    apply_latency: Dist = Field(default_factory=Dist)
    delete_latency: Dist = Field(default_factory=Dist)
    error_p: Real = Field(0.0, ge=0, le=1, description="chance any call fails with a server error")
    timeout_p: Real = Field(0.0, ge=0, le=1, description="chance any call hangs until the client timeout")
    timeout: Real = Field(30.0, gt=0, description="client timeout (seconds)")
    throttle: ThrottleSpec | None = None
    pages: PagesSpec | None = None
    stale_p: Real = Field(0.0, ge=0, le=1, description="chance a list is served from a stale replica")
    stale_lag: Real = Field(120.0, ge=0, description="how old a stale replica is (seconds)")
    visibility_lag: Real = Field(0.0, ge=0, description="read-after-write lag: writes show in lists this late")
    watch: WatchSpec | None = Field(None, description="observe through a change feed instead of listing every cycle")


class DesiredEvent(_Model):
    """Something happens to the desired source at *at* for *duration* seconds (or for good)."""

    at: Real = Field(ge=0)
    kind: Literal["error", "empty", "partial", "rename", "migration"]
    duration: Real | None = Field(None, gt=0, description="how long the failure lasts; None: until the end")
    fraction: Real = Field(0.6, ge=0, le=1, description="partial: share of the list returned; "
                                                         "migration: share legitimately removed")
    scope: Selector = Field(default_factory=Selector, description="which resources are affected")
    typo: Typo = Field("x", description="rename: the prefix the typo adds to every name")

    @model_validator(mode="after")
    def _migration_is_permanent(self) -> DesiredEvent:
        if self.kind == "migration" and self.duration is not None:
            raise ValueError("a migration is a legitimate, permanent change: give no duration")
        return self


class Burst(_Model):
    at: Real = Field(ge=0)
    deletes: Count = Field(0, ge=0)
    edits: Count = Field(0, ge=0)
    creates: Count = Field(0, ge=0)
    scope: Selector = Field(default_factory=Selector)


class DriftSpec(_Model):
    delete_rate: Real = Field(0.0, ge=0, description="hand deletes per managed resource per second")
    edit_rate: Real = Field(0.0, ge=0, description="hand edits per managed resource per second")
    create_rate: Real = Field(0.0, ge=0, description="unmanaged resources created by hand per second (total)")
    only_clean: bool = Field(False, description="a resource drifts only while in sync (the dwell formula's model)")
    bursts: tuple[Burst, ...] = ()


class OnCallSpec(_Model):
    delay: Dist = Field(default_factory=lambda: Dist(dist="exponential", mean=300.0),
                        description="from the page to the kill switch")
    page_on_guards: tuple[str, ...] = Field((), description="guards whose trip pages, besides alerts")
    release_after: Dist | None = Field(None, description="how long until the switch is released; None: never")


class Scenario(_Model):
    """A simulation: world, loops, faults, failures, drift and humans."""

    name: str = "scenario"
    description: str = ""
    duration: Real = Field(3600.0, gt=0, description="simulated seconds")
    world: WorldSpec = WorldSpec()
    loop: LoopSpec = LoopSpec()
    loops: tuple[dict[str, Any], ...] = Field(
        (), description="several loops: each entry overrides fields of `loop` (at least name and scope)")
    provider: ProviderSpec = ProviderSpec()
    desired: tuple[DesiredEvent, ...] = ()
    script: tuple[ScriptStep, ...] = Field(
        (), description="a scripted desired source and list, step by step (recon worst-case writes these)")
    drift: DriftSpec = DriftSpec()
    oncall: OnCallSpec | None = None
    record_resources: bool = Field(True, description="keep per-resource drift episodes (off for huge worlds)")
    limits: Limits = Field(default_factory=Limits, description="refuse runs estimated larger than these")

    @field_validator("loops")
    @classmethod
    def _names_unique(cls, loops: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        names = [entry.get("name") for entry in loops]
        if None in names:
            raise ValueError("every entry of loops needs a name")
        if len(set(names)) != len(names):
            raise ValueError(f"loop names must be unique, got {names}")
        return loops

    @field_validator("script")
    @classmethod
    def _script_in_order(cls, steps: tuple[ScriptStep, ...]) -> tuple[ScriptStep, ...]:
        check_order(steps)
        return steps

    @model_serializer(mode="wrap")
    def _without_empty_script(self, handler: SerializerFunctionWrapHandler) -> Any:
        # a scenario without a script dumps as it did before scripts existed: sweeps fingerprint dumps
        data = handler(self)
        if not self.script and isinstance(data, dict):
            data.pop("script", None)
        return data

    @model_validator(mode="after")
    def _loops_valid(self) -> Scenario:
        self.loop_specs()  # every entry must make a valid loop with the template
        too_big = excesses(self)
        if too_big:
            raise _field_error("too_large", too_big[0].loc, refusal(too_big))
        return self

    def loop_specs(self) -> list[LoopSpec]:
        """The loops to run: the template alone, or the template overridden by each ``loops`` entry."""
        if not self.loops:
            return [self.loop]
        base = self.loop.model_dump()
        return [LoopSpec.model_validate(_merge(base, entry)) for entry in self.loops]


def _field_error(kind: str, loc: tuple[Any, ...], message: str) -> ValidationError:
    """A validation error at *loc*: raised inside a validator, pydantic keeps the location."""
    error = PydanticCustomError(kind, "{message}", {"message": message})
    return ValidationError.from_exception_data("Scenario", [{"type": error, "loc": loc, "input": None}])


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _parse_override(item: str, option: str = "--set") -> tuple[list[str], Any]:
    path, sep, raw = item.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"{option} {item!r}: expected dotted.path=value")
    try:
        value = parse_yaml(raw) if raw.strip() else None
    except ParseError as e:  # the file's rules: YAML 1.2 scalars, nothing 1.1 reads differently
        raise ScenarioError(f"{option} {item!r}: {e.message}") from None
    return path.strip().split("."), value


def apply_override(data: dict[str, Any], path: list[str], value: Any, item: str) -> None:
    """Set *value* at a dotted *path* inside *data*, creating mappings on the way; list items by index.
    *item* is the option as typed (``--set a.b=1``), for errors."""
    node: Any = data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            node = _list_item(node, part, item)
            continue
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        elif isinstance(nxt, bool):  # a guard given as `false` becomes a mapping to set a field in
            nxt = node[part] = {"enabled": nxt}
        elif not isinstance(nxt, (dict, list)):
            raise ScenarioError(f"{item}: {'.'.join(path[:i + 1])} is a value, not a mapping")
        node = nxt
    last = path[-1]
    if isinstance(node, list):
        node[_index(node, last, item)] = value
    else:
        node[last] = value


def _index(node: list[Any], part: str, item: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(f"{item}: {part!r} is not an index of a list of {len(node)}")
    return int(part)


def _list_item(node: list[Any], part: str, item: str) -> Any:
    return node[_index(node, part, item)]


def load_scenario(path_or_dict: str | os.PathLike[str] | dict[str, Any] | Scenario,
                  overrides: dict[str, Any] | list[str] | tuple[str, ...] = (),
                  grid: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load and validate a scenario from a YAML file or a mapping, after applying ``--set`` overrides.

    *overrides* are ``dotted.path=value`` strings (values parsed as YAML) or a mapping of dotted path to
    value (strings are YAML-parsed too); *grid* are a sweep point's ``path=value`` strings, applied
    last and blamed on ``--grid``. Errors name the file, the line and the field, or the option.
    """
    if isinstance(path_or_dict, Scenario):
        if not overrides and not grid:
            return path_or_dict
        path_or_dict = path_or_dict.model_dump(mode="json")
    text: str | None = None
    if isinstance(path_or_dict, dict):
        name, data = "<scenario>", _deep_copy(path_or_dict)
    else:
        p = Path(path_or_dict)
        name = str(p)
        data, text = read_yaml_file(p, "scenario", ScenarioError)
        if data is None:
            raise ScenarioError(f"{p}: scenario file is empty")
        if not isinstance(data, dict):
            raise ScenarioError(f"{p}:1: a scenario is a mapping (name, duration, world, loop, ...), "
                                f"got {value_kind(data)}")
    items = list(overrides.items()) if isinstance(overrides, dict) else None
    applied: dict[tuple[str, ...], str] = {}
    sets = overrides if items is None else [f"{k}={v}" if isinstance(v, str) else (k, v) for k, v in items]
    for option, item in [*(("--set", i) for i in sets), *(("--grid", i) for i in grid)]:
        if isinstance(item, tuple):
            path, value = item[0].split("."), item[1]
            label = f"{item[0]}={item[1]!r}"
        else:
            path, value = _parse_override(item, option)
            label = item
        apply_override(data, path, value, f"{option} {label}")
        applied[tuple(path)] = f"{option} {label}"
    try:
        _check_loop_entries(data)
        return Scenario.model_validate(data)
    except _EntryError as e:
        raise _error(e.error, name, text, e.prefix, applied, LoopSpec) from None
    except ValidationError as e:
        raise _error(e, name, text, (), applied, Scenario) from None


class _EntryError(Exception):
    def __init__(self, error: ValidationError, prefix: tuple[Any, ...]) -> None:
        self.error, self.prefix = error, prefix


def _check_loop_entries(data: dict[str, Any]) -> None:
    """Validate each ``loops`` entry merged into the template, so errors point into that entry."""
    entries, template = data.get("loops"), data.get("loop") or {}
    if not isinstance(entries, list) or not isinstance(template, dict):
        return
    try:
        base = LoopSpec.model_validate(template).model_dump()
    except ValidationError:
        return  # the template's own errors are reported by the full validation, with their lines
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            try:
                LoopSpec.model_validate(_merge(base, entry))
            except ValidationError as e:
                raise _EntryError(e, ("loops", i)) from None


def _error(e: ValidationError, name: str, text: str | None, prefix: tuple[Any, ...],
           overrides: dict[tuple[str, ...], str], model: type[BaseModel]) -> ScenarioError:
    return ScenarioError(describe_validation_error(e, name, text, prefix, overrides, model))


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deep_copy(v) for v in value]
    return value
