"""Acceptance (a) of issue 15: hourly snapshots of a drifting 400-resource scope, fitted.

The snapshots are generated exactly with known rates (tests/calibrate/synthetic.py), which are
written into no file; the estimator runs in-process on 50 histories, the command line on one, and
its scenario runs with `recon simulate` and `recon sweep`.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from recon.calibrate.estimators import AtRisk, garwood, heal_survival, interval_censored_rate
from recon.calibrate.fit import RATES, fit_drift
from recon.calibrate.observations import from_snapshots
from recon.sim import load_scenario
from recon.sources.dump import dump_inventory
from tests.calibrate.synthetic import Truth, desired, history

TRUTH = Truth()


def true_rate(name: str, truth: Truth = TRUTH) -> float:
    return float(getattr(truth, name.split(".", 1)[1]))


def test_the_95_percent_intervals_cover_the_true_rates_in_at_least_90_percent_of_50_histories() -> None:
    covered = {name: 0 for name in RATES}
    for seed in range(50):
        fit = fit_drift(from_snapshots(desired(TRUTH), history(TRUTH, np.random.default_rng(seed))))
        for name in RATES:
            covered[name] += fit.rates[name].covers(true_rate(name))
    assert all(n >= 45 for n in covered.values()), covered
    # and the intervals are informative, not [0, inf): each is within a factor of two of the truth
    for name, e in fit.rates.items():
        assert true_rate(name) / 2 < e.low < e.high < true_rate(name) * 2, (name, e)


def test_the_interval_censored_mle_corrects_for_events_hidden_inside_an_interval() -> None:
    # At rate x interval = 0.5, a third of the second events in an interval are unseen: the naive
    # count over exposure is biased low, the MLE is not.
    rng = np.random.default_rng(3)
    lam, dt = 0.5 / 3600, 3600.0
    data = [AtRisk(dt, 200, int(rng.binomial(200, 1 - math.exp(-lam * dt)))) for _ in range(30)]
    e = interval_censored_rate(data)
    naive = sum(d.events for d in data) / sum(d.at_risk * d.length for d in data)
    assert naive < 0.85 * lam and e.covers(lam) and e.method.endswith("profile-likelihood interval")


def test_few_events_get_garwood_exact_intervals_and_are_flagged_weak() -> None:
    e = interval_censored_rate([AtRisk(3600.0, 100, 1), AtRisk(3600.0, 100, 0)])
    assert "Garwood" in e.method and e.low > 0
    assert garwood(0, 1000.0)[0] == 0 and garwood(0, 1000.0)[1] == pytest.approx(3.689 / 1000, rel=1e-3)
    truth = Truth(edit_rate=2e-9, delete_rate=1e-6, create_rate=5e-4)
    fit = fit_drift(from_snapshots(desired(truth), history(truth, np.random.default_rng(1))))
    assert any(w.startswith("drift.edit_rate: few events") for w in fit.weak), fit.weak


def test_drift_healed_by_someone_else_gives_durations_and_flags_the_bias() -> None:
    rng = np.random.default_rng(5)
    fit = fit_drift(from_snapshots(desired(TRUTH), history(TRUTH, rng, heal_mean=1800.0)))
    d = fit.duration
    assert d["healed"] > 100 and d["low"] < d["mean_seconds"] < d["high"]
    assert 1800 <= d["mean_seconds"] < 3 * 3600  # only the episodes that outlived an hour are seen
    assert d["survival"] == pytest.approx(heal_survival(d["mean_seconds"], 3600.0))
    assert any("biased low" in w for w in fit.weak), fit.weak
    assert fit.rates["drift.edit_rate"].value < TRUTH.edit_rate  # the documented bias, in its direction


def write_history(folder: Path, truth: Truth, seed: int) -> Path:
    """The snapshots as `recon snapshot` writes them (JSON here: quicker to parse), a desired file and a loop."""
    (folder / "snaps").mkdir(parents=True)
    for s in history(truth, np.random.default_rng(seed)):
        stamp = datetime.fromtimestamp(s.at, timezone.utc).isoformat()
        dump_inventory(s.resources.values(), folder / "snaps" / s.path.replace(".yaml", ".json"), stamp)
    dump_inventory(desired(truth).values(), folder / "desired.yaml")
    loop = folder / "LOOP.yaml"
    loop.write_text("name: web\nprovider: {type: snapshot, path: snaps/snap-071.json}\ndesired: {path: desired.yaml}\n"
                    "guards:\n  max_deletes: {max: 5}  # keep: a comment the calibration leaves alone\n")
    return loop


def recon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recon", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(600)
def test_the_command_writes_a_scenario_that_simulate_and_sweep_run(tmp_path: Path) -> None:
    loop = write_history(tmp_path, TRUTH, seed=11)
    r = recon("calibrate", str(loop), "--snapshots", "snaps", "--out", "out/web.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cal = json.loads((tmp_path / "out" / "calibration.json").read_text())
    for name in RATES:
        e = cal["estimates"][name]
        assert e["low"] <= true_rate(name) <= e["high"], (name, e)
        assert e["events"] > 50 and e["intervals"] == 71 and e["estimator"]
    assert cal["world"] == {**cal["world"], "resources": 400, "kinds": ["A", "CNAME", "TXT"], "groups": ["web"]}
    assert cal["observations"] == 72 and cal["interval_seconds"]["median"] == 3600
    scenario = load_scenario(tmp_path / "out" / "web.yaml")
    assert scenario.drift.edit_rate == pytest.approx(cal["estimates"]["drift.edit_rate"]["value"], rel=1e-5)
    assert scenario.loop.guards.max_deletes.max == 5  # the loop's own guards
    for text in (str(v) for v in (TRUTH.edit_rate, TRUTH.delete_rate, TRUTH.create_rate)):
        assert all(text not in p.read_text() for p in (tmp_path / "snaps").iterdir())  # the truth is in no file
    sim = recon("simulate", "out/web.yaml", "--set", "duration=1800", "--no-plots", "--seed", "1", "--out", "sim",
                cwd=tmp_path)
    assert sim.returncode == 0, sim.stderr
    assert json.loads((tmp_path / "sim" / "summary.json").read_text())["drift_events"] >= 0
    sweep = recon("sweep", "out/web.yaml", "--set", "duration=1200", "--grid", "loop.guards.max_deletes.max=5,50",
                  "--seeds", "1", "--seed", "1", "--workers", "1", "--no-progress", "--out", "sweep", cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    rec = json.loads((tmp_path / "sweep" / "recommendation.json").read_text())
    assert "guards" in rec
