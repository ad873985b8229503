"""Where a sweep's runs execute: one ``concurrent.futures.Executor`` whatever the backend.

- default: a process pool. Workers are forked from this process (modules already imported, nothing
  to re-run) when it has a single thread, all at once before any other thread starts; otherwise
  (a notebook kernel, a live Dask client) from a forkserver that preloads the simulation, because
  forking a threaded process can copy a held lock;
- ``tcp://HOST:PORT`` (or any address ``distributed.Client`` accepts): an existing Dask cluster,
  through ``Client.get_executor(pure=False)`` so Dask never merges two runs as "the same call";
- ``local``: a Dask LocalCluster started here, listening on 127.0.0.1 only, without dashboards.

This module owns starting and stopping executors; it never decides what runs on them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from recon.core.errors import ReconError

PRELOAD = ["recon.sim", "recon.analysis.sweep"]
CONNECT_TIMEOUT = 5  # seconds to reach a Dask scheduler before giving up


class SchedulerError(ReconError):
    """The executor could not start, or the scheduler could not be reached; names the address."""


@dataclass(frozen=True, slots=True)
class Pool:
    executor: Executor
    slots: int          # runs that can execute at once
    label: str          # for the progress bar and logs
    addresses: tuple[str, ...] = ()   # Dask scheduler and worker addresses (none for a process pool)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_pool(workers: int | None = None, scheduler: str | None = None) -> Iterator[Pool]:
    """Start the executor for *workers* / *scheduler*, yield it, and shut it down afterwards."""
    if workers is not None and workers < 1:
        raise SchedulerError(f"--workers {workers}: need at least one worker")
    if scheduler is None:
        n = workers or default_workers()
        if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
            ex = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"))
            ex.submit(int).result()  # forks every worker now, while this process is single-threaded
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            ex = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
        try:
            yield Pool(ex, n, f"process pool, {n} worker(s)")
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        return
    with _dask_client(workers, scheduler) as (client, label):
        threads = client.nthreads()
        slots = max(1, sum(threads.values()))
        yield Pool(client.get_executor(pure=False), slots, label, (client.scheduler.address, *sorted(threads)))


@contextmanager
def _dask_client(workers: int | None, scheduler: str) -> Iterator[tuple[object, str]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - distributed is a dependency
        raise SchedulerError(f"--scheduler {scheduler}: dask.distributed is not installed ({e})") from None
    if scheduler == "local":
        n = workers or default_workers()
        try:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, worker_dashboard_address=None,
                                   silence_logs=logging.ERROR)
        except Exception as e:
            raise SchedulerError(f"--scheduler local: could not start a Dask LocalCluster on 127.0.0.1: {e}") from None
        try:
            with Client(cluster) as client:
                yield client, f"Dask LocalCluster {cluster.scheduler_address}, {n} worker(s)"
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise SchedulerError(f"--scheduler {scheduler}: cannot reach the Dask scheduler: {e}") from None
    try:
        if workers is not None:
            logging.getLogger(__name__).info("--workers is ignored with --scheduler %s: the cluster decides", scheduler)
        yield client, f"Dask cluster {scheduler}"
    finally:
        client.close()
