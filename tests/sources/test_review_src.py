"""Hostile-input review of the git and SQL desired sources and desired-history (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recon.config import load_loop_config
from recon.sources.git import GitSource, desired_history
from tests.providers.helpers import recon
from tests.sources.gitrepos import Repo, inventory
from tests.sources.helpers import plan_json, source_loop


def test_git_variables_of_the_callers_repository_do_not_redirect_the_source(tmp_path: Path) -> None:
    # A git hook or a CI step runs with GIT_DIR (and friends) set: recon must still read the configured repo.
    Repo(tmp_path / "inv").commit({"zones/a.yaml": inventory("mine")}, "mine")
    other = Repo(tmp_path / "other")
    other.commit({"zones/a.yaml": inventory("theirs")}, "theirs")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    env = {"GIT_DIR": str(other.path / ".git"), "GIT_OBJECT_DIRECTORY": str(other.path / ".git" / "objects")}
    plan = plan_json(cfg, env=env)
    assert {c["name"] for c in plan["changes"] if c["op"] == "create"} == {"mine"}, plan["changes"]
