"""Sweep throughput: runs per second with 1 and 2 workers, and the executor's overhead per run.

In one process, over the same runs (a scenario x a small grid x K seeds):

- ``direct``: the simulation called in a plain loop, no executor (the baseline);
- ``sweep, 1 worker`` and ``sweep, 2 workers``: ``run_sweep`` on the process pool, timed from
  starting the executor to the last result (scenario loading before and aggregates after are
  reported separately, they are not per-run costs).

Prints runs/s of each, the 2-vs-1 worker ratio (target: at least 1.7 on two cores) and the
executor's overhead per run against the direct loop (target: under 5%). Each figure is the best
of --repeat rounds, taken in interleaved order so background load hits all of them alike. Other
processes on the machine lower the 2-worker figure most: quote the load with the result.

Run: .venv/bin/python benchmarks/sweep_bench.py [--scenario scenarios/migration-approval.yaml] [--seeds 40]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from recon.analysis.grid import parse_grid, spawn_seeds
from recon.analysis.sweep import run_sweep, simulate_summary
from recon.sim import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GRID = ["loop.guards.max_deletes.max=10,50"]


def direct(scenario: Path, seeds: int) -> tuple[float, int]:
    """The baseline: every run of the sweep, called in a loop in this process."""
    points = parse_grid(GRID).points()
    loaded = [load_scenario(scenario, p.overrides) for p in points]  # outside the timing, as in the sweep
    t0 = time.perf_counter()
    n = 0
    for sc in loaded:
        for rs in spawn_seeds(1, seeds):
            simulate_summary(sc, rs.seed)
            n += 1
    return time.perf_counter() - t0, n


def swept(scenario: Path, seeds: int, workers: int) -> tuple[float, float, float, int]:
    """Executor wall time, time inside the simulation (summed over workers), time outside the runs."""
    res = run_sweep(scenario, GRID, seeds, root_seed=1, workers=workers)
    return res.exec_seconds, res.run_seconds, res.wall_seconds - res.exec_seconds, res.computed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "migration-approval.yaml")
    ap.add_argument("--seeds", type=int, default=40, help="seeds per grid point (2 grid points)")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    print(f"scenario {a.scenario.name}, {2 * a.seeds} runs per measurement, best of {a.repeat}; "
          f"{len(os.sched_getaffinity(0))} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    swept(a.scenario, 2, 2)  # warm up: imports, caches
    best: dict[str, float] = {}
    inside = after = 0.0
    n = 0
    for _ in range(a.repeat):
        t, n = direct(a.scenario, a.seeds)
        best["direct"] = min(best.get("direct", t), t)
        for w in (1, 2):
            t, run_t, post, n = swept(a.scenario, a.seeds, w)
            if t < best.get(f"w{w}", float("inf")):
                best[f"w{w}"] = t
                if w == 1:
                    inside = run_t
            after = max(after, post)
    rate = {k: n / v for k, v in best.items()}
    print(f"{'direct loop (baseline)':28s} {rate['direct']:8.1f} runs/s  ({best['direct'] / n * 1e3:.2f} ms a run)")
    print(f"{'sweep, 1 worker':28s} {rate['w1']:8.1f} runs/s")
    print(f"{'sweep, 2 workers':28s} {rate['w2']:8.1f} runs/s")
    ratio = rate["w2"] / rate["w1"]
    overhead = best["w1"] / best["direct"] - 1
    print(f"2 workers / 1 worker: {ratio:.2f}x (target >= 1.7) -> {'OK' if ratio >= 1.7 else 'MISSED'}")
    print(f"executor overhead per run, 1 worker vs direct: {overhead * 100:+.1f}% "
          f"({(best['w1'] - best['direct']) / n * 1e3:+.2f} ms a run; target < 5%) -> {'OK' if overhead < 0.05 else 'MISSED'}")
    print(f"executor overhead per run, 1 worker vs the same sweep's time inside the simulation: "
          f"{(best['w1'] / inside - 1) * 100:+.1f}% (what the executor adds, whatever else runs on the machine)")
    print(f"(not per run: loading the grid's scenarios, aggregates and recommendation took up to {after:.2f} s a sweep)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}: other processes on these cores lower the 2-worker figure")


if __name__ == "__main__":
    main()
