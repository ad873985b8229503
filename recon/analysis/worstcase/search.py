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


@dataclass(slots=True)
class Stats:
    """What the search did: engine cycles run, states merged by dominance, states dropped by the beam."""

    cycles: int = 0
    merged: int = 0
    dropped: int = 0
    widest: int = 1
    layers: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"engine_cycles": self.cycles, "merged_by_dominance": self.merged, "dropped_by_beam": self.dropped,
                "widest_layer": self.widest, "layer_sizes": list(self.layers)}


@dataclass(frozen=True, slots=True)
class Found:
    """The worst node found, the moves that lead to it, and whether nothing was left unexplored."""

    node: Node
    moves: tuple[Move, ...]
    exhaustive: bool
    stats: Stats


Trail = tuple[Any, Move] | None  # (parent trail, move): shared prefixes, unwound once at the end


def _unwind(trail: Trail) -> tuple[Move, ...]:
    out: list[Move] = []
    while trail is not None:
        trail, move = trail
        out.append(move)
    return tuple(reversed(out))


def search(setup: Setup, horizon: int, space: Space, beam: int,
           tick: Callable[[int], None] = lambda n: None) -> Found:
    """The move sequence of *space* over *horizon* cycles with the most wrongful deletes; *tick* is
    called with the number of engine cycles after each state expanded (a progress bar)."""
    moves, stats = space.moves(), Stats()
    first = start(setup)
    layer: dict[Any, tuple[Node, Trail]] = {first.key(setup): (first, None)}
    exhaustive = True
    for i in range(horizon):
        nxt: dict[Any, tuple[Node, Trail]] = {}
        for node, trail in layer.values():
            for move in moves:
                child, _ = advance(setup, node, i, move.step(setup.times[i], space.typo))
                key = child.key(setup)
                old = nxt.get(key)
                if old is None:
                    nxt[key] = (child, (trail, move))
                else:
                    stats.merged += 1
                    if child.wrongful > old[0].wrongful:
                        nxt[key] = (child, (trail, move))
            stats.cycles += len(moves)
            tick(len(moves))
        stats.layers.append(len(nxt))
        stats.widest = max(stats.widest, len(nxt))
        if len(nxt) > beam:
            exhaustive = False
            stats.dropped += len(nxt) - beam
            # most deletes first; among equals the earlier found, so the result stays deterministic
            kept = sorted(nxt.items(), key=lambda kv: -kv[1][0].wrongful)[:beam]
            nxt = dict(kept)
        layer = nxt
    node, trail = max(layer.values(), key=lambda nt: nt[0].wrongful)
    return Found(node, _unwind(trail), exhaustive, stats)


def brute_force(setup: Setup, horizon: int, space: Space) -> int:
    """The most wrongful deletes of any sequence of *space*'s moves, trying each one (small worlds only)."""
    moves = space.moves()

    def best(node: Node, i: int) -> int:
        if i == horizon:
            return node.wrongful
        return max(best(advance(setup, node, i, m.step(setup.times[i], space.typo))[0], i + 1) for m in moves)

    return best(start(setup), 0)
