"""``recon desired-history LOOP.yaml``: what each commit of a git desired source changed, as a table or JSON.

Parses the arguments, calls :func:`recon.sources.git.desired_history` and prints. Reads the
repository only (a remote one is fetched into its cache under ``.recon/git/``); never plans or writes a loop's state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.table import Table

from recon.cli.console import esc, fail, print_table
from recon.core.errors import ReconError
from recon.core.redact import redact, redact_all
from recon.core.text import plural


@click.command("desired-history")
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--max-commits", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="how many of the latest commits that touched the desired files to list")
@click.option("--json", "as_json", is_flag=True, help="print the commits as JSON")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="progress bar on stderr (only on a terminal)")
def desired_history_cmd(loop_config: Path, max_commits: int, as_json: bool, progress: bool) -> None:
    """List each commit's creates, updates and deletes against its parent, for a loop whose desired
    state is a git repository (desired: {type: git}): the change sizes that are normal for it."""
    from tqdm import tqdm

    from recon.config import load_loop_config
    from recon.sources.git import GitDesired, GitSource, desired_history

    try:
        cfg, base = load_loop_config(loop_config)
        if not isinstance(cfg.desired, GitDesired):
            fail(f"{loop_config}: desired-history reads a git source (desired: {{type: git}}); "
                 f"this loop's desired type is {cfg.desired.type}")
        source = GitSource(cfg.desired, base)
        with tqdm(total=max_commits, desc="commits", unit="commit", leave=False, disable=not progress or None) as bar:
            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            changes = desired_history(source, max_commits, progress=advance)
    except ReconError as e:
        fail(str(e))
    if as_json:
        click.echo(json.dumps(redact_all({"loop": cfg.name, "source": source.name,
                                          "commits": [c.to_dict() for c in changes]}), indent=1))
        return
    t = Table(title=esc(redact(f"{source.name}: {plural(len(changes), 'commit')}, newest first")), title_justify="left")
    for col in ("commit", "date", "creates", "updates", "deletes", "resources", "subject"):
        t.add_column(col, justify="right" if col in ("creates", "updates", "deletes", "resources") else "left")
    for c in changes:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(c.time))
        counts = [str(x) for x in (c.creates, c.updates, c.deletes, c.resources)] if c.error is None else \
            ["-", "-", "-", "-"]
        subject = c.subject if c.error is None else f"{c.subject} [error: {c.error}]"
        t.add_row(c.commit[:12], when, *counts, esc(redact(subject)))
    print_table(t)


COMMANDS = [desired_history_cmd]
