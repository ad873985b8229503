"""The fit: drift rates with intervals, how long drift lasts, and which estimates are weak.

``fit_drift`` turns a series of sightings into the scenario's three drift rates
(``drift.edit_rate`` and ``drift.delete_rate`` per managed resource per second,
``drift.create_rate`` for the whole scope per second), each an :class:`Estimate` with its evidence,
plus the length of drift episodes that ended without the loop (someone else healed them). It
never reads a file; :mod:`recon.calibrate.run` gathers the inputs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recon.calibrate.estimators import Estimate, garwood, heal_survival, interval_censored_rate, poisson_rate
from recon.calibrate.observations import Sighting
from recon.calibrate.transitions import Episode, Evidence, evidence

MIN_SIGHTINGS = 3
FEW_EVENTS = 10
FEW_HEALED = 10
RATES = ("drift.edit_rate", "drift.delete_rate", "drift.create_rate")


@dataclass(frozen=True, slots=True)
class DriftFit:
    """The fitted rates (keyed by scenario field), the drift durations and the evidence's shape."""

    rates: dict[str, Estimate]
    duration: dict[str, Any]
    sightings: int
    span: tuple[float, float]
    interval_median: float
    interval_max: float
    skipped: int

    @property
    def weak(self) -> list[str]:
        out = [f"{name}: {w}" for name, e in self.rates.items() for w in e.weak]
        out += [f"drift duration: {w}" for w in self.duration["weak"]]
        return out


def fit_drift(sightings: Sequence[Sighting]) -> DriftFit:
    """Fit the drift rates of a series of at least three sightings, oldest first."""
    if len(sightings) < MIN_SIGHTINGS:
        raise ValueError(f"{len(sightings)} observations; need at least {MIN_SIGHTINGS} to fit")
    ev = evidence(sightings)
    median = statistics.median(ev.intervals) if ev.intervals else math.inf
    duration = drift_duration(ev.episodes, median)
    survival = duration.get("survival")
    rates = {
        "drift.edit_rate": _flag(interval_censored_rate(ev.edits), survival, ev),
        "drift.delete_rate": _flag(interval_censored_rate(ev.deletes), survival, ev),
        "drift.create_rate": _flag(poisson_rate(ev.creates, ev.create_exposure, len(ev.intervals)), survival, ev),
    }
    return DriftFit(rates, duration, len(sightings), (sightings[0].at, sightings[-1].at), median,
                    max(ev.intervals, default=math.inf), ev.skipped)


def _flag(e: Estimate, survival: float | None, ev: Evidence) -> Estimate:
    weak = list(e.weak)
    if e.events < FEW_EVENTS:
        weak.append(f"few events ({e.events} < {FEW_EVENTS}): the interval is wide")
    if survival is not None and survival < 0.9:
        weak.append(f"observations too far apart for short-lived drift: about {1 - survival:.0%} of it heals "
                    "unseen, so this rate is biased low by about that share")
    if ev.skipped:
        weak.append(f"{ev.skipped} interval(s) skipped because the desired state changed across them")
    return Estimate(e.value, e.low, e.high, e.events, e.exposure, e.intervals, e.method, tuple(weak))


def drift_duration(episodes: Sequence[Episode], interval: float) -> dict[str, Any]:
    """How long drift lasted when it ended without the loop: exponential fit over episodes seen from
    their start (each healed one at the midpoint of its bounds, open ones right-censored)."""
    seen = [e for e in episodes if not e.left_censored]
    healed = [e for e in seen if e.healed and e.high is not None]
    open_ = [e for e in seen if not e.healed]
    mids = [(e.low + e.high) / 2 for e in healed]  # type: ignore[operator]
    time_in_drift = sum(mids) + sum(e.low for e in open_)
    out: dict[str, Any] = {
        "episodes": len(episodes), "healed": len(healed), "open_at_end": len(open_),
        "begun_before_first": len(episodes) - len(seen),
        "healed_by_kind": {k: sum(e.kind == k for e in healed) for k in ("missing", "edited", "unmanaged")},
        "median_seconds": statistics.median(mids) if mids else None,
        "method": "exponential durations; healed episodes at the midpoint of their bounds, open ones "
                  "right-censored; Garwood exact interval on the heal rate",
        "weak": [],
    }
    if healed and time_in_drift > 0:
        low, high = garwood(len(healed), time_in_drift)
        mean = time_in_drift / len(healed)
        out.update(mean_seconds=mean, low=1 / high, high=(1 / low) if low > 0 else None,
                   survival=heal_survival(mean, interval) if math.isfinite(interval) else None)
    else:
        out.update(mean_seconds=None, low=None, high=None, survival=None)
    if len(healed) < FEW_HEALED:
        out["weak"].append(f"few healed episodes ({len(healed)} < {FEW_HEALED})")
    if seen and len(open_) > len(seen) / 2:
        out["weak"].append(f"censored: {len(open_)} of {len(seen)} episodes had not ended at the last observation")
    short = sum(1 for e in healed if e.low == 0)
    if healed and short > len(healed) / 2:
        out["weak"].append(f"{short} of {len(healed)} healed episodes ended within one observation interval: "
                           "observe more often to see how short drift is")
    return out
