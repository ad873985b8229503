"""audit_loop: the observe-only plan of a loop as audit.json, with history and alerts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from recon.audit import Thresholds, audit_loop
from recon.audit.views import changes_frame, guards_frame, summary_html


def test_snapshot_loop_audit_records_the_plan_and_never_writes(loop_dir: Path, tmp_path: Path) -> None:
    observed = (loop_dir / "observed.yaml").read_bytes()
    r = audit_loop(loop_dir / "loop-snapshot.yaml", tmp_path / "out")
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert data == r.data and r.exit_code == 2 and data["status"] == "changes pending"
    assert data["loop"] == "example-dns" and data["provider"] == "snapshot" and data["mode"] == "observe-only"
    assert data["counts"] == {"create": 1, "update": 1, "delete": 2} and data["unchanged"] == 3
    assert {(b["kind"], b["name"], b["guard"]) for b in data["blocked"]} == {("TXT", "hand-made", "ownership")}
    assert [g["name"] for g in data["guards"]][:3] == ["kill_switch", "desired_error", "empty_desired"]
    # The trend counts what the loop would do: the hand-made record is excluded, not pending.
    assert data["pending"] == {"create": 1, "update": 1, "delete": 1}
    assert data["history"]["runs"] == 1 and data["trend"][0]["drift"] == 3
    assert (loop_dir / "observed.yaml").read_bytes() == observed

    changes = changes_frame(data)
    www = changes[changes["name"] == "www"].iloc[0]
    assert www["op"] == "update" and "10.0.0.99" in www["fields"] and www["decision"] == "would apply now"
    assert changes[changes["name"] == "hand-made"].iloc[0]["decision"].startswith("blocked by ownership")
    assert list(guards_frame(data)["name"]) == [g["name"] for g in data["guards"]]
    assert "<b>changes pending</b> (exit 2)" in summary_html(data)


def test_in_sync_is_exit_0_and_an_empty_desired_state_is_exit_3(loop_dir: Path, tmp_path: Path) -> None:
    shutil.copy(loop_dir / "observed.yaml", loop_dir / "desired.yaml")
    cfg = loop_dir / "loop-snapshot.yaml"
    assert audit_loop(cfg, tmp_path / "a").exit_code == 0
    (loop_dir / "desired.yaml").write_text("resources: []\n")
    r = audit_loop(cfg, tmp_path / "b")
    assert r.exit_code == 3 and any(g["name"] == "empty_desired" and g["outcome"] == "abort" for g in r.data["guards"])


def test_a_broken_desired_file_is_a_failed_audit_naming_the_file(loop_dir: Path, tmp_path: Path) -> None:
    (loop_dir / "desired.yaml").write_text("resources:\n  - {kind: A}\n")
    r = audit_loop(loop_dir / "loop-snapshot.yaml", tmp_path / "out")
    assert r.exit_code == 1 and "desired.yaml" in r.data["error"]
    assert json.loads((tmp_path / "out" / "audit.json").read_text())["status"] == "error"
    assert r.runs[-1].exit_code == 1 and r.runs[-1].error == r.data["error"]  # failures are in the history too
    assert "The audit failed" in summary_html(r.data)


def test_alerts_follow_the_thresholds_and_the_drift_streak(loop_dir: Path, tmp_path: Path) -> None:
    cfg = loop_dir / "loop-snapshot.yaml"
    t = Thresholds(deletes=1, changes=3, drift_runs=2)
    first = audit_loop(cfg, tmp_path / "1", thresholds=t)
    assert first.data["alerts"] == ["deletes: the loop would make 1 delete (threshold 1)",
                                    "changes: 3 changes pending (threshold 3)"]
    # Excluded changes (the unowned record) never raise an alert on their own.
    other = f"sqlite:///{tmp_path / 'other-history.db'}"
    assert audit_loop(cfg, tmp_path / "1b", other, Thresholds(deletes=2, changes=4, drift_runs=None)).data[
        "alerts"] == []
    second = audit_loop(cfg, tmp_path / "2", thresholds=Thresholds(None, None, 2))
    assert second.data["alerts"] == ["drift_runs: drift found in 2 runs in a row (threshold 2)"]
    assert [r["id"] for r in second.data["trend"]] == [1, 2]
    shutil.copy(loop_dir / "observed.yaml", loop_dir / "desired.yaml")
    third = audit_loop(cfg, tmp_path / "3", thresholds=Thresholds(None, None, 2))
    assert third.data["alerts"] == [] and third.data["history"]["drift_streak"] == 0


def test_history_url_from_the_environment(loop_dir: Path, tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    monkeypatch.setenv("RECON_AUDIT_HISTORY", url)
    r = audit_loop(loop_dir / "loop-snapshot.yaml", tmp_path / "out")
    assert r.data["history"]["store"] == url and (tmp_path / "shared.db").is_file()
    monkeypatch.setenv("RECON_AUDIT_HISTORY", "postgresql://u:canary-pw@127.0.0.1/x")
    bad = audit_loop(loop_dir / "loop-snapshot.yaml", tmp_path / "out2")
    assert bad.exit_code == 1 and "carries a password" in bad.data["error"]
    assert "canary-pw" not in (tmp_path / "out2" / "audit.json").read_text()


def test_a_secret_in_the_history_urls_query_is_refused_and_not_shown() -> None:
    import pytest

    from recon.audit.history import HistoryError, parse_history_url

    with pytest.raises(HistoryError, match=r"secret in its query \(password\)") as e:
        parse_history_url("postgresql+psycopg://audit@db.internal/hist?password=canary-s3cret")
    assert "canary-s3cret" not in str(e.value)
    assert parse_history_url("postgresql+psycopg://audit@db.internal/hist?sslmode=require").query == {"sslmode": "require"}
