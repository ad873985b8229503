"""Shared test conventions.

Tests that need a real server binary call :func:`require_binary`. Outside CI a missing binary
skips the test with the reason; with ``CI=true`` it fails, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent


def missing(reason: str) -> None:
    """Skip outside CI, fail in CI."""
    if IN_CI:
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def require_binary(*names: str) -> str:
    """Return the path of the first binary found among *names*, or skip/fail naming them."""
    for n in names:
        p = shutil.which(n) or (n if os.path.isabs(n) and os.access(n, os.X_OK) else None)
        if p:
            return p
    missing(f"needs {' or '.join(names)} (installed by scripts/bootstrap)")
    raise AssertionError("unreachable")


@pytest.fixture
def examples() -> Path:
    return ROOT / "examples"
pytest_plugins = ["tests.servers"]
