"""The on-disk record of a sweep: ``sweep.json`` (what the sweep is) and ``sweep.csv`` (a row per run).

Rows are appended and flushed as runs finish, so a sweep killed at any moment keeps every finished
run; reopening the same directory with the same sweep skips them. A line torn by the kill (no final
newline) is dropped, never parsed. Nothing is written until ``begin`` (after the executor has
started), so a sweep that fails to start leaves the directory as it was. When the sweep completes the file is rewritten in a fixed order
(scenario, point, seed) so that its bytes depend only on the sweep, not on which worker finished
first. Each row is formatted once, when its run finishes, and kept as text from then on.

This module owns those two files and the typed row format. It never runs anything and never
touches another file; a directory holding a different sweep is refused, not overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from recon.analysis.grid import encode_value
from recon.core.errors import ReconError
from recon.sources.atomic import write_text_atomic

MANIFEST, RUNS = "sweep.json", "sweep.csv"
FORMAT = 1
UNCOMPARED = ("sources",)  # how the scenario files were named may change; their digests may not
MEANINGFUL = ("scenarios", "sets", "grid", "seeds", "root_entropy")  # reported first when a manifest differs

Kind = Literal["str", "int", "num", "bool", "json"]


class SweepStateError(ReconError):
    """The output directory cannot hold this sweep: another sweep, or a damaged file. Names the file."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind


def format_value(kind: Kind, value: Any) -> str:
    if kind == "json":
        return encode_value(value)
    if value is None:
        return ""
    if kind == "bool":
        return "true" if bool(value) else "false"
    if kind == "int":
        return str(int(value))
    if kind == "num":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"not a number: {value!r}")
        return str(int(value)) if isinstance(value, numbers.Integral) else repr(float(value))
    return str(value)


def parse_value(kind: Kind, text: str) -> Any:
    if kind == "json":
        return json.loads(text)
    if kind == "str":
        return text
    if text == "":
        return None
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"not true/false: {text!r}")
        return text == "true"
    if kind == "int":
        return int(text)
    try:
        return int(text)
    except ValueError:
        v = float(text)
        return v if not math.isnan(v) else None


def _csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def read_root(out_dir: Path) -> int | None:
    """The root seed of the sweep already in *out_dir*, if there is one."""
    p = out_dir / MANIFEST
    if not p.exists():
        return None
    try:
        return int(json.loads(p.read_text(encoding="utf-8"))["root_entropy"])
    except (ValueError, KeyError, TypeError) as e:
        raise SweepStateError(f"{p}: not a sweep manifest ({e}); choose another --out") from None


RunKey = tuple[str, int, int]  # scenario label, point index, seed index


