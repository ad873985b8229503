"""A reader that goes away (``recon ... | head -1``) is the reader's choice, never a traceback.

Each command runs with its stdout a pipe whose reading end is closed before the command writes
anything, so every one of its prints meets a closed pipe. It must finish its work, print nothing
on stderr and exit with the code it has when someone reads (here 0).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = "name: t\nduration: 600\n"

COMMANDS = {
    "simulate": (("simulate", "s.yaml", "--no-plots", "--out", "out"), ("summary.json", "cycles.csv")),
    "sweep": (("sweep", "s.yaml", "--grid", "loop.period=30,60", "--seeds", "1", "--workers", "1", "--no-progress",
               "--out", "out"), ("sweep.csv", "recommendation.json")),  # no --seed: it first prints the seed drawn
    "worst-case": (("worst-case", "s.yaml", "--horizon", "3", "--out", "out"), ("trace.yaml",)),
    "schema": (("schema", "scenario"), ()),  # a raw JSON write (click.echo), not the console
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", COMMANDS)
def test_a_closed_pipe_ends_quietly_after_the_work_is_done(tmp_path: Path, name: str) -> None:
    argv, outputs = COMMANDS[name]
    (tmp_path / "s.yaml").write_text(SCENARIO)
    p = subprocess.Popen([sys.executable, "-m", "recon", *argv], cwd=tmp_path, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # gone before the first line, as `| head -0` would be
    err = p.stderr.read().decode()
    assert p.wait(timeout=100) == 0, err
    assert err == ""
    for out in outputs:
        assert (tmp_path / "out" / out).is_file(), out
