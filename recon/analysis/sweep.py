"""Guard-threshold sweeps: every grid point x K seeds x each scenario, on an executor, streamed to disk.

``run_sweep`` validates every grid point before any run starts, then hands runs in batches to a
``concurrent.futures`` executor (see ``executors``). Batches start at one run; once run times are
known they grow to about half a second of work, so short runs do not drown in per-task overhead,
and shrink again near the end so no worker idles while another finishes a long batch. Finished
runs go to ``sweep.csv`` as they arrive; rerunning the same sweep into the same directory skips
them. At the end come the per-point aggregates, the Pareto frontier and the recommendation.

The engine is generic over its run function ``run(scenario, seed) -> summary mapping``; the default
runs the simulation. This module never interprets a summary beyond the keys it records.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from recon.analysis.aggregate import point_table, trip_column
from recon.analysis.executors import open_pool
from recon.analysis.frontier import Bounds, objectives, recommend
from recon.analysis.grid import Grid, parse_grid, root_entropy, spawn_seeds
from recon.analysis.runlog import Column, RunLog, read_root
from recon.analysis.sources import ScenarioSource, effective, resolve_sources
from recon.core.errors import ReconError
from recon.core.guards import GUARD_ORDER

RunFn = Callable[[Any, int], Mapping[str, Any]]
TARGET_BATCH_SECONDS = 0.5
MAX_BATCH = 256

METRICS: tuple[Column, ...] = (
    Column("converged", "bool"), Column("time_to_converge", "num"), Column("wrongful_deletes", "num"),
    Column("outage_resource_seconds", "num"), Column("approvals_requested", "num"), Column("guard_trips", "num"),
    *(Column(trip_column(g), "num") for g in GUARD_ORDER),
    Column("drift_events", "num"), Column("drift_dwell_mean", "num"), Column("drift_dwell_p95", "num"),
    Column("api_calls", "num"),
)
SUMMARY_KEYS = ("converged", "time_to_converge", "wrongful_deletes", "outage_resource_seconds",
                "approvals_requested", "guard_trips", "drift_events", "drift_dwell_mean", "drift_dwell_p95",
                "api_calls")


class _Bar(tqdm):  # type: ignore[misc]
    """A progress bar without tqdm's monitor thread, so this process stays single-threaded and can fork workers."""

    monitor_interval = 0


class SweepError(ReconError):
    """A run failed or the executor broke; names the run and how to replay it."""


def simulate_summary(scenario: Any, seed: int) -> Mapping[str, Any]:
    """The default run function: one simulation, its summary."""
    from recon.sim import simulate

    return simulate(scenario, seed).summary


@dataclass(frozen=True, slots=True)
class Job:
    scenario: str
    point: int
    seed_index: int
    seed: int


@dataclass(frozen=True, slots=True)
class RunFailure:
    """What a worker sends back instead of a summary when the run raised."""

    message: str


