"""Rate estimators for a Poisson process seen only at observation times, with 95% intervals.

A resource at risk over an interval of length Δ shows the event (a hand edit, a hand delete) at
the next observation with probability ``1 - exp(-λΔ)``; the intervals are independent, so the
likelihood is a product of binomials (interval-censored Poisson). :func:`interval_censored_rate`
maximises it and gives the profile-likelihood interval (χ² with one degree of freedom); with fewer
than ``EXACT_BELOW`` events it gives Garwood's exact Poisson interval on the same exposure instead,
which is conservative where the likelihood-ratio interval undercovers. :func:`poisson_rate` is the
plain count-over-time estimate for a process whose every event is seen (unmanaged creations).

Bias: an event undone before the next observation (drift healed by someone else within Δ) is
never seen, so every rate here is biased low by the share of drift that lasts less than an
interval; :func:`heal_survival` gives that share for exponential durations. Pure functions: no
files, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy import optimize, stats

LEVEL = 0.95
EXACT_BELOW = 10  # events; below this the Garwood interval, above it the profile likelihood
_CHI2 = float(stats.chi2.ppf(LEVEL, 1))


@dataclass(frozen=True, slots=True)
class AtRisk:
    """One observation interval: *length* seconds, *at_risk* units exposed, *events* of them seen to change."""

    length: float
    at_risk: int
    events: int


@dataclass(frozen=True, slots=True)
class Estimate:
    """A rate (per unit per second) with its 95% interval and the evidence behind it."""

    value: float
    low: float
    high: float
    events: int
    exposure: float          # unit-seconds observed at risk
    intervals: int
    method: str
    weak: tuple[str, ...] = field(default=())

    def covers(self, rate: float) -> bool:
        return self.low <= rate <= self.high

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "low": self.low, "high": self.high, "level": LEVEL, "events": self.events,
                "exposure": self.exposure, "intervals": self.intervals, "method": self.method,
                "weak": list(self.weak)}


def garwood(events: int, exposure: float) -> tuple[float, float]:
    """Garwood's exact 95% interval for a Poisson rate: *events* seen over *exposure* unit-seconds."""
    if exposure <= 0:
        return 0.0, math.inf
    a = 1 - LEVEL
    low = stats.chi2.ppf(a / 2, 2 * events) / (2 * exposure) if events else 0.0
    return float(low), float(stats.chi2.ppf(1 - a / 2, 2 * events + 2) / (2 * exposure))


def poisson_rate(events: int, exposure: float, intervals: int) -> Estimate:
    """Every event seen: the maximum likelihood rate is events over time, with Garwood's interval."""
    low, high = garwood(events, exposure)
    return Estimate(events / exposure if exposure > 0 else 0.0, low, high, events, exposure, intervals,
                    "Poisson count over exposure, Garwood exact interval")


def _loglik(rate: float, data: Sequence[AtRisk]) -> float:
    total = 0.0
    for d in data:
        x = rate * d.length
        if d.events:
            total += d.events * math.log(-math.expm1(-x)) if x > 0 else -math.inf
        total -= (d.at_risk - d.events) * x
    return total


def interval_censored_rate(data: Sequence[AtRisk]) -> Estimate:
    """The maximum likelihood rate from intervals that show only whether each unit changed, and its interval."""
    data = [d for d in data if d.at_risk > 0 and d.length > 0]
    events = sum(d.events for d in data)
    exposure = sum(d.at_risk * d.length for d in data)
    n = len(data)
    if not data:
        return Estimate(0.0, 0.0, math.inf, 0, 0.0, 0, "no observation interval", ("no interval to fit",))
    if events == 0:
        low, high = garwood(0, exposure)
        return Estimate(0.0, low, high, 0, exposure, n, "no event seen; Garwood exact upper bound")
    if all(d.events == d.at_risk for d in data):
        return Estimate(math.inf, 0.0, math.inf, events, exposure, n, "every unit changed in every interval",
                        ("saturated: every unit at risk changed; observe more often",))
    # Events over exposure counts the changed units' whole intervals, so it is below the MLE; the
    # log-likelihood is concave, so the score falls through zero once between it and some multiple.
    naive = hi = events / exposure
    while _score(hi, data) > 0:
        hi *= 2
    mle = optimize.brentq(_score, naive, hi, args=(data,), rtol=1e-12) if hi > naive else naive
    if events < EXACT_BELOW:
        low, high = garwood(events, _exposure_at(mle, data))
        return Estimate(mle, low, high, events, exposure, n, "interval-censored MLE, Garwood exact interval")
    top = _loglik(mle, data) - _CHI2 / 2
    f = lambda r: _loglik(r, data) - top  # noqa: E731  # zero at the interval's ends
    lo = optimize.brentq(f, mle * 1e-6, mle, rtol=1e-10)
    up = mle * 2
    while f(up) > 0:
        up *= 2
    high = optimize.brentq(f, mle, up, rtol=1e-10)
    return Estimate(mle, lo, high, events, exposure, n, "interval-censored MLE, profile-likelihood interval")


def _score(rate: float, data: Sequence[AtRisk]) -> float:
    """The derivative of the log-likelihood in the rate."""
    s = 0.0
    for d in data:
        x = rate * d.length
        if d.events:
            s += d.events * d.length / math.expm1(x)
        s -= (d.at_risk - d.events) * d.length
    return s


def _exposure_at(rate: float, data: Sequence[AtRisk]) -> float:
    """The exposure that makes events/exposure equal *rate*: the Garwood interval then brackets the MLE."""
    events = sum(d.events for d in data)
    return events / rate if rate > 0 else sum(d.at_risk * d.length for d in data)


def heal_survival(mean_duration: float, interval: float) -> float:
    """The share of drift events still visible at the next observation when drift lasts an exponential
    time of *mean_duration* and begins uniformly within an *interval*: ``(1 - e^{-Δ/m}) m / Δ``."""
    if mean_duration <= 0 or interval <= 0:
        return 1.0
    x = interval / mean_duration
    return -math.expm1(-x) / x
