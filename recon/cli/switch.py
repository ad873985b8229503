"""``recon pause`` and ``recon resume``: engage and release a loop's kill switch in its state store."""

from __future__ import annotations

from pathlib import Path

import click

from recon.cli.console import fail, say
from recon.cli.store import current_user, state_option, switch_target
from recon.core.errors import ReconError


@click.command()
@click.argument("target", metavar="LOOP")
@state_option
@click.option("--reason", default="", help="why (recorded)")
@click.option("--by", help="who pauses (default: your user name)")
def pause(target: str, state: Path | None, reason: str, by: str | None) -> None:
    """Engage the kill switch: cycles of LOOP do nothing until resumed.

    LOOP is a loop config (LOOP.yaml: its own state store) or a loop name with --state;
    the name `*` pauses every loop sharing that store.
    """
    store, name = switch_target(target, state)
    try:
        store.set_kill_switch(name, True, reason, by or current_user())
    except ReconError as e:
        fail(f"kill switch NOT engaged for {name}: {e}")
    say(f"kill switch engaged for {name} in {store.path}")


@click.command()
@click.argument("target", metavar="LOOP")
@state_option
def resume(target: str, state: Path | None) -> None:
    """Release the kill switch of LOOP (a loop config, or a loop name with --state)."""
    store, name = switch_target(target, state)
    try:
        store.set_kill_switch(name, False)
    except ReconError as e:
        fail(f"kill switch NOT released for {name}: {e}")
    say(f"kill switch released for {name} in {store.path}")


COMMANDS = [pause, resume]
