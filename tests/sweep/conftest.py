"""Small real scenarios for sweep tests: short durations and small worlds keep each run to milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

EMPTY = """\
# The config loads empty for ten minutes; the delete cap and the shrink guard are what stand in the way.
name: tiny-empty
duration: 1200
world: {resources: 40}
loop:
  period: 60
  guards: {empty_desired: false, desired_shrink: {max_fraction: 0.3}, max_deletes: {max: 10, max_fraction: null}}
desired:
  - {at: 300, kind: empty, duration: 600}
"""

MIGRATION = """\
# A legitimate migration removes 40% of the rules; a human approves held deletes after a while.
name: tiny-migration
duration: 2400
world: {resources: 40}
loop:
  period: 60
  approver: {type: human, latency: {dist: exponential, mean: 300}}
  guards: {desired_shrink: {max_fraction: 0.3}, max_deletes: {max: 10, max_fraction: null}}
desired:
  - {at: 300, kind: migration, fraction: 0.4}
"""

# shrink guard on/off x a tight or a loose delete cap: only "off, loose" lets the empty config wipe
# the world, and only it lets the migration through without a page.
GRID = ["loop.guards.desired_shrink.enabled=true,false", "loop.guards.max_deletes.max=5,50"]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """Two scenario files: a config that loads empty and a legitimate migration."""
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "tiny-empty.yaml").write_text(EMPTY, encoding="utf-8")
    (d / "tiny-migration.yaml").write_text(MIGRATION, encoding="utf-8")
    return d / "tiny-empty.yaml", d / "tiny-migration.yaml"
