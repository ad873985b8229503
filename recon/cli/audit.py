"""`recon audit LOOP.yaml --out DIR`: run the audit notebook with papermill, exit like `recon plan`.

Exit codes: 0 in sync, 2 changes pending, 3 a guard blocks or holds, 1 the audit failed. The
command passes no secret to the notebook; providers read credentials from the environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from recon.cli.console import fail, out, say
from recon.core.errors import ReconError
from recon.core.text import for_terminal as esc

_alert = click.IntRange(min=1)


@click.command()
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="where the executed notebook, audit.html and audit.json go")
@click.option("--history", "history_url", metavar="URL",
              help="SQLAlchemy URL of the history store, without a password "
                   "(default: $RECON_AUDIT_HISTORY, else SQLite .recon/audit-history.db beside LOOP.yaml)")
@click.option("--alert-deletes", type=_alert, default=10, show_default=True,
              help="alert when the plan wants at least this many deletes")
@click.option("--alert-changes", type=_alert, default=50, show_default=True,
              help="alert when at least this many changes are pending")
@click.option("--alert-drift-runs", type=_alert, default=3, show_default=True,
              help="alert when drift is found in this many audits in a row")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="seconds the notebook may run")
def audit(loop_config: Path, out_dir: Path, history_url: str | None, alert_deletes: int, alert_changes: int,
          alert_drift_runs: int, timeout: float) -> None:
    """Audit a loop observe-only with the audit notebook; write the executed notebook, HTML and audit.json.

    Each run appends to the history store, and the notebook plots drift across runs. Exits like
    `recon plan` (0 in sync, 2 changes pending, 3 a guard blocks or holds, 1 error), so a scheduler
    can alert on the exit code.
    """
    from recon.audit import Thresholds, run_audit

    try:
        run = run_audit(loop_config, out_dir, history_url, Thresholds(alert_deletes, alert_changes, alert_drift_runs),
                        timeout=timeout)
    except ReconError as e:
        fail(str(e))
    d = run.data
    if d.get("error"):
        out.print(f"audit of {esc(d.get('loop'))}: [bold red]failed[/]: {esc(d['error'])}")
    else:
        c = d["counts"]
        say(f"audit of {d['loop']}: {d['status']}; plan: {c['create']} create, {c['update']} update, "
                  f"{c['delete']} delete, {d['unchanged']} unchanged")
    for a in d.get("alerts", ()):
        out.print(f"[bold red]ALERT[/] {esc(a)}")
    say(f"wrote {run.notebook}, {run.html} and {run.record} (exit {run.exit_code})")
    sys.exit(run.exit_code)


COMMANDS = [audit]
