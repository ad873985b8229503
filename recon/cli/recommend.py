"""``recon recommend --apply LOOP.yaml``: merge a sweep's recommended guards into the loop config.

Shows the change as a diff first and writes nothing without ``--yes``; with it, the old config is
kept as ``LOOP.yaml.bak`` (or ``.bak.N``) and the new one is validated before it replaces it.
The text work is :mod:`recon.calibrate.settings`.
"""

from __future__ import annotations

from pathlib import Path

import click

from recon.cli.console import fail, out, say
from recon.core.errors import ReconError
from recon.core.text import for_terminal as esc


@click.command()
@click.option("--apply", "loop_config", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="LOOP.yaml", help="the loop config to write the recommended guards into")
@click.option("--recommendation", "rec_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("recommendation.json"), show_default=True, help="a sweep's recommendation.json")
@click.option("--yes", is_flag=True, help="write the change (a backup of the config is kept)")
def recommend(loop_config: Path, rec_path: Path, yes: bool) -> None:
    """Show, and with --yes write, the sweep's recommended guards: block in LOOP.yaml."""
    from recon.calibrate import settings
    from recon.config import ConfigError, load_loop_config
    from recon.sources.atomic import write_text_atomic
    from recon.sources.inventory import read_yaml_file

    try:
        cfg, base = load_loop_config(loop_config)  # a config that does not load is an error before anything else
        block = settings.read_recommendation(rec_path)
        data, text = read_yaml_file(loop_config, "loop config", ConfigError)
        current = data.get("guards") if isinstance(data.get("guards"), dict) else {}
        merged = settings.merge(current, block)
        new = settings.rewrite(text, merged, {n for n in block if current.get(n) != merged[n]})
        settings.validated(loop_config, new, merged)
        desired_type = (data.get("desired") or {}).get("type")
        octo = settings.octodns_equivalents(merged, _zone_size(cfg, base)) if desired_type == "octodns" else None
    except ReconError as e:
        fail(str(e))
    diff = settings.unified_diff(loop_config, text, new)
    if not diff:
        say(f"{loop_config} already has the recommended guards; nothing to write")
    else:
        for line in diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
            out.print(f"[{style}]{esc(line)}[/]" if style else esc(line))
    if octo is not None:
        say("octoDNS provider settings nearest to these guards: "
            f"update_pcent_threshold: {octo['update_pcent_threshold']}, delete_pcent_threshold: {octo['delete_pcent_threshold']}")
        for line in octo["cannot_express"]:
            say(f"  octoDNS cannot express {line}")
    if not diff:
        return
    if not yes:
        say(f"nothing written; rerun with --yes to write {loop_config} (the old one is kept as a backup)")
        return
    backup = settings.backup_path(loop_config)
    try:
        write_text_atomic(backup, text)
        write_text_atomic(loop_config, new)
    except OSError as e:
        fail(f"{loop_config}: cannot write: {e.strerror or e}")
    say(f"wrote {loop_config} (guards of {cfg.name}); the old config is {backup}")


def _zone_size(cfg: object, base: Path) -> int | None:
    """How many records the desired zone holds, for octoDNS's shares; None when it cannot be read now."""
    from recon.config import build_loop
    from recon.store.sqlite import StateStore

    try:
        return len(build_loop(cfg, base, store=StateStore(":memory:")).source.load().resources)  # type: ignore[arg-type]
    except Exception:  # the shares are a hint: without the zone, only the delete share is shown
        return None


COMMANDS = [recommend]
