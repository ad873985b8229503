"""`recon worst-case SCENARIO.yaml [--horizon CYCLES] [--set ...] --out DIR`.

Searches for the desired-source and list answers that make the scenario's loop delete the most
intended resources within the horizon, on the real engine, and writes worst.json and trace.yaml
(which `recon simulate` replays to the same number). Bad settings exit 1 with a line naming the
option; nothing is written. The search is ``recon.analysis.worstcase``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from recon.cli.console import err, fail, finish, say
from recon.core.errors import ReconError
from recon.core.text import plural, visible

MAX_CYCLES = 20_000  # recon.analysis.worstcase.MAX_CYCLES (a test holds them equal); --help imports no search
BUDGET = 40.0        # seconds: a default run on a few hundred resources ends well under a minute


@click.command("worst-case")
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--horizon", type=int, default=30, show_default=True, help="cycles the adversary has")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="override a scenario field, e.g. --set loop.guards.max_deletes.max=5 (repeatable)")
@click.option("--step", type=int, help="drop / rename counts in steps of this many resources "
              "(default: a twentieth of the scope, at most the per-cycle delete cap)")
@click.option("--hide-step", type=int, help="lists cut short in steps of this many (default: a quarter of the scope)")
@click.option("--offset-step", type=int, help="also drop or rename blocks starting at multiples of this "
              "(default: only at the start of the key order)")
@click.option("--beam", type=int, default=16, show_default=True, help="engine states kept per cycle")
@click.option("--max-cycles", type=int, default=MAX_CYCLES, show_default=True,
              help="stop the search after this many engine cycles (the answer is then bounded)")
@click.option("--budget", type=float, default=BUDGET, show_default=True,
              help="stop the search after this many seconds (an answer the clock stopped may vary between machines)")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for worst.json and trace.yaml")
@click.option("--progress/--no-progress", default=None, help="progress bar on stderr (default: on a TTY)")
@click.option("--quiet", is_flag=True, help="no progress bar")
def worst_case(scenario_file: Path, horizon: int, overrides: tuple[str, ...], step: int | None,
               hide_step: int | None, offset_step: int | None, beam: int, max_cycles: int, budget: float,
               out_dir: Path, progress: bool | None, quiet: bool) -> None:
    """Find the inputs that make SCENARIO_FILE's loop delete the most, and write them to --out DIR."""
    from recon.analysis.worstcase import Settings, ignored, worst_case as search
    from recon.sim import load_scenario

    show = (err.is_terminal if progress is None else progress) and not quiet
    try:
        sc = load_scenario(scenario_file, list(overrides))
        settings = Settings(horizon, step, hide_step, offset_step, beam, max_cycles, budget)
        left_out = ignored(sc)
        if left_out:
            err.print(visible(f"ignored (the adversary stands in for them): {'; '.join(left_out)}"), markup=False)
        result = search(sc, settings, _bar if show else _none)
    except ReconError as e:
        fail(str(e))
    try:
        paths = result.write(out_dir)
    except OSError as e:
        fail(f"{getattr(e, 'filename', None) or out_dir}: cannot write outputs: {e.strerror or e}")
    s = result.summary()

    def show() -> None:
        bound = s["upper_bound"] if s["upper_bound"] is not None else "none"
        say(f"{sc.name}: worst case {plural(s['wrongful_deletes'], 'wrongful delete')} in "
            f"{plural(horizon, 'cycle')} ({s['search']}; upper bound {bound})")
        say(f"guards tripped on the way: {', '.join(s['guards_tripped']) or 'none'}; witness: {s['witness']}")
        if s["stopped_early"] in ("engine-cycle budget", "time budget"):
            say(f"the search stopped at its {s['stopped_early']}: the answer is a lower bound, proven by its trace "
                "(--max-cycles, --budget look further)")
        say(f"wrote {', '.join(p.name for p in paths)} to {out_dir}; replay: recon simulate "
            f"{out_dir / 'trace.yaml'} --out DIR")

    finish(show, 0)  # a reader that went away (| head -1) is not an error


def _none(total: int) -> Callable[[int], None]:
    return lambda n: None


def _bar(total: int) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, desc="searching", unit="cycle", leave=False, mininterval=0.5)
    bar.monitor_interval = 0
    return bar.update  # type: ignore[no-any-return]


COMMANDS = [worst_case]
__all__ = ["COMMANDS", "worst_case"]
