"""Helpers for desired-source tests: a loop over a source and a snapshot, and the failure contract.

The contract every source keeps (issue 14): a source that fails ends `recon plan` with exit 1 and
one line naming the source, and a `recon watch` cycle with a `desired_error` verdict and no delete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.providers.helpers import Run, recon

# What the provider holds: owned by the loop, so a desired state read as empty would delete all of it.
OBSERVED = [{"kind": "A", "name": f"host{i}", "spec": {"ttl": 60}, "owner": "src-loop"} for i in range(4)]


def source_loop(d: Path, desired: Mapping[str, Any], observed: list[dict[str, Any]] | None = None,
                name: str = "src-loop") -> Path:
    """Write ``loop.yaml`` (snapshot provider, owner id src-loop) over the *desired* source in *d*."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "observed.yaml").write_text(yaml.safe_dump({"resources": OBSERVED if observed is None else observed}))
    cfg = {"name": name, "provider": {"type": "snapshot", "path": "observed.yaml"}, "desired": dict(desired),
           "owner_id": "src-loop"}
    p = d / "loop.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return p


def plan_json(cfg: Path, env: Mapping[str, str] | None = None) -> Any:
    r = recon("plan", cfg, "--json", cwd=cfg.parent, env=env)
    assert r.code in (0, 2, 3), r.stderr
    return r.json()


def assert_fails_as_desired_error(cfg: Path, *words: str, env: Mapping[str, str] | None = None) -> str:
    """`recon plan` exits 1 with one line holding *words*; a `recon watch` cycle records a
    desired_error abort holding them, with no delete planned or made. Returns the plan's line."""
    r: Run = recon("plan", cfg, cwd=cfg.parent, env=env)
    lines = r.stderr.strip().splitlines()
    assert r.code == 1 and len(lines) == 1 and "Traceback" not in r.stderr, (r.code, r.stdout, r.stderr)
    assert all(w in lines[0] for w in words), lines[0]
    events = cfg.parent / "events.jsonl"
    w = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", "--events", events, cwd=cfg.parent, env=env)
    assert w.code == 1, (w.stdout, w.stderr)
    record = json.loads(events.read_text().splitlines()[-1])
    verdict = next(v for v in record["verdicts"] if v["name"] == "desired_error")
    assert verdict["outcome"] == "abort" and all(x in verdict["reason"] for x in words), verdict
    assert record["to_delete"] == 0 and record["applied_delete"] == 0 and record["deleted_keys"] == [], record
    assert record["desired_count"] is None
    return lines[0]


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
