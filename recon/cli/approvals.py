"""``recon approvals``, ``recon approve`` and ``recon deny``: list and answer a loop's held delete sets.

The answers go to the loop's state store (``recon.cli.store`` says which), where its next cycle reads them.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from recon.cli.console import esc, fail, out, print_table, say
from recon.cli.store import config_option, current_user, known_loop, resolve_store, state_option
from recon.core.errors import ReconError
from recon.core.policy import APPROVAL_TTL
from recon.core.text import plural

if TYPE_CHECKING:
    from recon.store.sqlite import PendingRequest

SHOWN_KEYS = 5  # keys listed per pending request; --json lists every one


@click.command()
@config_option
@state_option
@click.option("--loop", "loop_name", help="only this loop")
@click.option("--json", "as_json", is_flag=True)
def approvals(config: Path | None, state: Path | None, loop_name: str | None, as_json: bool) -> None:
    """List approval requests and their status; for each pending one, its first keys and the exact
    `recon approve` and `recon deny` commands."""
    store, _ = resolve_store(state, config)
    try:
        if loop_name is not None:  # a misspelt name would list "no approval requests" and look like all clear
            known_loop(store, loop_name)
        reqs = store.requests(loop_name)
    except ReconError as e:
        fail(str(e))
    if as_json:
        click.echo(json.dumps([{"id": r.request.id, "loop": r.request.loop, "status": r.status, "guard": r.request.guard,
                                "reason": r.request.reason, "keys": [list(k) for k in r.request.keys],
                                "by": r.approval.by if r.approval else None} for r in reqs], indent=1))
        return
    if not reqs:
        say("no approval requests")
        return
    t = Table(box=None, header_style="bold")
    for c in ("id", "loop", "status", "deletes", "guard", "reason"):
        t.add_column(c)
    for r in reqs:
        t.add_row(*map(esc, (r.request.id, r.request.loop, r.status, len(r.request.keys), r.request.guard,
                             r.request.reason)))
    print_table(t)
    where = f"--config {shlex.quote(str(config))}" if config is not None else f"--state {shlex.quote(str(store.path))}"
    for r in reqs:
        if r.status == "pending":
            _show_pending(r, where)


def _show_pending(r: PendingRequest, where: str) -> None:
    """A pending request's keys (the first few) and the commands that answer it, as they are to be typed."""
    keys = r.request.keys
    shown = ", ".join(esc(f"{kind}/{name}") for kind, name in keys[:SHOWN_KEYS])
    more = f" and {len(keys) - SHOWN_KEYS} more (--json lists all)" if len(keys) > SHOWN_KEYS else ""
    out.print(f"[bold]request {esc(r.request.id)}[/] ({esc(r.request.guard)}): "
              f"{plural(len(keys), 'delete')}, approved or denied as one set: {shown}{more}")
    rid = shlex.quote(r.request.id)
    out.print(f"  approve: {esc(f'recon approve {rid} {where}')}")
    out.print(f"  deny:    {esc(f'recon deny {rid} {where}')}")


def _decide(request_id: str, state: Path | None, config: Path | None, granted: bool, by: str | None,
            ttl: float) -> None:
    store, _ = resolve_store(state, config)
    try:
        earlier = next((r for r in store.requests() if r.request.id == request_id), None)
        a = store.decide(request_id, granted, by or current_user(), ttl)
    except ReconError as e:
        fail(str(e))
    word = "approved" if granted else "denied"
    was = ""
    if earlier is not None and earlier.approval is not None:
        was = f" (it was {earlier.status} by {earlier.approval.by})"
    say(f"{word} {request_id} by {a.by}" + (f", valid for {ttl:g}s" if granted else "") + was)


@click.command()
@click.argument("request_id")
@config_option
@state_option
@click.option("--by", help="who approves (default: your user name)")
@click.option("--ttl", type=click.FloatRange(min=1), default=APPROVAL_TTL, show_default=True,
              help="seconds the approval stays valid")
def approve(request_id: str, config: Path | None, state: Path | None, by: str | None, ttl: float) -> None:
    """Approve a held delete set. The approval covers exactly that set of keys (and what remains of it)."""
    _decide(request_id, state, config, True, by, ttl)


@click.command()
@click.argument("request_id")
@config_option
@state_option
@click.option("--by", help="who denies (default: your user name)")
def deny(request_id: str, config: Path | None, state: Path | None, by: str | None) -> None:
    """Deny a held delete set."""
    _decide(request_id, state, config, False, by, APPROVAL_TTL)


COMMANDS = [approvals, approve, deny]
