"""What a sweep consists of: the grid of settings, the seeds, and the list of runs they make.

A grid axis is written ``dotted.path=v1,v2,...`` exactly like ``recon simulate --set``, with each
value parsed as YAML (``5``, ``0.3``, ``false``, ``null``, ``{max: 5, action: abort}``). Seeds come
from ``numpy.random.SeedSequence(root).spawn(k)``; every grid point uses the same k seeds (common
random numbers), so two settings are compared on the same drift, faults and humans.

Any scenario field is an axis, the guards' windows across cycles too
(``loop.guards.max_deletes.window`` with ``...window_max``, ``loop.guards.desired_shrink.window``);
a window and its budget go together, so sweep both or set the other with ``--set``.

This module owns parsing and enumeration only; it never runs a simulation or touches a file.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recon.core.errors import ReconError
from recon.sources.yamlread import ParseError, parse_yaml

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")


class GridError(ReconError):
    """A ``--grid`` or ``--seed`` argument that cannot be used; the message quotes it."""


def encode_value(value: Any) -> str:
    """A grid value as override text: JSON, which YAML reads back to the same value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Axis:
    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Point:
    """One combination of grid values; ``index`` follows the order of the grid's product."""

    index: int
    params: tuple[tuple[str, Any], ...]

    @property
    def overrides(self) -> list[str]:
        return [f"{path}={encode_value(v)}" for path, v in self.params]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class Grid:
    axes: tuple[Axis, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.axes)

    def points(self) -> list[Point]:
        """Every combination, the last axis varying fastest. An empty grid is one point."""
        combos = itertools.product(*(a.values for a in self.axes))
        return [Point(i, tuple(zip(self.paths, combo))) for i, combo in enumerate(combos)]

    def to_json(self) -> dict[str, list[Any]]:
        return {a.path: list(a.values) for a in self.axes}


def parse_axis(spec: str) -> Axis:
    """``dotted.path=v1,v2,...`` -> Axis; values are the items of the YAML flow list ``[v1,v2,...]``."""
    path, sep, rhs = spec.partition("=")
    path = path.strip()
    if not sep or not _PATH.match(path):
        raise GridError(f"--grid {spec!r}: expected dotted.path=v1,v2,... (e.g. loop.guards.max_deletes.max=5,10,20)")
    if not rhs.strip():
        raise GridError(f"--grid {spec!r}: no values after '='")
    try:
        values = parse_yaml(f"[{rhs}]")  # the scenario file's rules: YAML 1.2 scalars, 1.1-only forms refused
    except ParseError as e:
        raise GridError(f"--grid {spec!r}: values are not YAML: {e.message}".replace("\n", " ")) from None
    if not isinstance(values, list) or not values:
        raise GridError(f"--grid {spec!r}: no values after '='")
    seen: set[str] = set()
    for v in values:
        enc = encode_value(v)
        if enc in seen:
            raise GridError(f"--grid {spec!r}: value {enc} appears twice")
        seen.add(enc)
    return Axis(path, tuple(values))


def parse_grid(specs: Iterable[str] | Mapping[str, Sequence[Any]]) -> Grid:
    """Axes from ``--grid`` strings or from a mapping path -> values (the Python API)."""
    if isinstance(specs, Mapping):
        axes = []
        for path, values in specs.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise GridError(f"grid {path!r}: values must be a list, got {values!r}")
            axes.append(parse_axis(f"{path}={','.join(encode_value(v) for v in values)}"))
    else:
        axes = [parse_axis(s) for s in specs]
    paths = [a.path for a in axes]
    for a, b in itertools.permutations(paths, 2):
        if a == b:
            raise GridError(f"--grid {a}: given twice; put all its values in one --grid")
        if b.startswith(a + "."):
            raise GridError(f"--grid {a} and --grid {b}: one path contains the other, so they would overwrite each other")
    return Grid(tuple(axes))


@dataclass(frozen=True, slots=True)
class RunSeed:
    """The seed of one replication: child ``spawn_key`` of ``SeedSequence(root_entropy)``.

    ``seed`` is the integer handed to the simulation; it is drawn from the child sequence, so
    ``recon simulate --seed <seed>`` replays the run alone and the root plus spawn key show where
    it came from.
    """

    index: int
    root_entropy: int
    spawn_key: tuple[int, ...]
    seed: int


def root_entropy(root: int | None) -> int:
    """The root seed to use: *root* itself, or fresh OS entropy when it is None."""
    if root is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(root, bool) or not isinstance(root, int) or root < 0:
        raise GridError(f"--seed {root!r}: the root seed must be a non-negative integer")
    return root


def spawn_seeds(root: int, k: int) -> list[RunSeed]:
    """The k replication seeds of a sweep; seed i is the same whatever k is."""
    if k < 1:
        raise GridError(f"--seeds {k}: need at least one seed per grid point")
    children = np.random.SeedSequence(root).spawn(k)
    return [RunSeed(i, root, tuple(int(x) for x in c.spawn_key), seed_from(c)) for i, c in enumerate(children)]


def seed_from(seq: np.random.SeedSequence) -> int:
    """A 63-bit integer seed drawn from *seq* (fits every integer column and command line)."""
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))
