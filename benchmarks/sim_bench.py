"""How much the simulation costs on top of the diff it cannot avoid.

Prints, in one run: simulated cycles per second at 100, 10k and 100k resources (1% of the resources
drift per cycle, no faults); the throughput of a bare SimPy timeout loop; the time of 1,000 bare
dict/set diffs of the same 10k resources (plain dicts, the way benchmarks/plan_bench.py does it);
and the ratio that matters, for a provider that lists every cycle and for watch-style observation
(a change-fed cache with a full resync every ten cycles, as Kubernetes informers do, whose cycles
between resyncs take the core's change-fed diff). Targets: 1,000 simulated cycles over 10k resources
take at most 3x the 1,000 bare diffs, and watching costs less than listing (the last line). Every
figure is this process's CPU time (the machine is shared), against a baseline from the same run.

Run: .venv/bin/python benchmarks/sim_bench.py [--cycles 1000] [--sizes 100,10000,100000]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

import simpy

from recon.sim import load_scenario, simulate

TARGET = 3.0


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def bare_simpy(n: int) -> float:
    env = simpy.Environment()

    def proc() -> object:
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(proc())
    return timed(lambda: env.run())


def bare_diffs(n_resources: int, n_diffs: int) -> float:
    desired = {("rule", f"fw-{i:05d}"): {"port": 1024 + i, "proto": "tcp", "action": "allow",
                                         "values": [f"10.0.{i // 256 % 256}.{i % 256}"]} for i in range(n_resources)}
    observed = dict(desired)
    churn = max(1, n_resources // 100)
    for i in range(0, churn, 2):
        observed.pop(("rule", f"fw-{i:05d}"))
    for i in range(1, churn, 2):
        observed[("rule", f"fw-{i:05d}")] = {**desired[("rule", f"fw-{i:05d}")], "action": "deny"}

    def run() -> None:
        for _ in range(n_diffs):
            d, o = desired, observed
            _ = d.keys() - o.keys(), o.keys() - d.keys(), {k for k in d.keys() & o.keys() if d[k] != o[k]}

    return timed(run, repeat=3)


def scenario(n: int, cycles: int, period: float = 60.0, watch: bool = False) -> object:
    # 1% of the resources drift per cycle: per-resource rate 0.01 / period, half deletes, half edits.
    rate = 0.01 / period
    return load_scenario({
        "name": f"bench-{n}", "duration": cycles * period - period / 2, "record_resources": False,
        "world": {"resources": n},
        "loop": {"period": period, "guards": {"max_changes": {"max": max(100, n)}}},
        "drift": {"delete_rate": rate / 2, "edit_rate": rate / 2},
        "provider": {"watch": {"resync": 10 * period}} if watch else {},
    })


def run_one(label: str, sc: object) -> float:
    holder: dict[str, object] = {}
    elapsed = timed(lambda: holder.setdefault("r", simulate(sc, seed=1)))
    s = holder["r"].summary  # type: ignore[attr-defined]
    done = int(s["cycles"])
    print(f"{label}: {done} cycles in {elapsed:.3f}s = {done / elapsed:,.0f} cycles/s "
          f"({s['drift_events'] / done:.0f} drift events per cycle, {s['api_calls_by_op']['list']:,} list calls, "
          f"{s['api_calls']:,} API calls)")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--sizes", default="100,10000,100000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    n_timeouts = 200_000
    t = bare_simpy(n_timeouts)
    print(f"bare SimPy timeout loop: {n_timeouts / t:,.0f} events/s")

    t_bare = bare_diffs(10_000, args.cycles)
    print(f"{args.cycles} bare dict/set diffs of 10k resources: {t_bare:.3f}s ({t_bare / args.cycles * 1e3:.2f} ms each)")

    results = {}
    for n in sizes:
        cycles = args.cycles if n <= 10_000 else max(20, args.cycles // 20)
        results[n] = run_one(f"{n:>7,} resources, full list", scenario(n, cycles))
        if n == 10_000:
            results[-n] = run_one(f"{n:>7,} resources, watch  ", scenario(n, cycles, watch=True))
    if 10_000 in results:
        for key, how in ((10_000, "full list every cycle"), (-10_000, "watch cache, full resync every 10 cycles")):
            ratio = results[key] / t_bare
            verdict = "meets" if ratio <= TARGET else "MISSES"
            print(f"ratio ({how}), {args.cycles} simulated cycles over 10k resources vs {args.cycles} bare diffs: "
                  f"{ratio:.2f}x ({verdict} the target of {TARGET:g}x)")
        ratio = results[-10_000] / results[10_000]
        print(f"watch vs full list, {args.cycles} simulated cycles over 10k resources: {ratio:.2f}x "
              f"({'cheaper' if ratio < 1 else 'NOT cheaper'}: watch {results[-10_000]:.2f}s, list {results[10_000]:.2f}s)")


if __name__ == "__main__":
    main()
