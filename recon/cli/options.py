"""The guard options of ``recon plan --desired/--observed``, and their reading as a loop config's
``guards:`` mapping: the policy itself is built by ``recon.config.loop_policy``, as for a loop config."""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from recon.cli.console import fail
from recon.core.policy import Convergence, Guards
from recon.sources.validation import error_words

# Option name -> (guard, setting) in the loop config's `guards:` mapping.
_THRESHOLDS = {"max_deletes": ("max_deletes", "max"), "max_delete_fraction": ("max_deletes", "max_fraction"),
               "max_changes": ("max_changes", "max"), "shrink_fraction": ("desired_shrink", "max_fraction"),
               "max_deletes_window": ("max_deletes", "window"), "max_deletes_window_max": ("max_deletes", "window_max"),
               "shrink_window": ("desired_shrink", "window")}


def guard_options(f: Any) -> Any:
    """Add the guard options to the command *f*."""
    opts = [
        click.option("--max-deletes", type=click.IntRange(min=0), help="absolute cap on deletes per cycle (default 10)"),
        click.option("--max-delete-fraction", type=click.FloatRange(0, 1), help="cap as a fraction of observed (default 0.25)"),
        click.option("--max-changes", type=click.IntRange(min=1), help="changes per cycle; the rest is deferred (default 100)"),
        click.option("--shrink-fraction", type=click.FloatRange(0, 1), help="largest fall of desired vs the last accepted (default 0.3)"),
        click.option("--max-deletes-window", type=click.FloatRange(0, min_open=True), metavar="SECONDS",
                     help="window for --max-deletes-window-max (default: no window)"),
        click.option("--max-deletes-window-max", type=click.IntRange(min=0), metavar="N",
                     help="unapproved deletes allowed in any --max-deletes-window seconds"),
        click.option("--shrink-window", type=click.FloatRange(0, min_open=True), metavar="SECONDS",
                     help="measure a shrink from the largest desired count accepted in this window (default: the last)"),
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
        if o.get(option) is not None:  # an option a caller leaves out is an option not given
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
    # The window budget is a pair: one option without the other is a clear error, never a default.
    for one, other in (("max_deletes_window", "max_deletes_window_max"), ("max_deletes_window_max", "max_deletes_window")):
        if o.get(one) is not None and o.get(other) is None:
            fail(f"--{one.replace('_', '-')} {o[one]:g}: give --{other.replace('_', '-')} too")
    try:
        Guards.model_validate(g)
    except ValidationError as e:  # what click's ranges let through: nan, inf
        err = e.errors()[0]
        option = next((k for k, v in _THRESHOLDS.items() if v == tuple(err["loc"][:2])), None)
        name = f"--{option.replace('_', '-')} {o[option]}" if option else "guard options"
        fail(f"{name}: {error_words(err, Guards)}")
    return g
