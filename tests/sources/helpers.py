"""What every desired source must do when it fails: `recon plan` exits 1 with one line naming the
source, and a `recon watch` cycle records a desired_error verdict and proposes no delete."""

from __future__ import annotations

import json
from pathlib import Path

from tests.providers.helpers import recon


def assert_plan_fails_naming(tmp: Path, loop: Path, *words: str) -> str:
    """`recon plan LOOP` exits 1 with one error holding each of *words*, as text and in --json; returns it."""
    run = recon("plan", loop, cwd=tmp, env={"COLUMNS": "1000"})
    assert run.code == 1 and run.stdout == "", (run.code, run.stdout, run.stderr)
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    as_json = recon("plan", loop, "--json", cwd=tmp)
    assert as_json.code == 1 and as_json.json()["exit_code"] == 1, as_json.stdout
    error = as_json.json()["error"]
    for w in words:
        assert w in error and w in lines[0], (w, error, lines[0])
    return error


def assert_watch_aborts_on_desired_error(tmp: Path, loop: Path, *words: str) -> None:
    """One `recon watch` cycle: its event holds the desired_error verdict (abort, its reason holding
    each of *words*), and nothing to delete."""
    run = recon("watch", loop, "--max-cycles", "1", "--interval", "0.01", cwd=tmp)
    assert run.code == 1, (run.stdout, run.stderr)  # its only cycle failed to load the desired state
    found = sorted((tmp / ".recon").glob("*.events.jsonl"))
    assert len(found) == 1, found
    event = json.loads(found[0].read_text().splitlines()[-1])
    verdict = {v["name"]: v for v in event["verdicts"]}["desired_error"]
    assert verdict["outcome"] == "abort", verdict
    for w in words:
        assert w in verdict["reason"], (w, verdict)
    assert event["guards_tripped"] == ["desired_error"]
    assert (event["to_delete"], event["would_delete"], event["applied_delete"], event["deleted_keys"]) == (0, 0, 0, [])
