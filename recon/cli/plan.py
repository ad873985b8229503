"""``recon plan``: what a loop would do now, and which guard would trip. Never writes.

Parses the loop config or the two inventories and the guard options, plans once observe-only
(``recon.drivers.loop.plan_once``) and prints the decision; exits with its ``ExitCode``.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click

from recon.cli.console import fail, finish, print_decision
from recon.cli.options import guard_options, guard_settings
from recon.core.errors import ReconError
from recon.core.redact import redact, redact_all
from recon.core.report import ExitCode, decision_dict, exit_code


@click.command()
@click.argument("loop_config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--desired", type=click.Path(path_type=Path), help="desired inventory file or folder")
@click.option("--observed", type=click.Path(path_type=Path), help="observed inventory file (a snapshot)")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), envvar="RECON_STATE",
              help="with --desired/--observed: state store for baselines, approvals and the kill switch "
                   "(default $RECON_STATE; without one, approval requests are not filed)")
@click.option("--loop", "loop_name", default="plan", show_default=True, help="loop name in the state store")
@click.option("--json", "as_json", is_flag=True, help="print the decision as JSON")
@guard_options
def plan(loop_config: Path | None, desired: Path | None, observed: Path | None, state: Path | None,
         loop_name: str, as_json: bool, **opts: Any) -> None:
    """Show what a loop would do now, and which guard would trip. Never writes.

    Either `recon plan LOOP.yaml` or `recon plan --desired FILE --observed FILE`.
    """
    from recon.config import build_loop, inventory_loop, load_loop_config, loop_policy
    from recon.drivers.loop import plan_once
    from recon.providers.base import observe_checked
    from recon.sources.callable import FileSource
    from recon.sources.inventory import load_inventory_while
    from recon.store.sqlite import StateStore

    def bail(msg: str) -> NoReturn:
        if as_json:  # scripts reading stdout get a record of the failure too
            click.echo(json.dumps({"exit_code": ExitCode.ERROR, "error": redact(msg)}, indent=1))
        fail(msg)

    try:
        if loop_config is not None:
            if desired or observed:
                bail("give either LOOP.yaml or --desired/--observed, not both")
            given = [k for k, v in opts.items() if v not in (None, (), "sync")]
            if given:
                bail(f"{loop_config}: guard options ({', '.join('--' + k.replace('_', '-') for k in given)}) "
                     "apply to --desired/--observed plans; set guards in the loop config")
            cfg, base = load_loop_config(loop_config)
            # Lazy: the store is made when the plan first reads it, after the desired state loaded.
            loop = build_loop(cfg, base, StateStore(cfg.state_path(base), lazy=True))
            # Quoted, so the printed command works as printed whatever the path holds.
            hint = f"--config {shlex.quote(str(loop_config))}"
        else:
            if desired is None or observed is None:
                bail("give LOOP.yaml, or both --desired FILE and --observed FILE")
            store = StateStore(state, lazy=True) if state else StateStore(":memory:")
            hint = f"--state {shlex.quote(str(state))}" if state else None
            policy = loop_policy(opts["sync"], opts["owner_id"], guard_settings(opts))
            loop = inventory_loop(loop_name, desired, observed, policy, store)
        # Load and observe up front: for a one-shot plan a failure is an error (exit 1) naming the input.
        # A large YAML inventory is parsed on the other core while the provider is observed.
        if isinstance(loop.source, FileSource):
            d, o = load_inventory_while(loop.source.path, lambda: observe_checked(loop.observer))
        else:  # a repository or a database: read first, so a failure to read is the error shown
            d = loop.source.load()
            o = observe_checked(loop.observer)
        # The cycle reads the state store (baselines, approvals, the kill switch): one it cannot
        # trust is an error here too, never a plan made as if the store were empty.
        result = plan_once(loop, time.time(), d, o)
    except ReconError as e:
        bail(str(e))
    except OSError as e:
        bail(f"{getattr(e, 'filename', '') or 'input'}: {e.strerror or e}")

    def show() -> None:
        if as_json:
            data = {"loop": loop.name, "mode": "observe-only", **decision_dict(result.decision, result.record)}
            click.echo(json.dumps(redact_all(data), indent=1, default=str))
        else:
            paused_by = loop.store.kill_switch_detail(loop.name) if result.record.paused and loop.store else None
            print_decision(loop.name, result.decision, result.record, approve_store=hint, paused_by=paused_by)

    finish(show, exit_code(result.decision))


COMMANDS = [plan]
