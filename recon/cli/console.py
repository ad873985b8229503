"""The command line's consoles and printing: every command prints through these.

User text reaches a console only escaped (``esc``) or as plain text (``say``), and redacted: a name or
an error message is shown, never interpreted as markup or a terminal control sequence. Nothing here
decides anything; the decision and its exit code come from :mod:`recon.core.report`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from recon.core.decision import Decision
from recon.core.model import thaw
from recon.core.policy import Outcome
from recon.core.record import CycleRecord
from recon.core.redact import redact
from recon.core.report import ExitCode, exit_code, fates
from recon.core.text import for_terminal as esc, plural, visible

__all__ = ["err", "esc", "fail", "out", "print_decision", "print_table", "say"]

# User text is embedded in markup only through esc(); emoji codes (":x:") in names stay text too.
class _Console(Console):
    """Rich's console, but a closed pipe (``| head -1``) silences it and the command carries on: its work
    is done and its exit code is its own, whoever stopped reading (rich would exit 1 at once)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        reader_gone()


def reader_gone() -> None:
    """Point stdout at /dev/null: nothing more can reach the reader, and later prints and Python's
    final flush must not fail again."""
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, sys.stdout.fileno())
    os.close(fd)


out = _Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def say(text: Any) -> None:
    """Print a line that carries no markup of its own: nothing in it is interpreted."""
    out.print(visible(redact(str(text))), markup=False)


def print_table(t: Table) -> None:
    """Print *t* at its natural width, wider than the terminal if need be, so no cell wraps or is cut:
    each resource stays on one line."""
    need = Measurement.get(out, out.options.update_width(1 << 16), t).maximum
    _Console(file=out.file, width=max(out.width, need), highlight=False, emoji=False,
            force_terminal=out.is_terminal, color_system=out.color_system).print(t)


def finish(show: Callable[[], None], code: int) -> NoReturn:
    """Print with *show*, then exit with *code*, also when the reader went away (``| head -1``):
    a closed pipe is the reader's choice, not an error, and the exit code stays the plan's."""
    try:
        show()
        sys.stdout.flush()
    except BrokenPipeError:  # from a raw write (click.echo of JSON); the console's own prints do not raise
        reader_gone()
    sys.exit(code)


def fail(msg: str) -> NoReturn:
    """Print *msg* as one error line on stderr and exit 1."""
    err.print(f"[bold red]error:[/] {esc(redact(msg))}", markup=True)
    sys.exit(ExitCode.ERROR)


_OP_STYLE = {"create": "green", "update": "yellow", "delete": "red"}


def print_decision(loop: str, decision: Decision, record: CycleRecord, limit: int = 50,
                   approve_store: str | None = None, paused_by: str | None = None) -> None:
    """Print a plan; *approve_store* is the store option (``--config FILE``) the approve command needs,
    *paused_by* says who engaged the kill switch, when and why (for a paused cycle)."""
    if record.paused:
        out.print(f"[bold]loop[/] {esc(loop)}: [bold yellow]paused[/]: kill switch "
                  f"{esc(redact(paused_by or 'engaged'))}; nothing was read, planned or written")
        out.print(f"result: paused (exit {exit_code(decision)}); release it with `recon resume`")
        return
    plan = decision.plan
    obs = "complete" if record.observation_complete else f"INCOMPLETE ({esc(redact(str(record.observation_reason)))})"
    out.print(f"[bold]loop[/] {esc(loop)}: desired {record.desired_count} from "
              f"{esc(redact(str(record.desired_source)))}, observed {record.observed_count} ({obs})")
    if plan is not None:
        c = plan.counts()
        out.print(f"plan: [green]{c['create']} create[/], [yellow]{c['update']} update[/], "
                  f"[red]{c['delete']} delete[/], {len(plan.unchanged)} unchanged")
        if plan.changes:
            t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for col in ("op", "kind", "name", "this cycle", "fields"):
                t.add_column(col)
            by_key = fates(decision)
            for ch in plan.changes[:limit]:
                fields = "; ".join(f"{f.path}: {thaw(f.old)!r} → {thaw(f.new)!r}" for f in ch.fields)
                f = by_key.get(ch.key)
                fate = "" if f is None else f.status if f.guard is None else f"{f.status}: {f.guard}"
                t.add_row(f"[{_OP_STYLE[ch.op.value]}]{ch.op.value}[/]", esc(ch.key[0]), esc(ch.key[1]),
                          fate if fate == "apply" else f"[dim]{esc(fate)}[/]", esc(fields))
            print_table(t)
            if len(plan.changes) > limit:
                say(f"… and {len(plan.changes) - limit} more (use --json for all)")
    g = Table(show_header=True, header_style="bold", box=None, pad_edge=False, title="guards", title_justify="left")
    for col in ("guard", "outcome", "reason"):
        g.add_column(col)
    for v in decision.verdicts:
        style = "red" if v.outcome.blocks else ("yellow" if v.outcome in (Outcome.EXCLUDE, Outcome.DEFER) else "dim")
        g.add_row(esc(v.guard), f"[{style}]{v.outcome.value}[/]", esc(redact(v.reason)))
    print_table(g)
    if decision.approval_request:
        r = decision.approval_request
        hint = (f"approve with `recon approve {r.id} {approve_store}`" if approve_store
                else "not filed: no state store (pass --state FILE to file it for approval)")
        out.print(f"[bold yellow]approval needed[/]: request {esc(r.id)} ({plural(len(r.keys), 'delete')}, {esc(r.guard)}); "
                  f"{esc(hint)}")
    for a in decision.alerts:
        out.print(f"[bold red]ALERT[/] {esc(redact(a))}")
    code = exit_code(decision)
    summary = {ExitCode.IN_SYNC: "in sync",
               ExitCode.PENDING: f"{plural(len(decision.batch), 'change')} would be applied now, "
                                 f"{len(decision.deferred)} deferred",
               ExitCode.BLOCKED: "a guard blocks or holds changes"}[code]
    say(f"result: {summary} (exit {code})")