def run_batch(run: RunFn, scenarios: Mapping[tuple[str, int], Any], jobs: Sequence[Job]) -> list[tuple[Job, Any, float]]:
    """Runs *jobs* in order in a worker. A failure ends the batch and comes back as text, never raised,
    so the caller can name the run (exceptions from a worker may not survive pickling)."""
    out: list[tuple[Job, Any, float]] = []
    for job in jobs:
        t0 = time.perf_counter()
        try:
            summary = dict(run(scenarios[(job.scenario, job.point)], job.seed))
        except Exception as e:  # reported by name in the parent
            tb = traceback.format_exception_only(type(e), e)[-1].strip()
            out.append((job, RunFailure(tb), time.perf_counter() - t0))
            break
        out.append((job, summary, time.perf_counter() - t0))
    return out


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep as pandas frames (``runs`` a row per run, ``points`` a row per grid point and
    scenario, ``table`` a row per grid point with the three costs and ``pareto``) plus the recommendation."""

    runs: pd.DataFrame
    points: pd.DataFrame
    table: pd.DataFrame
    recommendation: dict[str, Any]
    grid: Grid
    scenarios: tuple[str, ...]
    root_entropy: int
    seeds: int
    computed: int           # runs executed by this call
    reused: int             # runs found finished in out_dir and skipped
    run_seconds: float      # summed time inside the run function, for this call's runs
    exec_seconds: float     # wall time from starting the executor to the last result
    wall_seconds: float     # the whole call, aggregates and files included
    out_dir: Path | None = None
    warnings: tuple[str, ...] = ()   # e.g. grid values that change nothing in a scenario


def _metrics(summary: Mapping[str, Any], job: Job) -> dict[str, Any]:
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        raise SweepError(f"run {job.scenario} point {job.point} seed {job.seed}: the summary lacks {missing}")
    row = {k: summary[k] for k in SUMMARY_KEYS}
    trips = summary["guard_trips"] or {}
    if not isinstance(trips, Mapping):
        raise SweepError(f"run {job.scenario} point {job.point}: guard_trips is {type(trips).__name__}, not a mapping")
    row["guard_trips"] = sum(int(v) for v in trips.values())
    row.update({trip_column(g): int(trips.get(g, 0)) for g in GUARD_ORDER})
    return row


def replay_command(source: ScenarioSource, seed: int, overrides: Sequence[str], out: str) -> str:
    sets = " ".join(f"--set {shlex.quote(o)}" for o in overrides)
    return f"recon simulate {shlex.quote(source.replay_ref)} --seed {seed} {sets} --out {shlex.quote(out)}".replace("  ", " ")


def run_sweep(scenario: Any, grid: Mapping[str, Sequence[Any]] | Sequence[str] | Grid, seeds: int,
              root_seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
              out_dir: Path | str | None = None, progress: bool = False, bounds: Bounds | None = None,
              sets: Sequence[str] = (), run: RunFn = simulate_summary, batch_size: int | None = None,
              worst: Any = None) -> SweepResult:
    """Run a sweep (or finish one found in *out_dir*) and return its frames and recommendation.

    *scenario* is a path, a mapping, a loaded scenario, or a list of them; *grid* maps dotted paths
    to values (or is a list of ``path=v1,v2`` strings); *sets* are ``--set`` overrides applied to
    every run before the grid's; *worst*, a ``recon.analysis.worstcase.Settings``, adds the
    adversarial worst case of every grid point (``recon.analysis.worstcase.points``).
    """
    started = time.perf_counter()
    bounds = bounds or Bounds()
    out = Path(out_dir) if out_dir is not None else None
    g = grid if isinstance(grid, Grid) else parse_grid(grid)
    sources = resolve_sources(scenario)
    points = g.points()
    loaded = {(s.label, p.index): s.load(sets, p.overrides) for s in sources for p in points}
    warnings = _inert_points(sources, points, loaded)
    worst_cases = None
    if worst is not None:  # before any run: a scenario the search cannot take fails with nothing written
        from recon.analysis.worstcase.points import ignored_by_search, worst_per_point

        worst_cases = worst_per_point(loaded, worst, progress)
        warnings += ignored_by_search(loaded)
    root = root_entropy(root_seed if root_seed is not None or out is None else read_root(out))
    seed_list = spawn_seeds(root, seeds)
    columns = [Column("scenario", "str"), Column("point", "int"), Column("seed_index", "int"),
               Column("root_entropy", "str"), Column("spawn_key", "json"), Column("seed", "int"),
               *(Column(p, "json") for p in g.paths), *METRICS, Column("replay", "str")]
    manifest = {"scenarios": [{"label": s.label, "digest": s.digest(sets)} for s in sources],
                "sources": [s.replay_ref for s in sources],
                "sets": list(sets), "grid": g.to_json(), "seeds": seeds, "root_entropy": str(root)}
    log = RunLog(columns, manifest, out, [s.label for s in sources])
    done = log.done()
    jobs = deque(Job(s.label, p.index, rs.index, rs.seed) for s in sources for p in points for rs in seed_list
                 if (s.label, p.index, rs.index) not in done)
    by_label = {s.label: s for s in sources}
    computed, run_seconds, exec_seconds = 0, 0.0, 0.0
    try:
        if jobs:
            t0 = time.perf_counter()
            computed, run_seconds = _execute(jobs, loaded, run, log, workers, scheduler, progress, batch_size,
                                             total=len(sources) * len(points) * seeds, done=len(done),
                                             row=lambda job, summary: _row(job, summary, by_label, points, seed_list, sets),
                                             replay=lambda job: _replay(job, by_label, points, sets))
            exec_seconds = time.perf_counter() - t0
        log.finish()
    finally:
        log.close()
    runs = pd.DataFrame(log.rows(), columns=log.names)
    labels = tuple(s.label for s in sources)
    pts = point_table(runs, g.paths, labels, root)
    table = objectives(pts, g.paths)
    if worst_cases is not None:
        from recon.analysis.worstcase.points import with_worst

        pts, table = with_worst(pts, table, worst_cases)
    rec = recommend(table, pts, g.paths, bounds)
    if rec["point"] is not None:
        rec["overrides"] = points[rec["point"]].overrides
    rec["sweep"] = {"scenarios": manifest["scenarios"], "sources": manifest["sources"], "sets": list(sets), "grid": g.to_json(), "seeds": seeds,
                    "root_entropy": str(root), "runs": len(runs)}
    rec["warnings"] = list(warnings)
    if worst is not None:
        rec["worst_case"] = {"settings": worst.to_dict(),
                             "per_point": {int(r["point"]): int(r["worst_case"]) for _, r in table.iterrows()}}
    result = SweepResult(runs, pts, table, rec, g, labels, root, seeds, computed, len(done), run_seconds,
                         exec_seconds, time.perf_counter() - started, out, tuple(warnings))
    if out is not None:
        from recon.analysis.outputs import write_outputs

        write_outputs(result, out)
    return result


def _inert_points(sources: Sequence[ScenarioSource], points: Sequence[Any],
                  loaded: Mapping[tuple[str, int], Any]) -> list[str]:
    """Grid points that load to the same scenario: their values change nothing there (a guard that the
    scenario switches off stays off when only its threshold is set)."""
    out = []
    for s in sources:
        seen: dict[str, int] = {}
        repeats = []
        for p in points:
            first = seen.setdefault(effective(loaded[(s.label, p.index)]), p.index)
            if first != p.index:
                repeats.append((p.index, first))
        if repeats:
            p, first = repeats[0]
            out.append(f"scenario {s.label}: {len(repeats)} of {len(points)} grid points repeat another point's scenario "
                       f"(e.g. point {p}: {', '.join(points[p].overrides)} = point {first}: "
                       f"{', '.join(points[first].overrides)}); a guard switched off in the scenario stays off when "
                       "only its threshold is set: add --set loop.guards.<name>.enabled=true")
    return out


def _row(job: Job, summary: Mapping[str, Any], sources: Mapping[str, ScenarioSource], points: Sequence[Any],
         seeds: Sequence[Any], sets: Sequence[str]) -> dict[str, Any]:
    point, rs = points[job.point], seeds[job.seed_index]
    return {"scenario": job.scenario, "point": job.point, "seed_index": job.seed_index,
            "root_entropy": str(rs.root_entropy), "spawn_key": list(rs.spawn_key), "seed": job.seed,
            **point.as_dict(), **_metrics(summary, job),
            "replay": _replay(job, sources, points, sets)}


def _replay(job: Job, sources: Mapping[str, ScenarioSource], points: Sequence[Any], sets: Sequence[str]) -> str:
    return replay_command(sources[job.scenario], job.seed, [*sets, *points[job.point].overrides],
                          f"replay-{job.scenario}-p{job.point}-s{job.seed_index}")


def _execute(jobs: deque[Job], loaded: Mapping[tuple[str, int], Any], run: RunFn, log: RunLog,
             workers: int | None, scheduler: str | None, progress: bool, batch_size: int | None,
             total: int, done: int, row: Callable[[Job, Mapping[str, Any]], dict[str, Any]],
             replay: Callable[[Job], str]) -> tuple[int, float]:
    computed, run_seconds = 0, 0.0
    with open_pool(workers, scheduler) as pool, \
            _Bar(total=total, initial=done, unit="run", disable=not progress, file=sys.stderr,
                 desc=f"sweep ({pool.label})", smoothing=0.1, dynamic_ncols=True) as bar:
        log.begin()  # only now that the executor runs: a sweep that cannot start leaves no files
        inflight: dict[Future[Any], int] = {}

        def size() -> int:
            if batch_size:
                return batch_size
            if computed == 0:
                return 1
            per_run = max(run_seconds / computed, 1e-6)
            tail = math.ceil(len(jobs) / (2 * pool.slots))
            return max(1, min(int(TARGET_BATCH_SECONDS / per_run), tail, MAX_BATCH))

        try:
            while jobs or inflight:
                while jobs and len(inflight) < 2 * pool.slots:
                    batch = [jobs.popleft() for _ in range(min(size(), len(jobs)))]
                    needed = {(j.scenario, j.point): loaded[(j.scenario, j.point)] for j in batch}
                    inflight[pool.executor.submit(run_batch, run, needed, batch)] = len(batch)
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    del inflight[fut]
                    results = fut.result()
                    good = [(j, s) for j, s, _ in results if not isinstance(s, RunFailure)]
                    log.append(row(j, s) for j, s in good)
                    computed += len(good)
                    run_seconds += sum(t for _, s, t in results if not isinstance(s, RunFailure))
                    bar.update(len(good))
                    for j, s, _ in results:
                        if isinstance(s, RunFailure):
                            raise SweepError(f"run failed: scenario {j.scenario}, grid point {j.point}, seed index "
                                             f"{j.seed_index} (seed {j.seed}): {s.message}. Finished runs are kept; replay "
                                             f"this one with: {replay(j)}")
        except BrokenProcessPool as e:
            raise SweepError(f"a worker process died ({e}); finished runs are kept in the output, rerun to resume") from None
        finally:  # keep what already finished elsewhere when stopping early; drop what has not started
            for fut in inflight:
                if not fut.cancel() and fut.done() and fut.exception() is None:
                    log.append(row(j, s) for j, s, _ in fut.result() if not isinstance(s, RunFailure))
    return computed, run_seconds
