"""Does a simulated cycle cost the changes or the inventory? The change-fed diff at 10k, 100k and 1M.

In one process, for each size: a world of N resources, one loop every 60 s observing through a watch
cache (no full resync after the first list) with 100 drift events per cycle (half deletes, half
hand edits), so each cycle plans what drifted and repairs it. It prints cycles per second (after
the first cycle, whose full list and full diff cost the inventory once), the memory the simulation
holds per resource (resident set growth over the build and first cycle, divided by N), how many
cycles took the change-fed path, and beside them the same world observed by a full list every cycle
(fewer cycles at the large sizes: each costs the inventory). Then one simulated day (1,440 cycles)
of 100k with steady drift, timed from scenario to result (target under 20 s). The last line is
``scale ratio (1M vs 10k, same drift): X.XX``, the time per cycle at 1M over that at 10k (target
under 2.0). Times are this process's CPU time (the machine is shared; wall time is printed beside
it for the day). The build's objects are moved out of the garbage collector's way (``gc.freeze``) before
timing, as a long-running process with a large steady heap would do.

Run: .venv/bin/python benchmarks/scale_bench.py [--cycles 1000] [--sizes 10000,100000,1000000] [--no-day]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from typing import Any

from recon.sim import load_scenario, simulate
from recon.sim.run import Simulation, build

PERIOD = 60.0
DRIFT_PER_CYCLE = 100
TARGET_RATIO = 2.0
TARGET_DAY = 20.0


def scenario(n: int, cycles: int, *, watch: bool, drift: int = DRIFT_PER_CYCLE) -> Any:
    """*n* resources, *cycles* loop cycles, *drift* hand changes per period; watch without resync, or list."""
    rate = drift / n / PERIOD  # per resource and second: n resources give *drift* events per period
    duration = cycles * PERIOD - PERIOD / 2
    return load_scenario({
        "name": f"scale-{n}", "duration": duration, "record_resources": False,
        "world": {"resources": n},
        "loop": {"period": PERIOD, "guards": {"max_changes": {"max": max(1000, 10 * drift)}}},
        "drift": {"delete_rate": rate / 2, "edit_rate": rate / 2},
        "provider": {"watch": {"resync": 10 * duration}} if watch else {},
        "limits": {"max_work": 1e15, "max_resources": 2 * n},
    })


def rss() -> int:
    """Resident set size now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(n: int, cycles: int, watch: bool) -> dict[str, float]:
    """Build, run the first cycle, then time the rest; the figures of one run."""
    gc.collect()
    before = rss()
    t0 = time.perf_counter()
    sim: Simulation = build(scenario(n, cycles, watch=watch), seed=1)
    sim.env.run(until=PERIOD / 2)  # the first cycle: a full list and a full diff
    setup = time.perf_counter() - t0
    held = rss() - before
    gc.collect()
    gc.freeze()
    driver = sim.drivers[0]
    done_before, fed = driver.cycles, 0
    t, wall = time.process_time(), time.perf_counter()
    while sim.env.peek() < sim.scenario.duration:
        at = driver.cycles
        sim.env.step()
        if driver.cycles != at:
            last = driver.loop.state.last_plan
            fed += last is not None and not last.full
    elapsed, wall = time.process_time() - t, time.perf_counter() - wall
    gc.unfreeze()
    timed = driver.cycles - done_before
    out = {"n": n, "cycles": timed, "seconds": elapsed, "per_cycle": elapsed / timed, "wall": wall, "setup": setup,
           "bytes_per_resource": held / n, "fed": fed, "drift": sim.world.drift_events / driver.cycles,
           "out_of_sync": len(sim.world.bad)}
    del sim, driver
    gc.collect()
    return out


def line(label: str, r: dict[str, float]) -> str:
    return (f"{label} {int(r['n']):>9,} resources: {int(r['cycles']):>5} cycles in {r['seconds']:7.2f}s CPU = "
            f"{1 / r['per_cycle']:8,.1f} cycles/s ({r['per_cycle'] * 1e3:7.2f} ms each; setup {r['setup']:.1f}s, "
            f"{r['bytes_per_resource']:,.0f} bytes/resource, {r['drift']:.0f} drift events/cycle, "
            f"{int(r['fed'])} change-fed)")


def day(n: int = 100_000) -> float:
    """One simulated day of *n* resources, 60 s cycles, steady drift: wall time from scenario to result."""
    gc.collect()
    t, wall = time.process_time(), time.perf_counter()
    result = simulate(scenario(n, 1440, watch=True), seed=2)
    elapsed, wall = time.process_time() - t, time.perf_counter() - wall
    s = result.summary
    verdict = "meets" if elapsed < TARGET_DAY else "MISSES"
    print(f"one simulated day ({s['cycles']} cycles, {PERIOD:g} s period) of {n:,} resources with steady drift "
          f"({s['drift_events']:,} drift events, watch): {elapsed:.2f}s CPU, {wall:.2f}s wall ({verdict} the target of {TARGET_DAY:g}s)")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--list-cycles", default="1000,100,20", help="full-list cycles per size (each costs the inventory)")
    ap.add_argument("--no-day", action="store_true", help="skip the simulated day")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    list_cycles = [int(c) for c in args.list_cycles.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    run(1000, 101, watch=True)  # warm up (imports, first calls), so the smallest size is not charged for it
    fed: dict[int, dict[str, float]] = {}
    for i, n in enumerate(sizes):
        fed[n] = run(n, args.cycles + 1, watch=True)
        print(line("watch (change-fed diff)", fed[n]), flush=True)
        full = run(n, list_cycles[min(i, len(list_cycles) - 1)] + 1, watch=False)
        print(line("full list every cycle  ", full) + f"; change-fed is {full['per_cycle'] / fed[n]['per_cycle']:.1f}x "
              "faster per cycle", flush=True)
    if not args.no_day:
        day()
    print(f"peak RSS: {peak_rss() / 2**30:.2f} GiB; load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if sizes and min(sizes) != max(sizes):
        ratio = fed[max(sizes)]["per_cycle"] / fed[min(sizes)]["per_cycle"]
        print(f"scale ratio ({max(sizes) // 1000_000 or max(sizes) // 1000}{'M' if max(sizes) >= 1_000_000 else 'k'} "
              f"vs {min(sizes) // 1000}k, same drift): {ratio:.2f}")


if __name__ == "__main__":
    main()
