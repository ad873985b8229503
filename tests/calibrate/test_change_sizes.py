"""Legitimate change sizes (issue 15 item 2, acceptance c): from a desired source's commits, or the history's counts.

The Git source and `recon desired-history` come from another branch (issue 14); until they are
merged, the commit history reaches calibrate as the JSON that command prints (`--commits FILE`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recon.calibrate.changes import ChangeRow, from_commits, from_desired_counts, migration_events, summary
from recon.calibrate.run import calibrate
from recon.sim import load_scenario
from tests.calibrate.test_calibrate_snapshots import write_history
from tests.calibrate.synthetic import Truth

COMMITS = {"commits": [
    {"commit": "a1", "committed_at": "2026-05-28T10:00:00Z", "creates": 40, "updates": 0, "deletes": 0, "count": 40},
    {"commit": "b2", "committed_at": "2026-05-29T10:00:00Z", "creates": 2, "updates": 5, "deletes": 1, "count": 41},
    {"commit": "c3", "committed_at": "2026-05-30T10:00:00Z", "creates": 0, "updates": 0, "deletes": 16, "count": 25},
]}


def test_commit_rows_give_the_distribution_and_the_largest_removal_as_a_migration() -> None:
    rows = from_commits(COMMITS, "c.json")
    assert [(r.ref, r.size_before) for r in rows] == [("a1", 0), ("b2", 40), ("c3", 41)]
    s = summary(rows, "git")
    assert s["events"] == 3 and s["deletes"]["max"] == 16 and s["changes"]["p50"] == 16
    assert s["delete_fraction"]["max"] == 16 / 41
    assert migration_events(rows, 100.0) == [{"at": 100.0, "kind": "migration", "fraction": round(16 / 41, 6)}]


def test_desired_counts_give_net_changes_only() -> None:
    rows = from_desired_counts([(0.0, 10), (1.0, 10), (2.0, 7), (3.0, None), (4.0, 9)])
    assert rows == [ChangeRow(2.0, 0, 0, 3, 10), ChangeRow(4.0, 2, 0, 0, 7)]


def test_calibration_json_holds_the_commit_change_sizes_and_the_scenario_their_migration(tmp_path: Path) -> None:
    truth = Truth(resources=40, edit_rate=2e-5, delete_rate=1e-5, create_rate=1e-3)
    loop = write_history(tmp_path, truth, seed=3)
    (tmp_path / "c.json").write_text(json.dumps(COMMITS))
    cal = calibrate(loop, snapshots=[tmp_path / "snaps"], commits=tmp_path / "c.json", duration=3600)
    sizes = cal.to_json()["change_sizes"]
    assert sizes["source"].startswith("commits in") and [r["ref"] for r in sizes["rows"]] == ["a1", "b2", "c3"]
    assert cal.scenario["desired"] == [{"at": 1800.0, "kind": "migration", "fraction": round(16 / 41, 6)}]
    assert load_scenario(cal.scenario).desired[0].kind == "migration"
    np.testing.assert_allclose(cal.world["resources"], 40)
