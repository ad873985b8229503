"""Calibration: a loop's snapshots or audit history fitted into a scenario, and the guards to paste back.

``calibrate`` gathers the observations and fits them (``observations`` → ``transitions`` →
``estimators`` → ``fit``; world shape and change sizes in ``run`` and ``changes``), ``writers``
writes the scenario and ``calibration.json``, ``settings`` merges a sweep's recommended guards into
a loop config's text, and ``plots`` draws the history and the fitted rates for the notebook.
"""

from __future__ import annotations

from recon.calibrate.observations import CalibrationError
from recon.calibrate.run import Calibration, calibrate
from recon.calibrate.writers import write_calibration

__all__ = ["Calibration", "CalibrationError", "calibrate", "write_calibration"]
