"""Writing a calibration: the scenario YAML and ``calibration.json`` beside it, each atomically.

The scenario is what ``recon simulate``, ``sweep`` and ``worst-case`` read; ``calibration.json``
holds every estimate with its interval and evidence, the weak ones named. This module only writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from recon.calibrate.run import Calibration
from recon.sources.atomic import write_text_atomic

RECORD_NAME = "calibration.json"


def write_calibration(cal: Calibration, scenario_path: Path) -> tuple[Path, Path]:
    """Write the scenario to *scenario_path* and ``calibration.json`` beside it; returns both paths."""
    scenario_path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Calibrated by `recon calibrate` from {cal.fit.sightings} observations of loop {cal.loop};\n"
              f"# every estimate, its 95% interval and its evidence are in {RECORD_NAME} beside this file.\n")
    write_text_atomic(scenario_path, header + yaml.safe_dump(cal.scenario, sort_keys=False))
    record = scenario_path.parent / RECORD_NAME
    data = {**cal.to_json(), "scenario_file": str(scenario_path)}
    write_text_atomic(record, json.dumps(data, indent=1, allow_nan=False) + "\n")
    return scenario_path, record
