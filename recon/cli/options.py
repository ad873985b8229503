"""The guard options of ``recon plan --desired/--observed``, and their reading as a loop config's
``guards:`` mapping: the policy itself is built by ``recon.config.loop_policy``, as for a loop config."""

from __future__ import annotations

from typing import Any

import click

from recon.cli.console import fail
from recon.core.policy import Convergence, Guards

# Option name -> (guard, setting) in the loop config's `guards:` mapping.
_THRESHOLDS = {"max_deletes": ("max_deletes", "max"), "max_delete_fraction": ("max_deletes", "max_fraction"),
               "max_changes": ("max_changes", "max"), "shrink_fraction": ("desired_shrink", "max_fraction")}


def guard_options(f: Any) -> Any:
    """Add the guard options to the command *f*."""
    opts = [
        click.option("--max-deletes", type=click.IntRange(min=0), help="absolute cap on deletes per cycle (default 10)"),
        click.option("--max-delete-fraction", type=click.FloatRange(0, 1), help="cap as a fraction of observed (default 0.25)"),
        click.option("--max-changes", type=click.IntRange(min=1), help="changes per cycle; the rest is deferred (default 100)"),
        click.option("--shrink-fraction", type=click.FloatRange(0, 1), help="largest fall of desired vs the last accepted (default 0.3)"),
        click.option("--owner-id", help="only resources with this owner marker may be deleted"),
        click.option("--protect", multiple=True, metavar="KIND/NAME", help="never touch matching resources (globs)"),
        click.option("--sync", type=click.Choice([m.value for m in Convergence]), default="sync", show_default=True),
        click.option("--disable", multiple=True, metavar="GUARD", help="disable a guard by name (for studies)"),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def guard_settings(o: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The guard options *o* as a loop config would give them: guard name -> settings over its defaults."""
    g: dict[str, dict[str, Any]] = {}
    for option, (guard, setting) in _THRESHOLDS.items():
        if o[option] is not None:
            g.setdefault(guard, {})[setting] = o[option]
    if o["protect"]:
        sels = []
        for p in o["protect"]:
            kind, slash, name = p.partition("/")
            if not slash or not kind or not name:
                fail(f"--protect {p!r}: give KIND/NAME (globs), e.g. 'A/legacy', '*/prod-*' or 'TXT/*'")
            sels.append({"kind": kind, "name": name})
        g["protected"] = {"selectors": sels}
    for name in o["disable"]:
        if name not in Guards.model_fields:
            fail(f"--disable: unknown guard {name!r}; known: {', '.join(Guards.model_fields)}")
        g.setdefault(name, {})["enabled"] = False
    return g
