"""recon's diff against a bare one-pass dict diff over the same data, at 1k to 1M resources.

Prints, per size, the best-of-N time of each and their ratio (target: under 2 at every size), the
cost per resource so linear growth is visible, and the machine's load averages beside the figures
(on a busy shared machine both sides slow down, but not always alike). The repeats are interleaved,
bare then recon, so both sample the same load. Both sides see the same resources; 1% of them are
created, updated or deleted. Run: .venv/bin/python benchmarks/plan_bench.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable

from recon.core.model import Resource
from recon.core.plan import diff


def make(n: int) -> tuple[dict, dict, dict, dict]:
    churn = max(n // 100, 3)
    desired = {("A", f"r{i}"): {"ttl": 300, "values": (f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",)}
               for i in range(n)}
    observed = dict(desired)
    for i in range(churn // 3):  # deletes: observed has extras
        observed[("A", f"gone{i}")] = {"ttl": 300, "values": ("10.9.9.9",)}
    for i in range(churn // 3):  # creates: desired has keys observed lacks
        observed.pop(("A", f"r{i}"))
    for i in range(churn // 3, 2 * (churn // 3)):  # updates
        observed[("A", f"r{i}")] = {"ttl": 60, "values": desired[("A", f"r{i}")]["values"]}
    d_res = {k: Resource(k[0], k[1], v) for k, v in desired.items()}
    o_res = {k: Resource(k[0], k[1], v) for k, v in observed.items()}
    return desired, observed, d_res, o_res


def bare(d: dict, o: dict) -> tuple[list, list, list]:
    """The fastest plain diff we know: one pass over desired, one over observed, no objects."""
    to_create, to_update = [], []
    get = o.get
    for k, v in d.items():
        w = get(k)
        if w is None:
            to_create.append(k)
        elif w != v:
            to_update.append(k)
    to_delete = [k for k in o if k not in d] if len(o) > len(d) - len(to_create) else []
    return to_create, to_update, to_delete


def timed(fn: Callable[[], object], inner: int = 1) -> float:
    """The time of one call of *fn*, from *inner* calls in a row: a sub-millisecond call timed once is
    mostly timer and cache noise, so small sizes are timed over enough calls to last milliseconds."""
    gc.collect()
    gc.disable()
    try:
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        return (time.perf_counter() - t) / inner
    finally:
        gc.enable()


def best_interleaved(fns: list[Callable[[], object]], repeat: int, inner: int = 1) -> list[float]:
    """The best time of each of *fns* over *repeat* rounds, each round running them one after another."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for ts, fn in zip(times, fns):
            ts.append(timed(fn, inner))
    return [min(ts) for ts in times]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'resources':>10} {'bare (ms)':>10} {'recon (ms)':>11} {'ratio':>6} {'recon ns/res':>13}  load 1/5/15 min")
    worst = 0.0
    for n in (int(x) for x in args.sizes.split(",")):
        d, o, dr, or_ = make(n)
        c, u, x = bare(d, o)
        p = diff(dr, or_)
        assert (len(p.creates), len(p.updates), len(p.deletes)) == (len(c), len(u), len(x)), "results differ"
        repeat = args.repeat if n < 1_000_000 else max(2, args.repeat // 2)
        tb, tr = best_interleaved([lambda: bare(d, o), lambda: diff(dr, or_)], repeat, inner=max(1, 20_000 // n))
        worst = max(worst, tr / tb)
        print(f"{n:>10} {tb * 1e3:>10.2f} {tr * 1e3:>11.2f} {tr / tb:>6.2f} {tr / n * 1e9:>13.1f}  {load()}")
    print(f"worst ratio {worst:.2f} (target < 2): {'OK' if worst < 2 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
