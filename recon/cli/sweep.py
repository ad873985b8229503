"""``recon sweep``: Monte Carlo over guard thresholds, with a frontier and a recommendation.

Parses arguments, prints what it is doing, and maps errors to exit codes (0 finished, 1 error,
130 interrupted with the finished runs kept). The sweep itself is ``recon.analysis.sweep``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from recon.cli.console import err, fail, say
from recon.cli.worstcase import MAX_CYCLES
from recon.core.errors import ReconError
from recon.core.report import ExitCode
from recon.core.text import for_terminal as esc, plural, visible


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--grid", "grid", multiple=True, required=True, metavar="dotted.path=v1,v2,...",
              help="a setting and the values to try (YAML values); repeat for more axes")
@click.option("--seeds", type=click.IntRange(min=1), required=True, help="replications per grid point and scenario")
@click.option("--seed", "root", type=click.IntRange(min=0),
              help="root seed (SeedSequence entropy); drawn fresh and printed when absent")
@click.option("--workers", type=click.IntRange(min=1), help="parallel runs (default: the CPUs available)")
@click.option("--scheduler", metavar="ADDRESS",
              help="tcp://HOST:PORT of a Dask scheduler, or 'local' for a LocalCluster on 127.0.0.1")
@click.option("--set", "sets", multiple=True, metavar="dotted.path=value", help="override for every run (YAML value)")
@click.option("--max-wrongful-deletes", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="bound on wrongful deletes per run (upper 95%% interval of the mean, every scenario)")
@click.option("--max-p95-converge", type=click.FloatRange(min=0),
              help="bound on the p95 time to converge in seconds (every scenario); none when absent")
@click.option("--worst-case", "worst", is_flag=True,
              help="also search each grid point's worst case (recon worst-case) and add it to the outputs")
@click.option("--worst-case-horizon", type=int, default=30, show_default=True, help="cycles the adversary has")
@click.option("--worst-case-beam", type=int, default=16, show_default=True, help="engine states the search keeps per cycle")
@click.option("--worst-case-max-cycles", type=int, default=MAX_CYCLES, show_default=True,
              help="engine cycles each grid point's search may run (then its answer is bounded)")
@click.option("--worst-case-budget", type=float, help="seconds each grid point's search may run "
              "(default: no limit, so the outputs do not depend on the machine)")
@click.option("--batch-size", type=click.IntRange(min=1), help="runs per task (default: adaptive, ~0.5 s of work)")
@click.option("--progress/--no-progress", default=True, show_default=True, help="progress bar on stderr")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="output directory; rerunning into it resumes an unfinished sweep")
def sweep(scenarios: tuple[Path, ...], grid: tuple[str, ...], seeds: int, root: int | None, workers: int | None,
          scheduler: str | None, sets: tuple[str, ...], max_wrongful_deletes: float, max_p95_converge: float | None,
          worst: bool, worst_case_horizon: int, worst_case_beam: int, worst_case_max_cycles: int,
          worst_case_budget: float | None, batch_size: int | None, progress: bool, out_dir: Path) -> None:
    """Run every --grid point x --seeds seeds on each SCENARIO and write sweep.csv, points.csv,
    frontier.png and recommendation.json to --out."""
    from recon.analysis.frontier import Bounds
    from recon.analysis.grid import root_entropy
    from recon.analysis.runlog import read_root
    from recon.analysis.sweep import run_sweep

    try:
        previous = read_root(out_dir)
        if root is None and previous is None:
            root = root_entropy(None)
            say(f"root seed {root} (drawn fresh; pass --seed {root} to repeat this sweep)")
        elif root is None:
            root = previous
            say(f"resuming the sweep in {out_dir} (root seed {root})")
        adversary = None
        if worst:
            from recon.analysis.worstcase import Settings, check_settings

            adversary = Settings(horizon=worst_case_horizon, beam=worst_case_beam, max_cycles=worst_case_max_cycles,
                                 budget=worst_case_budget)
            check_settings(adversary, prefix="--worst-case-")
        result = run_sweep(list(scenarios), list(grid), seeds, root_seed=root, workers=workers, scheduler=scheduler,
                           out_dir=out_dir, progress=progress,
                           bounds=Bounds(max_wrongful_deletes, max_p95_converge), sets=sets, batch_size=batch_size,
                           worst=adversary)
    except KeyboardInterrupt:
        err.print(visible(f"interrupted: finished runs are kept in {out_dir / 'sweep.csv'}; rerun the same command "
                          "to resume"), markup=False)
        sys.exit(ExitCode.INTERRUPTED)
    except (ReconError, ValueError) as e:
        fail(str(e))
    rec = result.recommendation
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {esc(w)}", markup=True)
    say(f"{plural(len(result.runs), 'run')} ({result.computed} computed now, {result.reused} found finished) over "
        f"{plural(len(result.table), 'grid point')} x {plural(seeds, 'seed')} x {plural(len(result.scenarios), 'scenario')}")
    say(("recommended: " if rec["satisfied"] else "no recommendation: ") + rec["statement"])
    worst = (rec.get("worst_case") or {}).get("per_point", {})
    if rec.get("point") is not None and rec["point"] in worst:
        # The average says a typical bad day; the bound says what this setting lets through at worst.
        say(f"  worst case for it: {plural(worst[rec['point']], 'wrongful delete')} "
            "(recon worst-case: the most any input sequence gets past these guards)")
    for name in ("sweep.csv", "points.csv", "frontier.png", "recommendation.json"):
        say(f"  wrote {out_dir / name}")


COMMANDS = [sweep]
