"""Import-linter contracts: the core stays pure, its modules are ordered, and layers point one way.

The contracts are only worth something if they can fail, so each planted-import test copies the
package into a temporary folder, breaks one rule there, and checks that ``lint-imports`` says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def test_lint_imports_passes() -> None:
    r = lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout and "KEPT" in r.stdout


def _append(rel: str, line: str) -> Callable[[Path], None]:
    def plant(pkg: Path) -> None:
        with (pkg / rel).open("a") as f:
            f.write(f"\n{line}\n")
    return plant


def _rename_guards(pkg: Path) -> None:
    (pkg / "core" / "guards.py").rename(pkg / "core" / "rules.py")
    for p in pkg.rglob("*.py"):
        text = p.read_text()
        if "recon.core.guards" in text:
            p.write_text(text.replace("recon.core.guards", "recon.core.rules"))


def _new_core_module(pkg: Path) -> None:
    (pkg / "core" / "helpers.py").write_text('"""Unlisted."""\n')


@pytest.mark.parametrize(("plant", "expected"), [
    (_append("core/plan.py", "import os"), "recon.core is not allowed to import os"),
    (_append("core/guards.py", "import time"), "recon.core is not allowed to import time"),
    (_append("core/cycle.py", "from datetime import datetime"), "recon.core is not allowed to import datetime"),
    (_append("core/decision.py", "import random"), "recon.core is not allowed to import random"),
    (_append("core/model.py", "from recon.core import cycle"), "Inside the core: model below plan below guards"),
    (_append("core/guards.py", "import recon.drivers.loop"), "recon.core is not allowed to import recon.drivers"),
    (_append("sources/callable.py", "import recon.drivers"), "Layers point one way"),
    (_rename_guards, "module recon.core.guards does not exist"),
    (_new_core_module, "recon.core.helpers"),
    (_append("sources/yamlread.py", "from recon.sources import inventory"), "Inside the sources: parsers below"),
    (_append("sources/digest.py", "from recon.sources import parallel"), "Inside the sources: parsers below"),
], ids=["core-os", "core-time", "core-datetime", "core-random", "model-imports-cycle", "core-imports-drivers",
        "sources-import-drivers", "renamed-layer", "unlisted-core-module", "parser-imports-loader",
        "digest-imports-fork"])
def test_a_planted_violation_breaks_lint_imports(tmp_path: Path, plant: Callable[[Path], None],
                                                 expected: str) -> None:
    shutil.copytree(ROOT / "recon", tmp_path / "recon", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    assert lint(tmp_path, env).returncode == 0, "the untouched copy must pass"
    plant(tmp_path / "recon")
    r = lint(tmp_path, env)
    out = " ".join((r.stdout + r.stderr).split())  # undo the report's line wrapping
    assert r.returncode != 0 and expected in out, out[-2000:]


def test_only_the_guard_table_creates_verdicts() -> None:
    makers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "recon").rglob("*.py")
              if "Verdict(" in p.read_text() and p.name not in ("guards.py", "policy.py")]
    assert makers == [], "verdicts are created only by the guards in recon/core/guards.py"


def test_the_cycle_fits_one_screen_and_the_drivers_stay_small() -> None:
    import inspect

    from recon.core.cycle import run_cycle
    assert len(inspect.getsource(run_cycle).splitlines()) <= 60
    for name in ("simtime.py", "realtime.py"):
        text = (ROOT / "recon" / "drivers" / name).read_text()
        assert len(text.splitlines()) < 80, name
        assert "getattr(" not in text, f"{name} finds parts by name"
