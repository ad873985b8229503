"""Latency and delay distributions as scenario data, sampled from an explicit numpy Generator.

A plain number in a scenario means a constant. Sampling never touches global random state: the
caller passes the ``numpy.random.Generator`` of the process that draws.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from recon.sim.limits import MODEL_CONFIG, Real


class Dist(BaseModel):
    """``constant`` (value), ``exponential`` (mean), ``uniform`` (low, high), ``lognormal`` (median, sigma)."""

    model_config = MODEL_CONFIG
    dist: Literal["constant", "exponential", "uniform", "lognormal"] = "constant"
    value: Real = Field(0.0, ge=0)
    mean: Real = Field(1.0, gt=0)
    low: Real = Field(0.0, ge=0)
    high: Real = Field(1.0, ge=0)
    median: Real = Field(1.0, gt=0)
    sigma: Real = Field(0.5, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"dist": "constant", "value": data}
        return data

    @model_validator(mode="after")
    def _bounds(self) -> Dist:
        if self.dist == "uniform" and self.high < self.low:
            raise ValueError(f"uniform: high {self.high} < low {self.low}")
        return self

    @property
    def is_zero(self) -> bool:
        return self.dist == "constant" and self.value == 0.0

    @property
    def expected(self) -> float:
        if self.dist == "constant":
            return self.value
        if self.dist == "exponential":
            return self.mean
        if self.dist == "uniform":
            return (self.low + self.high) / 2
        return self.median * math.exp(self.sigma ** 2 / 2)

    def sample(self, rng: np.random.Generator) -> float:
        if self.dist == "constant":
            return self.value
        if self.dist == "exponential":
            return float(rng.exponential(self.mean))
        if self.dist == "uniform":
            return float(rng.uniform(self.low, self.high))
        return float(rng.lognormal(math.log(self.median), self.sigma))
