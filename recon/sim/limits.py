"""How big a scenario may be: strict number types, the ``limits`` section, and the up-front estimate.

A scenario's size is bounded before anything runs: counts are strict integers (``true`` is not 1),
reals are finite and never booleans, and the work a run would take (peak resources in the world,
loop cycles, and the work of building the world, of the cycles' full diffs of the inventory and of
the changes) is estimated from the validated scenario and compared with ``limits``. A scenario over a limit is refused with the estimate and the override
that raises the limit. This module computes; it never reads a file or runs a simulation.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

MAX_COUNT = 2**53          # hard ceiling on any count: above it floats lose integers and sizes overflow
MAX_RESOURCES = 1_000_000  # peak resources in the world; about 1 KB each, so about 1 GB
MAX_CYCLES = 1_000_000     # loop cycles over all loops
MAX_WORK = 1_000_000_000   # work units (about 2 µs each): about half an hour on one core
CYCLE_COST = 200           # a loop cycle costs about as much as diffing 200 resources (measured: ~400 µs)
EVENT_COST = 20            # a drift event or a write, with its notification and record, about 20 resources' diff
BUILD_COST = 20            # building one resource of the world at the start (measured: ~45 µs)


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads `true` as 1.0; a rate or a duration written as a boolean is a slip.
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


def _integer(value: Any) -> Any:
    value = _not_bool(value)
    return int(value) if isinstance(value, numbers.Integral) else value  # numpy integers from notebooks


Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT), BeforeValidator(_integer)]
"""A count of things: a strict integer (no booleans, no floats, no strings), 0 to MAX_COUNT."""
Real = Annotated[float, BeforeValidator(_not_bool)]
"""A real number, never a boolean; models using it set ``allow_inf_nan=False``."""

MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Limits(BaseModel):
    """Upper bounds on a run's size; raise one with ``--set limits.<name>=N`` (or in the file)."""

    model_config = MODEL_CONFIG
    max_resources: Real = Field(MAX_RESOURCES, gt=0, description="peak resources the world may hold")
    max_cycles: Real = Field(MAX_CYCLES, gt=0, description="loop cycles over all loops")
    max_work: Real = Field(MAX_WORK, gt=0, description="20 x resources + full diffs x resources + cycles x 200 "
                                                       "+ 20 x changes (drift events and writes)")


@dataclass(frozen=True, slots=True)
class Excess:
    """A limit the estimate exceeds: which, by how much, the field to blame and the reason in words."""

    limit: str
    estimate: float
    allowed: float
    loc: tuple[Any, ...]
    detail: str

    def text(self) -> str:
        return f"{self.detail} = {self.estimate:.3g} > limits.{self.limit} {self.allowed:.3g}"

    def override(self) -> str:
        return f"--set limits.{self.limit}={_round_up(self.estimate)}"


def refusal(excesses: list[Excess]) -> str:
    """One line: every limit exceeded, then the overrides that raise them all."""
    raise_ = " ".join(e.override() for e in excesses)
    return (f"scenario too large to simulate: {'; '.join(e.text() for e in excesses)}; "
            f"make it smaller or raise the limit{'s' if len(excesses) > 1 else ''} with {raise_}")


def _round_up(x: float) -> str:
    """*x* rounded up to two significant digits, written so YAML and pydantic read it back."""
    if not math.isfinite(x):
        return "<a finite number>"
    e = max(0, math.floor(math.log10(x)) - 1)
    return f"{math.ceil(x / 10**e) * 10**e:.3g}"


def _largest(terms: list[tuple[float, tuple[Any, ...], str]]) -> tuple[tuple[Any, ...], str]:
    _, loc, _ = max(terms, key=lambda t: t[0])
    return loc, " + ".join(f"{text} {value:.3g}" for value, _, text in terms if value)


def excesses(sc: Any) -> list[Excess]:
    """The limits in ``sc.limits`` that the estimated size of *sc* (a validated Scenario) exceeds."""
    w, d, lim, t = sc.world, sc.drift, sc.limits, sc.duration
    out = []
    creates = [(float(b.creates), ("drift", "bursts", i, "creates"), f"drift.bursts.{i}.creates")
               for i, b in enumerate(d.bursts)]
    held = [(float(w.resources), ("world", "resources"), "world.resources"),
            (float(w.foreign), ("world", "foreign"), "world.foreign"),
            (d.create_rate * t, ("drift", "create_rate"), "drift.create_rate x duration"), *creates]
    resources = sum(v for v, _, _ in held)
    if resources > lim.max_resources:
        loc, detail = _largest(held)
        out.append(Excess("max_resources", resources, lim.max_resources, loc, f"peak resources ({detail or 0})"))
    events = ((d.delete_rate + d.edit_rate) * w.resources * t + d.create_rate * t
              + sum(b.deletes + b.edits + b.creates for b in d.bursts))
    specs = sc.loop_specs()
    per_loop = [t / s.period + 1 + (events if s.triggered else 0) for s in specs]
    cycles = sum(per_loop)
    busiest = max(range(len(specs)), key=per_loop.__getitem__)
    period_loc = ("loops", busiest, "period") if sc.loops else ("loop", "period")
    where = f"duration {t:g} s / {'.'.join(map(str, period_loc))} {specs[busiest].period:g} s"
    if cycles > lim.max_cycles:
        more = f", {len(specs)} loops" if len(specs) > 1 else ""
        out.append(Excess("max_cycles", cycles, lim.max_cycles, period_loc, f"loop cycles ({where}{more})"))
    diffs = sum(_full_diffs(sc, n, resources) for n in per_loop)
    changes = 2 * events + w.initially_missing  # each drift event, and the loop's write that answers it
    work = BUILD_COST * resources + diffs * resources + cycles * CYCLE_COST + EVENT_COST * changes
    if work > lim.max_work:
        # blame what drives the estimate: the changes, a watch's resyncs, the world's size, or the busiest period
        loc = ("drift",) if EVENT_COST * changes > work / 2 else \
            ("provider", "watch", "resync") if sc.provider.watch is not None and diffs * resources > work / 2 else \
            ("world", "resources") if resources >= cycles else period_loc
        out.append(Excess("max_work", work, lim.max_work, loc,
                          f"work ({BUILD_COST} x {resources:.3g} resources to build + {diffs:.3g} full diffs x "
                          f"{resources:.3g} resources + {cycles:.3g} loop cycles x {CYCLE_COST}"
                          f" + {EVENT_COST} x {changes:.3g} changes)"))
    return out


def _full_diffs(sc: Any, cycles: float, resources: float) -> float:
    """How many of a loop's *cycles* diff the whole inventory. Without a watch, every cycle lists it. With
    one (the change-fed diff, whose cycle costs follow the changes), only the first cycle, one per
    resync, the cycle after a list that failed or came back flagged incomplete, and one per change of
    the desired state; a scripted source answers afresh on every load, so each of its cycles diffs all."""
    p, watch = sc.provider, sc.provider.watch
    if watch is None or sc.script:
        return cycles
    calls = max(1.0, math.ceil(resources / p.pages.size)) if p.pages is not None else 1.0
    ok = ((1 - p.error_p) * (1 - p.timeout_p)) ** calls  # every page is a call that may fail
    if p.pages is not None and p.pages.on_truncate == "flag" and calls > 1:
        ok *= 1 - p.pages.truncate_p
    if ok <= 0:
        return cycles
    desired_changes = 2 * len(sc.desired)  # a desired event starts and (maybe) ends
    return min(cycles, (sc.duration / watch.resync + 1) / ok + desired_changes)
