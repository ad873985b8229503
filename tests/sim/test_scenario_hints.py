"""What the scenario files' comments promise holds: every ``--set`` they suggest is a valid override,
the omni-loop's fix stops the damage, and steady-drift's closed-form numbers are the formula's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recon.analysis.summary import clean_only_dwell_mean, clean_only_drifted_fraction
from recon.sim import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


def _comment(path: Path) -> str:
    return "\n".join(line[1:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))


def _hints(path: Path) -> list[list[str]]:
    """The ``--set`` items of each suggested command line in the file's comment."""
    return [re.findall(r"--set\s+(\S+)", line) for line in _comment(path).splitlines() if "--set" in line]


@pytest.mark.parametrize("path", [p for p in FILES if _hints(p)], ids=lambda p: p.stem)
def test_every_suggested_override_loads(path: Path) -> None:
    for sets in _hints(path):
        load_scenario(path, sets)


def test_the_omni_loop_hint_holds_zone_c(scenarios: Path) -> None:
    path = scenarios / "omni-loop.yaml"
    (sets,) = _hints(path)
    assert simulate(load_scenario(path), seed=0).summary["wrongful_deletes"] == 60
    fixed = simulate(load_scenario(path, sets), seed=0).summary
    assert fixed["wrongful_deletes"] == 0 and fixed["guard_trips"]["desired_shrink"] > 0
    # the shrink guard at its default 30% lets a 20% shrink through: the hint must say more than "true"
    default = simulate(load_scenario(path, ["loop.guards.desired_shrink=true"]), seed=0).summary
    assert default["wrongful_deletes"] == 60


def test_steady_drift_quotes_the_formula(scenarios: Path) -> None:
    path = scenarios / "steady-drift.yaml"
    sc = load_scenario(path)
    T, rate = sc.loop.period, sc.drift.edit_rate
    text = _comment(path)
    dwell = float(re.search(r"≈ ([\d.]+) s", text).group(1))  # type: ignore[union-attr]
    frac = float(re.search(r"≈ ([\d.]+)%", text).group(1))  # type: ignore[union-attr]
    assert dwell == round(clean_only_dwell_mean(T, rate), 2)
    assert frac == round(100 * clean_only_drifted_fraction(T, rate), 2)
