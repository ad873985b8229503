"""The audit history store: SQLite by default, any SQLAlchemy URL, never a password in the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon.audit.history import HistoryError, HistoryStore, default_history_url
from recon.audit.trend import drift_streak, plot_drift_trend, trend_frame


def run_row(loop: str = "l", creates: int = 0, updates: int = 0, deletes: int = 0, exit_code: int = 2,
            t: float = 1000.0) -> dict:
    return {"loop": loop, "started_at": t, "finished_at": t + 1, "exit_code": exit_code, "status": "x",
            "creates": creates, "updates": updates, "deletes": deletes, "unchanged": 5, "desired_count": 5,
            "observed_count": 5, "observation_complete": True, "guards_tripped": ["max_deletes"],
            "alerts": ["a"], "error": None}


def test_runs_come_back_per_loop_oldest_first(tmp_path: Path) -> None:
    h = HistoryStore(default_history_url(tmp_path))
    assert (tmp_path / ".recon" / "audit-history.db").is_file()
    ids = [h.append(run_row(creates=i, t=1000.0 + i)) for i in range(3)]
    h.append(run_row(loop="other"))
    runs = h.runs("l")
    assert [r.id for r in runs] == ids and [r.creates for r in runs] == [0, 1, 2]
    assert runs[0].guards_tripped == ("max_deletes",) and runs[0].alerts == ("a",)
    assert [r.id for r in h.runs("l", limit=2)] == ids[1:]
    # A second store on the same file sees the same runs: the history outlives the process.
    assert len(HistoryStore(default_history_url(tmp_path)).runs("l")) == 3


def test_a_password_in_the_url_is_refused_and_not_repeated() -> None:
    with pytest.raises(HistoryError, match="carries a password") as e:
        HistoryStore("postgresql+psycopg://audit:hunter2-canary@127.0.0.1:5432/audits")
    assert "hunter2-canary" not in str(e.value)
    with pytest.raises(HistoryError, match="not a SQLAlchemy URL") as e:
        HistoryStore("postgresql://audit:hunter2-canary@host:notaport/x")
    assert "hunter2-canary" not in str(e.value)


def test_a_store_that_cannot_be_opened_names_itself(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HistoryError, match=f"history store sqlite:///{blocker}/h.db: cannot open"):
        HistoryStore(f"sqlite:///{blocker}/h.db")
    with pytest.raises(HistoryError, match="cannot open"):
        HistoryStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_drift_streak_and_trend(tmp_path: Path) -> None:
    h = HistoryStore(default_history_url(tmp_path))
    for creates, code in [(1, 2), (0, 0), (2, 2), (0, 1), (1, 3)]:  # (drift, exit code) per audit
        h.append(run_row(creates=creates, exit_code=code))
    runs = h.runs("l")
    assert drift_streak(runs) == 2  # the failed audit in between neither counts nor breaks the streak
    df = trend_frame(runs)
    assert list(df["drift"]) == [1, 0, 2, 0, 1] and list(df["exit_code"]) == [2, 0, 2, 1, 3]
    fig = plot_drift_trend(runs)
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * 4  # three stacked bar series over the four audits that ran
    assert len(ax.collections) == 1  # the failed audit is marked


@pytest.mark.server
def test_history_on_a_postgresql_server(pg_cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    with pg_cluster.admin() as c:
        c.execute("DROP DATABASE IF EXISTS recon_audit_history")
        c.execute("CREATE DATABASE recon_audit_history")
    try:
        monkeypatch.setenv("PGPASSWORD", pg_cluster.password)  # the driver's own way to a password
        url = f"postgresql+psycopg://{pg_cluster.superuser}@{pg_cluster.host}:{pg_cluster.port}/recon_audit_history"
        h = HistoryStore(url)
        h.append(run_row(creates=3))
        h.append(run_row(deletes=1))
        assert [r.drift for r in HistoryStore(url).runs("l")] == [3, 1]
        h.close()
    finally:
        with pg_cluster.admin() as c:
            c.execute("DROP DATABASE recon_audit_history WITH (FORCE)")
