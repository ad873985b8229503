"""The analytic side of the worst case: an upper bound from the policy's caps, and a witness for it.

Whatever the inputs do, a cycle deletes no more than its caps let through unapproved, and a delete
window no more than its budget; :func:`upper_bound` adds these up over the horizon. The bound
counts every delete, so it also holds for the sliding block of :func:`sliding_witness`: each cycle
the desired source leaves out the next block of keys and brings back the last one, so the desired
and observed counts never fall and only the caps stop it. Run on the real engine, a witness that
meets the bound proves the worst case exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from recon.analysis.worstcase.engine import Node, Setup, advance, start
from recon.analysis.worstcase.search import Move
from recon.core.policy import Convergence, RunMode


@dataclass(frozen=True, slots=True)
class Bound:
    """At most *value* wrongful deletes over the horizon (None: no cap holds), and why."""

    value: int | None
    reason: str


def per_cycle_cap(setup: Setup) -> int | None:
    """The most deletes one cycle can make without an approval, or None when nothing caps it."""
    p = setup.policy
    if p.convergence is not Convergence.SYNC or setup.mode is RunMode.OBSERVE_ONLY:
        return 0
    caps: list[int] = []
    md = p.guards.max_deletes
    if md.enabled and not setup.approves and md.max is not None:
        caps.append(md.max)
    if p.guards.max_changes.enabled:
        caps.append(p.guards.max_changes.max)
    return min(caps) if caps else None


def _window(setup: Setup) -> tuple[float, int] | None:
    """The delete window (seconds, budget) when the policy has one and no approver lifts it."""
    md = setup.policy.guards.max_deletes
    if not md.enabled or setup.approves or md.window is None or md.window_max is None:
        return None
    return md.window, md.window_max


def upper_bound(setup: Setup, horizon: int, first: int = 0) -> Bound:
    """The most wrongful deletes any inputs can cause in cycles *first* to *horizon*, from the caps
    alone (whatever the state before: a window holds at most its budget however it began)."""
    cap = per_cycle_cap(setup)
    parts: list[tuple[int, str]] = []
    cycles = horizon - first
    if cap is not None:
        parts.append((cap * cycles, f"{cycles} cycles x {cap} deletes per cycle"))
    win = _window(setup)
    if win is not None:
        seconds, budget = win
        span = setup.times[horizon - 1] - setup.times[first]
        # the cycles fall in this many back-to-back half-open windows, each holding at most the budget
        windows = math.floor(span / seconds) + 1
        parts.append((windows * budget, f"{windows} window(s) of {seconds:g}s x {budget} deletes"))
    if not parts:
        return Bound(None, "no cap limits deletes without an approval")
    return Bound(*min(parts))


def replay(setup: Setup, moves: tuple[Move, ...], typo: str = "x") -> Node:
    """The engine state after *moves*, one per cycle from the start."""
    node = start(setup)
    for i, m in enumerate(moves):
        node, _ = advance(setup, node, i, m.step(setup.times[i], typo))
    return node


def sliding_moves(size: int, block: int, horizon: int) -> tuple[Move, ...]:
    """Each cycle the desired source drops the next *block* keys (and so brings back the last ones)."""
    blocks = max(size // block, 1)
    return tuple(Move("drop", block, (i % blocks) * block) for i in range(horizon))


def sliding_witness(setup: Setup, horizon: int, candidates: int = 12) -> tuple[Node, tuple[Move, ...]] | None:
    """The best sliding block for the caps, tried on the real engine with up to *candidates* block sizes."""
    size = len(setup.intended)
    if size < 2:
        return None
    top = min(per_cycle_cap(setup) or size, size - 1)
    sizes = sorted({max(1, round(top * (k + 1) / candidates)) for k in range(candidates)}, reverse=True)
    best: tuple[Node, tuple[Move, ...]] | None = None
    for b in sizes:
        moves = sliding_moves(size, b, horizon)
        node = replay(setup, moves)
        if best is None or node.wrongful > best[0].wrongful:
            best = (node, moves)
    return best
