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


def test_desired_history_json_as_recon_desired_history_prints_it() -> None:
    data = {"loop": "g", "source": "git:repo@HEAD", "commits": [
        {"commit": "c3", "parent": "b2", "time": 300.0, "subject": "drop", "creates": 0, "updates": 0, "deletes": 4,
         "resources": 6, "error": None},
        {"commit": "b2", "parent": "a1", "time": 200.0, "subject": "bad", "creates": None, "updates": None,
         "deletes": None, "resources": None, "error": "x.yaml:1: ..."},
        {"commit": "a1", "parent": None, "time": 100.0, "subject": "init", "creates": 10, "updates": 0, "deletes": 0,
         "resources": 10, "error": None}]}
    rows = from_commits(data, "h.json")
    assert [(r.ref, r.at, r.size_before, r.deletes) for r in rows] == [("a1", 100.0, 0, 0), ("c3", 300.0, 10, 4)]


def test_a_git_sources_commits_give_the_change_sizes_in_calibration_json(tmp_path: Path) -> None:
    """Acceptance (c), end to end: needs issue 14's git source (branch src-git-sql); skipped until it is merged."""
    import subprocess

    import pytest

    pytest.importorskip("recon.sources.git", reason="the git desired source (issue 14) is not merged yet")
    truth = Truth(resources=40, edit_rate=2e-5, delete_rate=1e-5, create_rate=1e-3)
    loop = write_history(tmp_path, truth, seed=3)
    repo = tmp_path / "repo"
    (repo / "inv").mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                       capture_output=True)

    git("init", "-q")
    lines = (tmp_path / "desired.yaml").read_text()
    for i, text in enumerate([lines, lines.replace("ttl: 300", "ttl: 301", 3)]):
        (repo / "inv" / "d.yaml").write_text(text)
        git("add", "-A")
        git("commit", "-q", "-m", f"step {i}")
    loop.write_text(loop.read_text().replace("desired: {path: desired.yaml}",
                                             f"desired: {{type: git, repo: {repo}, ref: HEAD, path: inv}}"))
    sizes = calibrate(loop, snapshots=[tmp_path / "snaps"], duration=3600).to_json()["change_sizes"]
    assert sizes["source"].startswith("commits of") and sizes["events"] == 2
    assert [(r["creates"], r["updates"], r["deletes"]) for r in sizes["rows"]] == [(40, 0, 0), (0, 3, 0)]
