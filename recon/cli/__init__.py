"""The `recon` command: assembles the command groups, one module each, and exits 1 on usage errors.

Exit codes (``recon.core.report.ExitCode``) for plan-like commands: 0 in sync, 2 changes pending,
3 a guard blocks or holds, 1 error. Commands that belong to an optional layer (simulate, sweep,
audit) register when that layer is installed.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from recon.cli.console import err, esc, fail, out, print_decision, print_table, reader_gone, say
from recon.core.report import ExitCode

__all__ = ["err", "esc", "fail", "main", "out", "print_decision", "print_table", "say"]

COMMAND_MODULES = ("recon.cli.plan", "recon.cli.watch", "recon.cli.approvals", "recon.cli.switch",
                   "recon.cli.schema", "recon.cli.desired")
OPTIONAL_MODULES = ("recon.cli.simulate", "recon.cli.sweep", "recon.cli.worstcase", "recon.cli.audit",
                    "recon.cli.calibrate", "recon.cli.recommend")


class ReconGroup(click.Group):
    """A click group whose usage errors exit 1: exit 2 means "changes pending" to schedulers."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            err.print("aborted", markup=False)
            sys.exit(ExitCode.INTERRUPTED)
        except click.ClickException as e:
            e.show()
            sys.exit(ExitCode.ERROR)
        except BrokenPipeError:
            # `recon ... | head`: the reader went away mid-output (plan keeps its code through
            # finish()). Not all was shown, so exit 1, quietly: silence Python's final flush too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(ExitCode.ERROR)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # A raw write (click.echo of JSON, a command's last act) to a reader that went away: the
            # reader's choice, not an error, as `recon.cli.console.finish` treats it; no traceback.
            reader_gone()
            return 0


@click.group(cls=ReconGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recon")
def main() -> None:
    """recon: build, stress-test and audit reconciliation loops."""


def _register() -> None:
    """Add every command module's commands (its click commands, in order) to the group."""
    for mod in COMMAND_MODULES + OPTIONAL_MODULES:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if mod not in OPTIONAL_MODULES or e.name is None or not mod.startswith(e.name):
                raise
            continue
        for cmd in getattr(m, "COMMANDS", ()):
            main.add_command(cmd)


_register()

if __name__ == "__main__":
    main()
