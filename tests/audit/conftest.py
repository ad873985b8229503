"""A copy of the snapshot example loop per test, so audits can write beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def loop_dir(examples: Path, tmp_path: Path) -> Path:
    d = tmp_path / "loop"
    shutil.copytree(examples, d, ignore=shutil.ignore_patterns(".recon"))
    return d
