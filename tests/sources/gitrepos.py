"""Git repositories made by a test with the git CLI: files committed in steps, fixed authors and dates."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from tests.conftest import require_binary

_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.test", "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.test", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(repo: Path, *args: str) -> str:
    require_binary("git")
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                       env={**os.environ, **_ENV})
    return r.stdout.strip()


def inventory(*names: str, ttl: int = 60) -> str:
    return yaml.safe_dump({"resources": [{"kind": "A", "name": n, "spec": {"ttl": ttl}} for n in names]})


class Repo:
    """A work-tree repository at *path*; :meth:`commit` writes files (None deletes one) and commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
        self.n = 0

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        for name, text in files.items():
            f = self.path / name
            if text is None:
                git(self.path, "rm", "-q", "--", name)
                continue
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
            git(self.path, "add", "--", name)
        self.n += 1
        date = f"2026-01-{self.n:02d}T12:00:00Z"
        subprocess.run(["git", "-C", str(self.path), "commit", "-q", "-m", message], check=True, capture_output=True,
                       env={**os.environ, **_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        return git(self.path, "rev-parse", "HEAD")
