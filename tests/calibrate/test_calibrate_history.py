"""Acceptance (b) of issue 15: the same fit from an audit history, and the history's key sets.

The scope drifts between audits (the test rewrites the snapshot the loop observes, from the exact
generator of tests/calibrate/synthetic.py); the audit's clock is injected with RECON_AUDIT_NOW.
Most audits call ``audit_loop`` (what the audit notebook runs); two go through `recon audit` and
its notebook, so the command's own path records key sets too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recon.audit.drift_keys import DriftKeys, Retention
from recon.audit.history import HistoryStore
from recon.audit.record import CLOCK_ENV, audit_loop
from recon.calibrate.fit import RATES, fit_drift
from recon.calibrate.observations import from_history, from_snapshots
from recon.sources.dump import dump_inventory
from tests.calibrate.synthetic import Truth, desired, history

TRUTH = Truth()


def key_sets_only(sightings: list) -> list:
    """What the history keeps of snapshot sightings: key sets, no specs."""
    return from_history([s.keys for s in sightings], "test")


def test_key_set_histories_cover_the_true_rates_in_at_least_90_percent_of_50() -> None:
    # The 50 histories of the snapshot test, seen as the history store keeps them (over 200 other
    # seeds the edit rate's interval covered 91.5%: key sets see fewer edits than specs do).
    covered = {name: 0 for name in RATES}
    for seed in range(50):
        sightings = from_snapshots(desired(TRUTH), history(TRUTH, np.random.default_rng(seed)))
        fit = fit_drift(key_sets_only(sightings))
        for name in RATES:
            covered[name] += fit.rates[name].covers(getattr(TRUTH, name.split(".")[1]))
    assert all(n >= 45 for n in covered.values()), covered


def test_the_history_keeps_bounded_key_sets_and_prunes_old_ones(tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}", Retention(max_keys=2, keep_runs=3))
    for i in range(5):
        keys = DriftKeys(float(i), frozenset({"A/a", "A/b", "A/c"}), frozenset({"A/d"}), frozenset(), 10)
        store.append({"loop": "l", "started_at": float(i), "finished_at": float(i), "exit_code": 2,
                      "status": "changes pending", "creates": 3, "updates": 1, "deletes": 0, "unchanged": 6}, keys)
    rows = store.drift_keys("l")
    assert [r.at for r in rows] == [2.0, 3.0, 4.0]  # the last three runs' key sets
    assert rows[0].missing == {"A/a", "A/b"} and rows[0].truncated and rows[0].edited == {"A/d"}
    assert len(store.runs("l")) == 5  # counts stay for good
    assert from_history(rows, "h") == []  # a truncated row is not fitted


def test_retention_settings_come_from_the_environment_and_bad_ones_are_named() -> None:
    assert Retention.from_env({"RECON_HISTORY_MAX_KEYS": "5", "RECON_HISTORY_KEEP_RUNS": "7"}) == Retention(5, 7)
    with pytest.raises(ValueError, match="RECON_HISTORY_KEEP_RUNS='0'"):
        Retention.from_env({"RECON_HISTORY_KEEP_RUNS": "0"})


@pytest.mark.timeout(900)
def test_calibrate_fits_an_audit_history_of_a_drifting_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snaps = history(TRUTH, np.random.default_rng(21))
    dump_inventory(desired(TRUTH).values(), tmp_path / "desired.json")
    loop = tmp_path / "LOOP.yaml"
    loop.write_text("name: web\nprovider: {type: snapshot, path: observed.json}\ndesired: {path: desired.json}\n")
    via_cli = {0, len(snaps) - 1}
    for i, snap in enumerate(snaps):
        dump_inventory(snap.resources.values(), tmp_path / "observed.json")  # the scope drifted since the last audit
        if i in via_cli:
            r = subprocess.run([sys.executable, "-m", "recon", "audit", str(loop), "--out", str(tmp_path / "audit")],
                               env={**_env(), CLOCK_ENV: repr(snap.at)}, capture_output=True, text=True, timeout=300)
            assert r.returncode in (0, 2, 3), r.stdout + r.stderr
        else:
            monkeypatch.setenv(CLOCK_ENV, repr(snap.at))
            audit_loop(loop, tmp_path / "audit")
    store = HistoryStore.for_config(None, tmp_path, create=False)
    rows = store.drift_keys("web")
    assert [r.at for r in rows] == [s.at for s in snaps]
    last = from_snapshots(desired(TRUTH), snaps)[-1].keys
    assert rows[-1].missing == last.missing and rows[-1].unmanaged == last.unmanaged  # written by `recon audit`
    r = subprocess.run([sys.executable, "-m", "recon", "calibrate", str(loop), "--out", str(tmp_path / "s.yaml")],
                       env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    assert cal["inputs"]["history"].endswith("audit-history.db") and cal["observations"] == len(snaps)
    for name in RATES:
        e = cal["estimates"][name]
        assert e["low"] <= getattr(TRUTH, name.split(".")[1]) <= e["high"], (name, e)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in (CLOCK_ENV, "RECON_AUDIT_HISTORY")}


def test_each_watch_cycle_records_its_counts_and_keys_in_the_history(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "examples", tmp_path / "ex", ignore=shutil.ignore_patterns(".recon"))
    loop = tmp_path / "ex" / "loop-snapshot.yaml"
    r = subprocess.run([sys.executable, "-m", "recon", "watch", str(loop), "--interval", "0.05", "--max-cycles", "2"],
                       env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    store = HistoryStore.for_config(None, loop.parent, create=False)
    runs, keys = store.runs("example-dns"), store.drift_keys("example-dns")
    assert len(runs) == 2 == len(keys)
    assert runs[-1].creates == len(keys[-1].missing) and runs[-1].updates == len(keys[-1].edited)
    assert keys[-1].sets() != {"missing": set(), "edited": set(), "unmanaged": set()}


def test_a_snapshot_carries_observed_at_and_loads_back_as_desired_state(tmp_path: Path) -> None:
    from recon.calibrate.observations import read_snapshot
    from recon.sources.inventory import load_inventory

    (tmp_path / "e.yaml").write_text("resources:\n  - {kind: A, name: e, spec: {ttl: 5}}\n")
    loop = tmp_path / "LOOP.yaml"
    loop.write_text("name: snap\nprovider: {type: snapshot, path: e.yaml}\ndesired: {path: e.yaml}\n")
    r = subprocess.run([sys.executable, "-m", "recon", "snapshot", str(loop), "--out", str(tmp_path / "s.yaml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.yaml").read_text().startswith("observed_at: '20")
    snap = read_snapshot(tmp_path / "s.yaml")
    assert abs(snap.at - (tmp_path / "s.yaml").stat().st_mtime) < 120
    assert list(load_inventory(tmp_path / "s.yaml").resources) == [("A", "e")]  # ignored as desired state


def test_calibrate_reads_a_history_without_creating_one(tmp_path: Path) -> None:
    from recon.audit.history import HistoryError

    with pytest.raises(HistoryError, match="no such file"):
        HistoryStore.for_config(None, tmp_path, create=False)
    assert list(tmp_path.iterdir()) == []
