"""`recon simulate SCENARIO.yaml [--seed N] [--set dotted.path=value ...] --out DIR`.

Runs one scenario with the engine's own loops in simulated time and writes cycles.csv,
events.jsonl, episodes.csv, summary.json and the PNG plots. A bad scenario file is an error naming
the file, the line and the field (exit 1), and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recon.cli import err, fail, out, say
from recon.core.errors import ReconError
from recon.core.text import for_terminal as esc, plural


def print_summary(s: dict[str, Any]) -> None:
    """Three lines: outcome, drift and humans, guard trips and alerts."""
    from recon.analysis.summary import counts_text

    conv = f"yes, at t={s['time_to_converge']:g}s" if s["converged"] else "no"
    say(f"converged: {conv}; wrongful deletes: {s['wrongful_deletes']}; "
              f"outage: {s['outage_resource_seconds']:g} resource-seconds")
    dwell = s["drift_dwell_mean"]
    say(f"drift events: {s['drift_events']}"
              + (f", dwell mean {dwell:.1f}s p95 {s['drift_dwell_p95']:.1f}s" if dwell is not None else "")
              + f"; approvals requested: {s['approvals_requested']}; API calls: {s['api_calls']}")
    # an alert is a signal too: a cycle that paged while deleting must not read as "nothing happened"
    say(f"guard trips: {counts_text(s['guard_trips'])}; alerts: {counts_text(s.get('alerts', {}))}")


@click.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="root seed (numpy SeedSequence)")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="override a scenario field, e.g. --set loop.guards.empty_desired=false (repeatable)")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for cycles.csv, events.jsonl, summary.json and plots")
@click.option("--no-plots", is_flag=True, help="skip the PNG plots")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on for long runs on a TTY)")
def simulate(scenario_file: Path, seed: int, overrides: tuple[str, ...], out_dir: Path, no_plots: bool,
             progress: bool | None) -> None:
    """Simulate SCENARIO_FILE and write its outputs to --out DIR."""
    from recon.analysis.plots import write_plots
    from recon.sim import load_scenario, simulate as run

    if seed < 0:
        fail(f"--seed {seed}: a seed is a non-negative integer")
    try:
        base = load_scenario(scenario_file)
        sc = load_scenario(base, list(overrides))  # a bad --set fails here, before anything runs
    except ReconError as e:
        fail(str(e))
    if progress is None:
        cycles = sc.duration / min(s.period for s in sc.loop_specs()) * len(sc.loop_specs())
        progress = err.is_terminal and cycles * max(1, sc.world.resources) > 5_000_000
    try:
        result = run(base, seed=seed, progress=progress, overrides=overrides)
        paths = result.write(out_dir)
        if not no_plots:
            paths += write_plots(result, out_dir)
    except OSError as e:
        fail(f"{getattr(e, 'filename', None) or out_dir}: cannot write outputs: {e.strerror or e}")
    out.print(f"[bold]{esc(sc.name)}[/] (seed {seed}): {plural(result.summary['cycles'], 'cycle')} over "
              f"{sc.duration:g}s simulated")
    print_summary(result.summary)
    say(f"wrote {', '.join(p.name for p in paths)} to {out_dir}")


COMMANDS = [simulate]
__all__ = ["COMMANDS", "print_summary", "simulate"]
