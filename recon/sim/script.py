"""A scripted desired source and observation: what ``recon worst-case`` writes into ``trace.yaml``.

A scenario's ``script`` is a list of steps; each holds from its ``at`` until the next one's. A step
says what the desired source returns (the intended list; the list less *count* keys after the first
*offset*, or with those renamed by a typo; an empty list; or an error) and how the list of the world
comes back (complete, flagged incomplete, or silently cut, *hide* keys short). Keys are taken in
key order, so a step names one answer exactly. The functions here are pure: the simulation's
source and provider call them, and so does the adversarial search, so both see the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from recon.core.model import DesiredState, Key, Observation, Resource, key_problem
from recon.sim.limits import MODEL_CONFIG, Count, Real


def printable_prefix(value: str) -> str:
    """A typo's prefix becomes part of resource names: refuse what keys refuse."""
    problem = key_problem("", value)
    if problem:
        raise ValueError(problem)
    return value


Typo = Annotated[str, Field(min_length=1), AfterValidator(printable_prefix)]


class ScriptedSourceError(Exception):
    """The scripted desired source failed to load, as the step said."""


class ScriptStep(BaseModel):
    """From *at* until the next step: what the desired source returns and how the list comes back."""

    model_config = MODEL_CONFIG
    at: Real = Field(ge=0, description="seconds; the step holds until the next step's at")
    desired: Literal["full", "drop", "rename", "empty", "error"] = Field(
        "full", description="full: the intended list; drop: without its first `count` keys; rename: the "
                            "first `count` renamed with `typo`; empty: nothing; error: the load fails")
    count: Count = Field(0, description="drop / rename: how many of the intended list, in key order")
    offset: Count = Field(0, description="drop / rename: how many keys (in key order) to pass over first")
    typo: Typo = Field("x", description="rename: the prefix the typo adds to a name")
    observe: Literal["complete", "flag", "truncate"] = Field(
        "complete", description="complete; flag: flagged incomplete; truncate: cut silently, marked complete")
    hide: Count = Field(0, description="flag / truncate: how many listed resources (last in key order) are missing")


def check_order(steps: Sequence[ScriptStep]) -> None:
    """Steps come in strictly increasing time; raises ValueError naming the first that does not."""
    for i in range(1, len(steps)):
        if steps[i].at <= steps[i - 1].at:
            raise ValueError(f"step {i} at {steps[i].at:g} does not come after step {i - 1} at {steps[i - 1].at:g}")


def active_step(steps: Sequence[ScriptStep], now: float) -> ScriptStep | None:
    """The step in force at *now* (the last one that started), or None before the first."""
    current = None
    for s in steps:
        if s.at > now:
            break
        current = s
    return current


def scripted_desired(intended: Mapping[Key, Resource], step: ScriptStep, source: str,
                     version: str) -> DesiredState | ScriptedSourceError:
    """What the source returns under *step*: a DesiredState, or the error the load fails with."""
    if step.desired == "error":
        return ScriptedSourceError(f"{source}: desired source failed to load (scripted error)")
    keys = sorted(intended)
    hit = keys[step.offset:step.offset + step.count]
    if step.desired == "empty":
        items: dict[Key, Resource] = {}
    elif step.desired == "drop":
        items = {k: intended[k] for k in keys[:step.offset] + keys[step.offset + step.count:]}
    elif step.desired == "rename":
        items = {k: intended[k] for k in keys[:step.offset] + keys[step.offset + step.count:]}
        for k in hit:
            r = intended[k]
            items[(r.kind, step.typo + r.name)] = Resource(r.kind, step.typo + r.name, r.spec, r.owner)
    else:
        items = {k: intended[k] for k in keys}
    return DesiredState(MappingProxyType(items), source=source, version=version)


def scripted_observation(obs: Observation, step: ScriptStep) -> Observation:
    """The observation *obs* as *step* lets it through: whole, or *hide* short and flagged or not."""
    if step.observe == "complete" or not obs.resources:
        return obs
    keys = sorted(obs.resources)
    kept = MappingProxyType({k: obs.resources[k] for k in keys[:max(len(keys) - step.hide, 0)]})
    if step.observe == "flag":
        reason = f"scripted: the list came back {step.hide} short"
        return Observation(kept, False, reason, obs.source, obs.observed_at)
    return Observation(kept, True, None, obs.source, obs.observed_at)
