"""The same sweep on Dask (a LocalCluster started by the sweep, or a scheduler address) as on the
process pool: byte-identical sweep.csv. Dask listens on the loopback interface only."""

from __future__ import annotations

from pathlib import Path

import pytest
from distributed import LocalCluster

from recon.analysis.executors import SchedulerError, open_pool
from recon.analysis.sweep import run_sweep
from tests.sweep.conftest import GRID


def test_dask_gives_the_same_sweep_csv_as_the_process_pool(tiny, tmp_path: Path) -> None:
    pool = run_sweep(list(tiny), GRID, 3, root_seed=17, workers=2, out_dir=tmp_path / "pool")
    local = run_sweep(list(tiny), GRID, 3, root_seed=17, workers=2, scheduler="local", out_dir=tmp_path / "local")
    assert local.computed == pool.computed == 24
    for name in ("sweep.csv", "points.csv", "recommendation.json"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes(), name

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None,
                      worker_dashboard_address=None) as cluster:
        remote = run_sweep(list(tiny), GRID, 3, root_seed=17, scheduler=cluster.scheduler_address,
                           out_dir=tmp_path / "tcp")
    assert remote.computed == 24
    assert (tmp_path / "tcp" / "sweep.csv").read_bytes() == (tmp_path / "pool" / "sweep.csv").read_bytes()


def test_local_cluster_listens_on_loopback_only() -> None:
    with open_pool(2, "local") as pool:
        assert pool.slots == 2
        assert len(pool.addresses) == 3
        assert all(a.startswith("tcp://127.0.0.1:") for a in pool.addresses), pool.addresses
        assert pool.executor.submit(sum, [1, 2]).result() == 3


def test_an_unreachable_scheduler_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchedulerError, match="tcp://127.0.0.1:9: cannot reach the Dask scheduler"):
        with open_pool(None, "tcp://127.0.0.1:9"):
            pass
