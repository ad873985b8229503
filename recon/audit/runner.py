"""Run the audit notebook with papermill: the executed notebook, an HTML export and ``audit.json``.

The notebook receives only paths, a history URL without a password, and alert thresholds as
parameters, because papermill writes parameters into the output notebook (in the injected cell and
in its metadata). Credentials reach the kernel the way they reach ``recon plan``: through the
environment or files the provider config names. The runner never edits the loop's systems; the
notebook it runs audits observe-only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recon.audit.history import parse_history_url
from recon.audit.record import RECORD_NAME, STATUS, Thresholds, audit_clock
from recon.core.errors import ReconError
from recon.core.redact import redact_all
from recon.core.report import ExitCode

NOTEBOOK = Path(__file__).with_name("audit.ipynb")


class AuditError(ReconError):
    """The audit could not start: bad loop config, bad history URL, missing notebook."""


@dataclass(frozen=True)
class AuditRun:
    """Where one audit's outputs are, and what it found."""

    exit_code: int
    notebook: Path
    html: Path
    record: Path
    data: dict[str, Any]


def audit_parameters(loop_config: Path, out_dir: Path, history_url: str | None, t: Thresholds) -> dict[str, Any]:
    """The notebook's parameters. Nothing secret may ever be added here."""
    return {"loop_config": str(loop_config), "out_dir": str(out_dir), "history_url": history_url or "",
            "alert_deletes": t.deletes, "alert_changes": t.changes, "alert_drift_runs": t.drift_runs}


def run_audit(loop_config: str | Path, out_dir: str | Path, history_url: str | None = None,
              thresholds: Thresholds = Thresholds(), notebook: Path = NOTEBOOK,
              timeout: float = 600.0) -> AuditRun:
    """Execute the audit notebook for *loop_config*, writing its outputs to *out_dir*.

    A loop config that does not load, or a history URL that is malformed or carries a password, is
    an :class:`AuditError` before anything is written. A failure inside the notebook still leaves
    the executed notebook, its HTML and an ``audit.json`` with exit code 1 and the error.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from recon.config import load_loop_config
    from recon.providers.base import ProviderError, build_observer

    config = Path(loop_config).resolve()
    cfg, base = load_loop_config(config)  # a config that does not load is an error naming it, and nothing is written
    try:  # so are provider settings that are refused (a hostile name, a credential in the text)
        build_observer(cfg.provider.model_dump(), base)
    except ProviderError as e:
        raise AuditError(f"{config}: {e}") from None
    if history_url:
        parse_history_url(history_url)
    try:
        audit_clock()  # a bad RECON_AUDIT_NOW fails here, naming it, before the notebook runs
    except ValueError as e:
        raise AuditError(str(e)) from None
    if not notebook.is_file():
        raise AuditError(f"{notebook}: the audit notebook is missing from this installation")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    record, executed, html = out / RECORD_NAME, out / "audit.ipynb", out / "audit.html"
    for stale in (record, executed, html):
        stale.unlink(missing_ok=True)

    failure = None
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=audit_parameters(config, out, history_url,
                                                                                      thresholds),
                            cwd=str(out), progress_bar=False, execution_timeout=timeout,
                            # the kernel talks to us over loopback only; its TCP warning would be noise
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as e:
        failure = f"audit notebook failed in cell {e.exec_count}: {e.ename}: {e.evalue}"
    except Exception as e:  # kernel died, timed out or could not start
        failure = f"audit notebook did not run: {type(e).__name__}: {e}"
    if executed.is_file():
        _redact_notebook(executed)  # a cell's output may quote an error; the HTML is made from the redacted notebook
        export_html(executed, html)

    data = _read_record(record)
    if data is None or failure:
        data = dict(data or {"loop": config.stem, "config": str(config)})
        data.update(exit_code=ExitCode.ERROR, status=STATUS[ExitCode.ERROR],
                    error="; ".join(x for x in (data.get("error"), failure or f"{record}: not written") if x))
        data = redact_all(data)  # type: ignore[assignment]
        record.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    return AuditRun(int(data["exit_code"]), executed, html, record, data)


def export_html(executed: Path, html: Path) -> None:
    """Export an executed notebook to a standalone HTML file (images embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    html.write_text(body, encoding="utf-8")


def _redact_notebook(path: Path) -> None:
    """Mask credentials in every string of an executed notebook, in place: a cell's output may quote
    an error. Walked as JSON, not as text, so that masking cannot break the file."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    clean = redact_all(nb)
    if clean != nb:
        path.write_text(json.dumps(clean, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "exit_code" in data else None
