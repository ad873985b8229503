"""`recon audit` end to end with papermill on the snapshot example: outputs, exit codes, history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.providers.helpers import recon

pytestmark = pytest.mark.slow


def test_audit_writes_notebook_html_and_record_and_keeps_history(loop_dir: Path, tmp_path: Path) -> None:
    cfg = loop_dir / "loop-snapshot.yaml"
    first = recon("audit", cfg, "--out", tmp_path / "run1", "--alert-deletes", "1", cwd=tmp_path)
    assert first.code == 2, first.stdout + first.stderr
    assert "changes pending" in first.stdout and "ALERT deletes" in first.stdout
    out = tmp_path / "run1"
    data = json.loads((out / "audit.json").read_text())
    assert data["exit_code"] == 2 and data["counts"] == {"create": 1, "update": 1, "delete": 2}
    assert data["thresholds"]["deletes"] == 1

    nb = nbformat.read(out / "audit.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert ["parameters"] in tags and ["injected-parameters"] in tags
    assert nb.metadata.papermill.parameters["loop_config"] == str(cfg)
    errors = [o for c in nb.cells for o in c.get("outputs", ()) if o.output_type == "error"]
    assert errors == []
    html = (out / "audit.html").read_text()
    assert "example-dns" in html and "hand-made" in html and "data:image/png;base64" in html

    shutil.copy(loop_dir / "observed.yaml", loop_dir / "desired.yaml")
    (loop_dir / "desired.yaml").write_text(
        "\n".join(l for l in (loop_dir / "desired.yaml").read_text().splitlines() if "hand-made" not in l) + "\n")
    second = recon("audit", cfg, "--out", tmp_path / "run2", cwd=tmp_path)
    assert second.code == 0, second.stdout + second.stderr
    data2 = json.loads((tmp_path / "run2" / "audit.json").read_text())
    assert [(r["id"], r["exit_code"]) for r in data2["trend"]] == [(1, 2), (2, 0)]
    # The second notebook's drift table shows both audits.
    nb2 = nbformat.read(tmp_path / "run2" / "audit.ipynb", as_version=4)
    trend_cell = next(c for c in nb2.cells if c.source.startswith("trend_frame"))
    body = trend_cell.outputs[0]["data"]["text/html"].split("<tbody>")[1]
    assert body.count("<tr>") == 2 and "changes pending" in body and "in sync" in body


def test_bad_inputs_exit_1_and_write_nothing(loop_dir: Path, tmp_path: Path) -> None:
    missing = recon("audit", loop_dir / "nope.yaml", "--out", tmp_path / "o", cwd=tmp_path)
    assert missing.code == 1 and "nope.yaml" in missing.stderr
    bad = recon("audit", loop_dir / "loop-snapshot.yaml", "--out", tmp_path / "o",
                "--history", "postgresql://audit:canary-7f3a@127.0.0.1/h", cwd=tmp_path)
    assert bad.code == 1 and "carries a password" in bad.stderr
    assert "canary-7f3a" not in bad.stdout + bad.stderr
    assert not (tmp_path / "o").exists() and not (loop_dir / ".recon").exists()


def test_a_provider_failure_is_exit_1_with_all_outputs(loop_dir: Path, tmp_path: Path) -> None:
    (loop_dir / "observed.yaml").unlink()
    run = recon("audit", loop_dir / "loop-snapshot.yaml", "--out", tmp_path / "o", cwd=tmp_path)
    assert run.code == 1, run.stdout + run.stderr
    data = json.loads((tmp_path / "o" / "audit.json").read_text())
    assert data["status"] == "error" and "observed.yaml" in data["error"]
    assert (tmp_path / "o" / "audit.html").is_file() and "failed" in run.stdout
