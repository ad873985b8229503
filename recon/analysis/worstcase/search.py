"""The adversarial search: every move sequence of a discretised space, merged by engine state.

A :class:`Space` lists the moves the adversary may make in a cycle (what the desired source returns,
how the list comes back), with counts in steps of resources. :func:`search` goes cycle by cycle:
each engine state of the layer meets every move on the real engine (:func:`.engine.advance`), and
children with the same engine state merge, keeping the one with more wrongful deletes. That
merge is exact (the future depends on the engine state alone), so a search whose layers never
outgrew *beam* is exhaustive over the space; one that had to keep only the *beam* states with the
most deletes is bounded, and its answer a lower bound with a witness. :func:`brute_force` tries
every sequence with no merging at all: the check the tests hold the search to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from recon.analysis.worstcase.engine import Node, Setup, advance, start
from recon.sim.script import ScriptStep

DesiredKind = Literal["full", "drop", "rename", "empty", "error"]
ObserveKind = Literal["complete", "flag", "truncate"]
DESIRED_KINDS: tuple[DesiredKind, ...] = ("full", "drop", "rename", "empty", "error")
OBSERVE_KINDS: tuple[ObserveKind, ...] = ("complete", "flag", "truncate")


@dataclass(frozen=True, slots=True)
class Move:
    """One cycle of the adversary: a desired answer and a list answer (see :class:`ScriptStep`)."""

    desired: DesiredKind = "full"
    count: int = 0
    offset: int = 0
    observe: ObserveKind = "complete"
    hide: int = 0

    def step(self, at: float, typo: str) -> ScriptStep:
        return ScriptStep(at=at, desired=self.desired, count=self.count, offset=self.offset,
                          observe=self.observe, hide=self.hide, typo=typo)


@dataclass(frozen=True, slots=True)
class Space:
    """The moves of one cycle over *size* intended resources: drop or rename counts in steps of
    *step* (starting at multiples of *offset_step*, or only at the start when None), lists cut by
    multiples of *hide_step*, and only the kinds named."""

    size: int
    step: int
    hide_step: int
    offset_step: int | None = None
    desired: tuple[DesiredKind, ...] = DESIRED_KINDS
    observe: tuple[ObserveKind, ...] = OBSERVE_KINDS
    typo: str = "x"

    def moves(self) -> tuple[Move, ...]:
        counts = list(range(self.step, self.size, self.step)) + [self.size] if self.size else []
        offsets = range(0, self.size, self.offset_step) if self.offset_step else range(1)
        answers: list[tuple[DesiredKind, int, int]] = []
        for kind in self.desired:
            if kind in ("drop", "rename"):
                # dropping everything is the empty list; a block past the end is a shorter block
                answers += [(kind, c, o) for o in offsets for c in counts
                            if o + c <= self.size and not (kind == "drop" and c == self.size)]
            else:
                answers.append((kind, 0, 0))
        hides = list(range(self.hide_step, self.size + 1, self.hide_step)) if self.size else []
        lists: list[tuple[ObserveKind, int]] = []
        for how in self.observe:
            if how == "complete":
                lists.append((how, 0))
            elif how == "flag":
                lists += [(how, 0)] + [(how, h) for h in hides]
            else:
                lists += [(how, h) for h in hides]
        return tuple(Move(d, c, o, how, h) for d, c, o in answers for how, h in lists)


@dataclass(frozen=True, slots=True)
class Limit:
    """When to stop early and what may be skipped: after *cycles* engine cycles or at the monotonic
    time *deadline*; *floor* is the deletes a witness already has and *rest(i)* the most deletes
    cycles i onwards can add (None: no cap), so a state that cannot beat the floor is not expanded
    (branch and bound: nothing it skips could do better); a state at *ceiling* (the analytic bound)
    ends the search, as nothing can do more."""

    cycles: int | None = None
    deadline: float | None = None
    floor: int = 0
    rest: Callable[[int], int | None] = lambda i: None
    ceiling: int | None = None


@dataclass(slots=True)
class Stats:
    """What the search did: engine cycles run, states merged by dominance, states dropped by the
    beam or left unexpanded by the cycle budget, states pruned because they could not beat the
    witness, and why it stopped."""

    cycles: int = 0
    merged: int = 0
    dropped: int = 0
    widest: int = 1
    layers: list[int] = field(default_factory=list)
    pruned: int = 0
    budgeted: int = 0
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"engine_cycles": self.cycles, "merged_by_dominance": self.merged, "dropped_by_beam": self.dropped,
                "dropped_by_budget": self.budgeted, "pruned_by_bound": self.pruned, "widest_layer": self.widest,
                "layer_sizes": list(self.layers),
                "stopped_early": self.stopped}


@dataclass(frozen=True, slots=True)
class Found:
    """The worst node found, the moves that lead to it, and whether nothing was left unexplored."""

    node: Node
    moves: tuple[Move, ...]
    exhaustive: bool
    stats: Stats


Trail = tuple[Any, Move] | None  # (parent trail, move): shared prefixes, unwound once at the end
Layer = dict[Any, tuple[Node, Trail]]


def _unwind(trail: Trail) -> tuple[Move, ...]:
    out: list[Move] = []
    while trail is not None:
        trail, move = trail
        out.append(move)
    return tuple(reversed(out))


def _width(limit: Limit, stats: Stats, i: int, horizon: int, moves: int, size: int) -> int:
    """How many states of layer *i* the cycle budget lets the search expand, leaving each later
    layer as many: the search reaches the horizon greedily rather than stopping halfway."""
    if limit.cycles is None:
        return size
    left = limit.cycles - stats.cycles
    if left < moves:
        return 0
    return min(size, max(1, left // ((horizon - i) * moves)))


def search(setup: Setup, horizon: int, space: Space, beam: int,
           tick: Callable[[int], None] = lambda n: None, limit: Limit = Limit()) -> Found:
    """The move sequence of *space* over *horizon* cycles with the most wrongful deletes; *tick* is
    called with the number of engine cycles after each batch (a progress bar). A search stopped by
    *limit*'s budget finishes its best state with full lists and is not exhaustive."""
    moves, stats = space.moves(), Stats()
    first = start(setup)
    layer: Layer = {first.key(setup): (first, None)}
    best: tuple[Node, Trail, int] = (first, None, 0)
    exhaustive = True
    for i in range(horizon):
        order = list(layer.values())
        rest = limit.rest(i)
        if rest is not None:
            keep = [nt for nt in order if nt[0].wrongful + rest > limit.floor]
            stats.pruned += len(order) - len(keep)
            order = keep
        width = _width(limit, stats, i, horizon, len(moves), len(order))
        if width < len(order):
            # most deletes first; among equals the earlier found, so the result stays deterministic
            order.sort(key=lambda nt: -nt[0].wrongful)
            exhaustive = False
            stats.budgeted += len(order) - width
            stats.stopped = stats.stopped or (None if width else "engine-cycle budget")
        nxt: Layer = {}
        for node, trail in order[:width]:
            done = _expand(setup, node, trail, i, moves, space.typo, nxt, stats, limit)
            tick(done)
            if stats.stopped == "time budget":
                break
        if stats.stopped == "time budget":
            exhaustive = False
        if nxt:
            stats.layers.append(len(nxt))
            stats.widest = max(stats.widest, len(nxt))
            top, trail = max(nxt.values(), key=lambda nt: nt[0].wrongful)
            if top.wrongful >= best[0].wrongful:  # at a tie the deeper state: fewer cycles to finish
                best = (top, trail, i + 1)
        if not nxt or stats.stopped is not None or (limit.ceiling is not None and best[0].wrongful >= limit.ceiling):
            if nxt and stats.stopped is None:
                stats.stopped = "upper bound reached"
            break
        if len(nxt) > beam:
            exhaustive = False
            stats.dropped += len(nxt) - beam
            nxt = dict(sorted(nxt.items(), key=lambda kv: -kv[1][0].wrongful)[:beam])
        layer = nxt
    node, trail = _finish(setup, best, horizon, space.typo, stats)
    return Found(node, _unwind(trail), exhaustive, stats)