class RunLog:
    """Rows of one sweep, in memory and (when *out_dir* is given) streamed to ``sweep.csv``."""

    def __init__(self, columns: Sequence[Column], manifest: Mapping[str, Any], out_dir: Path | None,
                 scenario_order: Sequence[str] = ()) -> None:
        self.columns = tuple(columns)
        self.names = [c.name for c in self.columns]
        self.manifest = dict(manifest, format=FORMAT, columns=self.names)
        self.out_dir = out_dir
        self.order = {s: i for i, s in enumerate(scenario_order)}
        self.lines: dict[RunKey, str] = {}
        self._fh: io.TextIOWrapper | None = None
        self._torn_at: int | None = None
        if out_dir is not None:
            self._open(out_dir)

    @property
    def header(self) -> str:
        return _csv_line(self.names)

    def _open(self, out_dir: Path) -> None:
        """Check that *out_dir* holds nothing or this same sweep, and read its finished rows. Writes nothing."""
        mpath, rpath = out_dir / MANIFEST, out_dir / RUNS
        if mpath.exists():
            try:
                old = json.loads(mpath.read_text(encoding="utf-8"))
            except ValueError as e:
                raise SweepStateError(f"{mpath}: not JSON ({e}); choose another --out") from None
            fields = sorted(set(old) | set(self.manifest), key=lambda f: (f not in MEANINGFUL, MEANINGFUL.index(f)
                                                                          if f in MEANINGFUL else 0, f))
            for field in fields:
                if field not in UNCOMPARED and old.get(field) != self.manifest.get(field):
                    raise SweepStateError(
                        f"{out_dir} holds a different sweep ({MANIFEST} field {field!r}: "
                        f"{json.dumps(old.get(field))[:200]} there, {json.dumps(self.manifest.get(field))[:200]} now); "
                        "rerun with the same arguments to resume it, or choose another --out")
            if rpath.exists():
                self._load(rpath)
        elif rpath.exists():
            raise SweepStateError(f"{rpath} exists without {MANIFEST}: not a sweep recon can resume; choose another --out")

    def begin(self) -> None:
        """Start streaming: write the manifest and header if new, drop a torn last row, open for appending."""
        if self.out_dir is None or self._fh is not None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        mpath, rpath = self.out_dir / MANIFEST, self.out_dir / RUNS
        if not mpath.exists():
            write_text_atomic(mpath, json.dumps(self.manifest, indent=1, sort_keys=True) + "\n")
        if rpath.exists() and self._torn_at is not None:
            with open(rpath, "r+b") as fh:
                fh.truncate(self._torn_at)
        if not rpath.exists() or rpath.stat().st_size == 0:
            rpath.write_text(self.header, encoding="utf-8")
        self._fh = open(rpath, "a", encoding="utf-8", newline="")  # noqa: SIM115 - held for streaming

    def _load(self, path: Path) -> None:
        raw = path.read_bytes()
        end = raw.rfind(b"\n") + 1
        if end < len(raw):  # a row torn by a kill: dropped when streaming begins, and recomputed
            self._torn_at = end
        text = raw[:end].decode("utf-8")
        lines = text.splitlines(keepends=True)
        if not lines:
            return
        if lines[0] != self.header:
            raise SweepStateError(f"{path}:1: header differs from this sweep's columns; choose another --out")
        for n, line in enumerate(lines[1:], start=2):
            try:
                row = self.parse_line(line)
            except (ValueError, TypeError) as e:
                raise SweepStateError(f"{path}:{n}: unreadable row ({e}); delete the line to recompute that run") from None
            self.lines[self.key_of(row)] = line

    def parse_line(self, line: str) -> dict[str, Any]:
        cells = next(csv.reader([line]))
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells, expected {len(self.columns)}")
        return {c.name: parse_value(c.kind, cell) for c, cell in zip(self.columns, cells)}

    @staticmethod
    def key_of(row: Mapping[str, Any]) -> RunKey:
        return (str(row["scenario"]), int(row["point"]), int(row["seed_index"]))

    def done(self) -> set[RunKey]:
        return set(self.lines)

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Format *rows* and, with an output directory, append and flush them."""
        chunk = []
        for row in rows:
            line = _csv_line([format_value(c.kind, row[c.name]) for c in self.columns])
            self.lines[self.key_of(row)] = line
            chunk.append(line)
        if self._fh is not None and chunk:
            self._fh.write("".join(chunk))
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def sorted_lines(self) -> list[str]:
        return [self.lines[k] for k in sorted(self.lines, key=lambda k: (self.order.get(k[0], len(self.order)), k[1], k[2]))]

    def rows(self) -> list[dict[str, Any]]:
        """Every row parsed back from its text, in the fixed order: one code path for fresh and resumed runs."""
        return [self.parse_line(line) for line in self.sorted_lines()]

    def finish(self) -> None:
        """Write the manifest if new and ``sweep.csv`` in the fixed order."""
        self.begin()
        self.close()
        if self.out_dir is not None:
            write_text_atomic(self.out_dir / RUNS, self.header + "".join(self.sorted_lines()))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
