"""A drifting scope with known rates, generated exactly (not by recon's simulator): the ground truth
the calibration tests fit against. Hand edits and deletes are Poisson per resource, creations
Poisson for the scope; nobody heals unless *heal_mean* is given (then each drift is undone after an
exponential time of that mean)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recon.calibrate.observations import Snapshot
from recon.core.model import Resource, freeze

T0 = 1_780_000_000.0  # 2026-05-28, any fixed epoch


@dataclass(frozen=True)
class Truth:
    edit_rate: float = 2e-6
    delete_rate: float = 1e-6
    create_rate: float = 5e-4
    resources: int = 400
    kinds: tuple[str, ...] = ("A", "CNAME", "TXT")


def desired(truth: Truth) -> dict[tuple[str, str], Resource]:
    out = {}
    for i in range(truth.resources):
        kind = truth.kinds[i % len(truth.kinds)]
        r = Resource(kind, f"web-{i:04d}", freeze({"ttl": 300, "v": 0}))
        out[r.key] = r
    return out


def history(truth: Truth, rng: np.random.Generator, snapshots: int = 72, every: float = 3600.0,
            heal_mean: float | None = None) -> list[Snapshot]:
    """*snapshots* observations *every* seconds apart of a scope drifting at *truth*'s rates."""
    base = desired(truth)
    horizon = (snapshots - 1) * every
    times = [T0 + i * every for i in range(snapshots)]
    # Per resource: its delete time (Exp), its edit times before it, each with a heal time when healing.
    events: list[tuple[float, str, tuple[str, str]]] = []
    for k in base:
        t = 0.0
        while True:
            t += rng.exponential(1 / (truth.edit_rate + truth.delete_rate))
            if t > horizon:
                break
            op = "edit" if rng.random() < truth.edit_rate / (truth.edit_rate + truth.delete_rate) else "delete"
            events.append((t, op, k))
            if heal_mean is not None:
                events.append((t + rng.exponential(heal_mean), "heal", k))
    t, made = 0.0, 0
    while True:
        t += rng.exponential(1 / truth.create_rate)
        if t > horizon:
            break
        made += 1
        k = ("A", f"hand-{made:05d}")
        events.append((t, "create", k))
        if heal_mean is not None:
            events.append((t + rng.exponential(heal_mean), "remove", k))
    events.sort()
    world = dict(base)
    out, j, edits = [], 0, 0
    for at in times:
        while j < len(events) and T0 + events[j][0] <= at:
            _, op, k = events[j]
            j += 1
            if op == "edit" and k in world:
                edits += 1
                world[k] = Resource(k[0], k[1], freeze({"ttl": 300, "v": edits}))
            elif op == "delete":
                world.pop(k, None)
            elif op == "heal":
                world[k] = base[k]
            elif op == "create":
                world[k] = Resource(k[0], k[1], freeze({"ttl": 60}))
            elif op == "remove":
                world.pop(k, None)
        out.append(Snapshot(f"snap-{len(out):03d}.yaml", at, dict(world)))
    return out
