"""Helpers for provider tests: write a loop config and desired inventory, run the real `recon` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RECON = [sys.executable, "-m", "recon"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def recon(*args: str | Path, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120) -> Run:
    """Run ``python -m recon ARGS`` in *cwd* with the current environment plus *env*."""
    full = {**os.environ, **(env or {})}
    r = subprocess.run([*RECON, *map(str, args)], cwd=cwd, env=full, capture_output=True, text=True,
                       timeout=timeout)
    return Run(r.returncode, r.stdout, r.stderr)


def write_loop(d: Path, provider: Mapping[str, Any], desired: Iterable[Mapping[str, Any]],
               **extra: Any) -> Path:
    """Write ``LOOP.yaml`` and ``desired.yaml`` in *d*; return the loop config's path."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "desired.yaml").write_text(yaml.safe_dump({"resources": list(desired)}, sort_keys=False))
    cfg = {"name": extra.pop("name", "loop"), "provider": dict(provider), "desired": {"path": "desired.yaml"},
           **extra}
    p = d / "LOOP.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return p


def keys(changes: Iterable[Mapping[str, Any]], op: str) -> set[tuple[str, str]]:
    return {(c["kind"], c["name"]) for c in changes if c["op"] == op}


def assert_no_delete_proposed(plan: Mapping[str, Any]) -> None:
    """No delete may run: none in the batch, none deferred, every planned delete blocked."""
    assert not keys(plan["batch"], "delete"), plan["batch"]
    assert not keys(plan["deferred"], "delete")
    assert keys(plan["blocked"], "delete") == keys(plan["changes"], "delete")


def verdict(plan: Mapping[str, Any], guard: str) -> Mapping[str, Any]:
    return next(g for g in plan["guards"] if g["name"] == guard)


def scan_for(secret: str, *texts: str, paths: Iterable[Path] = ()) -> list[str]:
    """Where *secret* appears: in any of *texts* or any file under *paths*."""
    hits = [f"text #{i}" for i, t in enumerate(texts) if secret in t]
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            if secret.encode() in f.read_bytes():
                hits.append(str(f))
    return hits
