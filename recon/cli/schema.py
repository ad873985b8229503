"""``recon schema``: the JSON Schema of an input file, printed from the model that validates it."""

from __future__ import annotations

import json

import click

from recon.cli.console import fail
from recon.core.policy import Policy


@click.command()
@click.argument("what", type=click.Choice(["inventory", "loop", "scenario", "policy"]))
def schema(what: str) -> None:
    """Print the JSON Schema of an input file."""
    if what == "inventory":
        from recon.sources.inventory import InventoryModel as model
    elif what == "loop":
        from recon.config import LoopConfig as model  # type: ignore[assignment]
    elif what == "policy":
        model = Policy  # type: ignore[assignment]
    else:
        try:
            from recon.sim.scenario import Scenario as model  # type: ignore[assignment]
        except ImportError:
            fail("the scenario schema comes with the simulation (recon.sim), not installed in this build")
    click.echo(json.dumps(model.model_json_schema(), indent=1))


COMMANDS = [schema]
