"""Parsing large input files on the other core while the caller's work (observing) runs here.

A large YAML inventory still costs seconds of CPU (parsing, then freezing every resource). This module
owns only the fork: which files are worth it, the worker, and the order in which errors surface.
It does not know what the files hold; the caller passes the parse function and loads the result.
Forking is only safe in a single-threaded process, so only the command line uses it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

# YAML files at least this large are parsed in a worker process (JSON's C parser is fast enough).
PARALLEL_MIN_BYTES = 512 * 1024
T = TypeVar("T")


def worth_forking(files: Sequence[Path]) -> list[Path]:
    """The YAML files among *files* large enough to parse in a worker; none when this process may
    run on one core only (one CPU, or pinned by ``taskset``) or cannot fork."""
    big = [f for f in files if f.suffix != ".json" and f.stat().st_size >= PARALLEL_MIN_BYTES]
    if not big or usable_cores() < 2 or "fork" not in mp.get_all_start_methods():
        return []
    return big


def usable_cores() -> int:
    """The cores this process may run on: its affinity where the system has one, else the CPU count.
    A worker on the same one core would only add the fork and the copy back."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def parse_while(files: Sequence[Path], parse: Callable[[str], Any], work: Callable[[], T],
                own_error: type[Exception]) -> tuple[dict[Path, Any], T | None, Exception | None]:
    """Run *parse* (a module-level function of a path) on *files* in a forked worker while *work* runs.

    Returns (parsed data by file, work's result, work's exception or None). A file whose parse
    raised *own_error* raises it here, before work's failure is seen, as a sequential load would;
    a file whose worker broke otherwise is left out, for the caller to parse itself."""
    decoded: dict[Path, Any] = {}
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        futures = {f: pool.submit(parse, str(f)) for f in files}
        try:
            result, failure = work(), None
        except Exception as e:  # reported after the inputs' own errors
            result, failure = None, e
        for f, fut in futures.items():
            try:
                decoded[f] = fut.result()
            except own_error:
                raise
            except Exception:  # a broken worker: the caller parses that file instead
                pass
    return decoded, result, failure
