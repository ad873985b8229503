"""``recon calibrate LOOP.yaml --out SCENARIO.yaml``: fit a scenario to a loop's snapshots or audit history.

Parses, calls :func:`recon.calibrate.run.calibrate`, writes the scenario and ``calibration.json``,
and prints each estimate with its interval; an unreadable input or a history too short to fit is
one line naming it, exit 1, nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from recon.cli.console import err, fail, say
from recon.core.errors import ReconError
from recon.core.text import for_terminal as esc


@click.command()
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--history", "history_url", metavar="URL",
              help="history store to fit (default: $RECON_AUDIT_HISTORY, else .recon/audit-history.db beside LOOP.yaml)")
@click.option("--snapshots", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="snapshot file written by `recon snapshot` (repeat; a folder stands for its files); "
                   "when given, the drift is fitted from these instead of the history")
@click.option("--since", metavar="TIME", help="only observations at or after TIME (ISO 8601 with zone, or epoch seconds)")
@click.option("--commits", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="the desired source's commit history as JSON (`recon desired-history LOOP.yaml --json`), "
                   "for the legitimate change sizes")
@click.option("--duration", type=click.FloatRange(min=60), default=86400.0, show_default=True,
              help="simulated seconds of the scenario written")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the scenario to write; calibration.json goes beside it")
def calibrate(loop_config: Path, history_url: str | None, snapshots: tuple[Path, ...], since: str | None,
              commits: Path | None, duration: float, quiet: bool, out_path: Path) -> None:
    """Estimate the hand edit, delete and create rates (with 95% intervals), how long drift lasts, the
    world's shape and the legitimate change sizes, and write them as a scenario for simulate and sweep."""
    from recon.calibrate.observations import parse_time
    from recon.calibrate.run import calibrate as fit
    from recon.calibrate.writers import write_calibration

    try:
        start = parse_time(since, "--since") if since is not None else None
        cal = fit(loop_config, history_url, snapshots, start, commits, duration,
                  progress=not quiet and sys.stderr.isatty())
        scenario, record = write_calibration(cal, out_path)
    except ReconError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{out_path}: cannot write: {e.strerror or e}")
    f = cal.fit
    say(f"loop {cal.loop}: {f.sightings} observations over {(f.span[1] - f.span[0]) / 3600:.1f} h "
        f"(median interval {f.interval_median:g} s)")
    for name, e in f.rates.items():
        say(f"  {name} = {e.value:.3g} (95% {e.low:.3g} .. {e.high:.3g}; {e.events} events)")
    d = f.duration
    if d["mean_seconds"] is not None:
        say(f"  drift healed by others lasts {d['mean_seconds']:.0f} s on average ({d['healed']} healed episodes)")
    for w in cal.weak:
        err.print(f"[yellow]weak:[/] {esc(w)}", markup=True)
    say(f"wrote {scenario} and {record}")


COMMANDS = [calibrate]
