"""Every notebook runs headless with papermill, and the repo keeps them reviewable.

Reviewable means: each ``.ipynb`` is paired with a ``.py:percent`` twin through jupytext and is in
sync with it, and no notebook in the repository carries outputs or execution counts. To refresh a
notebook after editing its ``.py`` twin: ``jupytext --sync notebooks/<path>.py``; to strip
outputs saved from Jupyter: ``jupyter nbconvert --clear-output --inplace notebooks/<path>.ipynb``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import papermill as pm
import pytest

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(p.relative_to(NOTEBOOKS).as_posix() for p in NOTEBOOKS.rglob("*.ipynb")
             if ".ipynb_checkpoints" not in p.parts)
WORKSHOP = [n for n in ALL if n.startswith("workshop/")]


def small_parameters(name: str, tmp: Path) -> dict[str, Any]:
    """Parameters that keep each notebook to a few seconds."""
    if name == "audit.ipynb":
        loop = tmp / "loop"
        shutil.copytree(ROOT / "examples", loop, ignore=shutil.ignore_patterns(".recon"))
        return {"loop_config": str(loop / "loop-snapshot.yaml"), "out_dir": str(tmp / "audit"),
                "alert_deletes": 1}
    return {
        "explore/threshold-tuner.ipynb": {"sweep_seeds": 1, "sweep_caps": [10, 60]},
        "explore/calibrate-my-loop.ipynb": {"duration": 1200, "sweep_seeds": 1, "out_dir": str(tmp / "calibrate"),
                                            "sweep_grid": {"loop.guards.max_deletes.max": [2, 20]}},
        "explore/loop-console.ipynb": {"loop_config": str(_copy_examples(tmp) / "loop-snapshot.yaml")},
        "workshop/05-rate-limits-and-approvals.ipynb": {"backlog": 25, "cap": 10},
    }.get(name, {})


def _copy_examples(tmp: Path) -> Path:
    d = tmp / "examples"
    shutil.copytree(ROOT / "examples", d, ignore=shutil.ignore_patterns(".recon"))
    return d


def test_the_notebooks_are_all_here() -> None:
    assert "audit.ipynb" in ALL
    assert {"explore/threshold-tuner.ipynb", "explore/calibrate-my-loop.ipynb"} <= set(ALL)
    assert len(WORKSHOP) == 7


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_headless(name: str, tmp_path: Path) -> None:
    path = NOTEBOOKS / name
    params = small_parameters(name, tmp_path)
    declared = pm.inspect_notebook(str(path))
    assert set(params) <= set(declared), f"{name}: {set(params) - set(declared)} are not parameters"
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(path), str(out), parameters=params, cwd=str(path.parent), progress_bar=False,
                        kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"])
    nb = nbformat.read(out, as_version=4)
    errors = [(c.source[:80], o.get("ename")) for c in nb.cells for o in c.get("outputs", ())
              if o.output_type == "error"]
    assert errors == []
    assert sum(1 for c in nb.cells if c.cell_type == "code" and c.outputs) >= 2, "the notebook showed nothing"


@pytest.mark.parametrize("name", ALL)
def test_notebook_is_stripped_and_paired_with_its_py_twin(name: str) -> None:
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: cell {i} has outputs; strip them"
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent", f"{name}: not paired"
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"{name}: no .py:percent twin"
    text = jupytext.read(twin, fmt="py:percent")
    mine = [(c.cell_type, c.source.strip(), c.metadata.get("tags", [])) for c in nb.cells]
    theirs = [(c.cell_type, c.source.strip(), c.metadata.get("tags", [])) for c in text.cells]
    assert mine == theirs, f"{name} and {twin.name} differ; run `jupytext --sync {twin}`"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: needs exactly one cell tagged `parameters`"


def test_every_py_twin_has_its_notebook() -> None:
    for py in NOTEBOOKS.rglob("*.py"):
        assert py.with_suffix(".ipynb").exists(), f"{py} has no paired .ipynb"


@pytest.mark.parametrize("name", WORKSHOP)
def test_workshop_exercises_have_hidden_solutions(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, f"{name}: no solution cell"
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in solutions)
    assert any("Exercise" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_the_packaged_audit_notebook_is_the_repo_notebook() -> None:
    from recon.audit import NOTEBOOK

    assert NOTEBOOK.resolve() == (NOTEBOOKS / "audit.ipynb").resolve()