def _expand(setup: Setup, node: Node, trail: Trail, i: int, moves: tuple[Move, ...], typo: str,
            nxt: Layer, stats: Stats, limit: Limit) -> int:
    """Every move from *node* at cycle *i* into *nxt*, merging equal engine states; the cycles run.
    Past the deadline it stops between two moves (``stats.stopped``)."""
    done = 0
    for move in moves:
        if limit.deadline is not None and time.monotonic() > limit.deadline:
            stats.stopped = "time budget"
            break
        child, _ = advance(setup, node, i, move.step(setup.times[i], typo))
        done += 1
        key = child.key(setup)
        old = nxt.get(key)
        if old is None:
            nxt[key] = (child, (trail, move))
        else:
            stats.merged += 1
            if child.wrongful > old[0].wrongful:
                nxt[key] = (child, (trail, move))
    stats.cycles += done
    return done


def _finish(setup: Setup, best: tuple[Node, Trail, int], horizon: int, typo: str,
            stats: Stats) -> tuple[Node, Trail]:
    """The best state found, run on to the horizon with the full list and a complete observation
    (the deletes so far stay: a trace of exactly *horizon* cycles that replays to at least them)."""
    node, trail, depth = best
    for i in range(depth, horizon):
        node, _ = advance(setup, node, i, FULL.step(setup.times[i], typo))
        trail = (trail, FULL)
        stats.cycles += 1
    return node, trail


FULL = Move()


def brute_force(setup: Setup, horizon: int, space: Space) -> int:
    """The most wrongful deletes of any sequence of *space*'s moves, trying each one (small worlds only)."""
    moves = space.moves()

    def best(node: Node, i: int) -> int:
        if i == horizon:
            return node.wrongful
        return max(best(advance(setup, node, i, m.step(setup.times[i], space.typo))[0], i + 1) for m in moves)

    return best(start(setup), 0)
