"""Which state store a command acts on, shared by the approval and kill-switch commands.

Nothing is guessed: `--config LOOP.yaml` means the very store that loop uses, `--state FILE` (or
$RECON_STATE) names one directly, and anything else is an error; acting on the wrong store would look
like success and change nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from recon.cli.console import fail
from recon.core.errors import ReconError

state_option = click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
                            help="state store file (default $RECON_STATE)")
config_option = click.option("--config", "-c", "config",
                             type=click.Path(dir_okay=False, exists=True, path_type=Path),
                             help="the loop config whose state store to use")


def resolve_store(state: Path | None, config: Path | None, must_exist: bool = True) -> tuple[Any, str | None]:
    """The state store a command acts on, and the loop name when a loop config names it.

    A loop config's store is its `state:` key, by default `.recon/<name>.db` beside the config.
    """
    from recon.config import load_loop_config
    from recon.store.sqlite import StateStore

    if state is not None and config is not None:
        fail("give --config LOOP.yaml or --state FILE, not both")
    name = None
    if config is not None:
        try:
            cfg, base = load_loop_config(config)
        except ReconError as e:
            fail(str(e))
        path, name = cfg.state_path(base), cfg.name
    elif state is not None:
        path = state
    elif os.environ.get("RECON_STATE"):
        path = Path(os.environ["RECON_STATE"])
    else:
        fail("which loop's state? pass --config LOOP.yaml, or --state FILE (or set RECON_STATE)")
    if must_exist and not path.exists():
        fail(f"{path}: no state store here (a loop creates it on its first plan or cycle)")
    try:
        return StateStore(path), name
    except ReconError as e:
        fail(str(e))


def loop_identifier(name: str) -> str:
    """*name* if it is a loop identifier (``recon.config.check_loop_name``), else exit 1 saying why."""
    from recon.config import check_loop_name

    try:
        return check_loop_name(name)
    except ValueError as e:
        fail(str(e))


def known_loop(store: Any, name: str, hint: str = "") -> str:
    """*name* if it is a loop identifier this store has seen; otherwise exit 1 listing the loops it knows.

    Acting on a misspelt loop would look like success and change nothing (a pause that pauses nothing).
    """
    loop_identifier(name)
    known = store.known_loops()
    if name not in known:
        fail(f"no loop named {name!r} has used {store.path}; known: {', '.join(known) or 'none'}{hint}")
    return name


def switch_target(target: str, state: Path | None) -> tuple[Any, str]:
    """TARGET is a loop config file (its own store and name, always accepted: a loop may be paused
    before its first cycle), `*`, or the name of a loop the store given with --state has seen."""
    p = Path(target)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        if not p.is_file():
            fail(f"{p}: no such loop config")
        store, name = resolve_store(state, p, must_exist=False)
        assert name is not None
        return store, name
    if target == "*":
        store, _ = resolve_store(state, None, must_exist=False)
        return store, target
    loop_identifier(target)  # before the store is opened: the name is the input at fault
    store, _ = resolve_store(state, None)
    return store, known_loop(store, target, ". To pause a loop before its first cycle, pass its loop config")


def current_user() -> str:
    """Who is acting: the login name, or the numeric uid where the container has no passwd entry."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return f"uid:{os.getuid()}"
