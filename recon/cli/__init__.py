"""The `recon` command. Exit codes for plan-like commands: 0 in sync, 2 changes pending,
3 a guard blocks or holds, 1 error.

Commands that belong to a layer (simulate, sweep, audit) live in sibling modules of this package,
each exporting ``COMMANDS``; they register here when present.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from recon.core.record import CycleRecord
from recon.core.decision import Decision
from recon.core.errors import ReconError
from recon.core.model import DesiredState, Observation, thaw
from recon.core.policy import APPROVAL_TTL, Convergence, Guards, Policy
from recon.core.redact import redact, redact_all
from recon.core.report import EXIT_ERROR, decision_dict, exit_code, fates
from recon.core.text import for_terminal as esc, visible


# User text is embedded in markup only through esc(); emoji codes (":x:") in names stay text too.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def say(text: Any) -> None:
    """Print a line that carries no markup of its own: nothing in it is interpreted."""
    out.print(visible(redact(str(text))), markup=False)


def print_table(t: Table) -> None:
    """Print *t* at its natural width, wider than the terminal if need be, so no cell wraps or is cut:
    each resource stays on one line."""
    need = Measurement.get(out, out.options.update_width(1 << 16), t).maximum
    Console(file=out.file, width=max(out.width, need), highlight=False, emoji=False,
            force_terminal=out.is_terminal, color_system=out.color_system).print(t)


def fail(msg: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {esc(redact(msg))}", markup=True)
    sys.exit(EXIT_ERROR)


def decision_json(loop: str, mode: str, decision: Decision, record: CycleRecord) -> dict[str, Any]:
    return {"loop": loop, "mode": mode, **decision_dict(decision, record)}


_OP_STYLE = {"create": "green", "update": "yellow", "delete": "red"}


def print_decision(loop: str, decision: Decision, record: CycleRecord, limit: int = 50,
                   approve_store: str | None = None) -> None:
    """Print a plan; *approve_store* is the store option (``--config FILE``) the approve command needs."""
    plan = decision.plan
    obs = "complete" if record.observation_complete else f"INCOMPLETE ({esc(redact(str(record.observation_reason)))})"
    out.print(f"[bold]loop[/] {esc(loop)}: desired {record.desired_count} from "
              f"{esc(redact(str(record.desired_source)))}, observed {record.observed_count} ({obs})")
    if plan is not None:
        c = plan.counts()
        out.print(f"plan: [green]{c['create']} create[/], [yellow]{c['update']} update[/], "
                  f"[red]{c['delete']} delete[/], {len(plan.unchanged)} unchanged")
        if plan.changes:
            t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for col in ("op", "kind", "name", "this cycle", "fields"):
                t.add_column(col)
            by_key = fates(decision)
            for ch in plan.changes[:limit]:
                fields = "; ".join(f"{f.path}: {thaw(f.old)!r} → {thaw(f.new)!r}" for f in ch.fields)
                f = by_key.get(ch.key)
                fate = "" if f is None else f.status if f.guard is None else f"{f.status}: {f.guard}"
                t.add_row(f"[{_OP_STYLE[ch.op.value]}]{ch.op.value}[/]", esc(ch.key[0]), esc(ch.key[1]),
                          fate if fate == "apply" else f"[dim]{esc(fate)}[/]", esc(fields))
            print_table(t)
            if len(plan.changes) > limit:
                say(f"… and {len(plan.changes) - limit} more (use --json for all)")
    g = Table(show_header=True, header_style="bold", box=None, pad_edge=False, title="guards", title_justify="left")
    for col in ("guard", "outcome", "reason"):
        g.add_column(col)
    for v in decision.verdicts:
        style = "red" if v.outcome.blocks else ("yellow" if v.outcome.value in ("exclude", "defer") else "dim")
        g.add_row(esc(v.guard), f"[{style}]{v.outcome.value}[/]", esc(redact(v.reason)))
    print_table(g)
    if decision.approval_request:
        r = decision.approval_request
        hint = (f"approve with `recon approve {r.id} {approve_store}`" if approve_store
                else "not filed: no state store (pass --state FILE to file it for approval)")
        out.print(f"[bold yellow]approval needed[/]: request {esc(r.id)} ({len(r.keys)} deletes, {esc(r.guard)}); "
                  f"{esc(hint)}")
    for a in decision.alerts:
        out.print(f"[bold red]ALERT[/] {esc(redact(a))}")
    code = exit_code(decision)
    summary = {0: "in sync", 2: f"{len(decision.batch)} changes would be applied now, "
                                f"{len(decision.deferred)} deferred", 3: "a guard blocks or holds changes"}[code]
    say(f"result: {summary} (exit {code})")


class ReconGroup(click.Group):
    """A click group whose usage errors exit 1: exit 2 means "changes pending" to schedulers."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            err.print("aborted", markup=False)
            sys.exit(130)
        except click.ClickException as e:
            e.show()
            sys.exit(EXIT_ERROR)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=ReconGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recon")
def main() -> None:
    """recon: build, stress-test and audit reconciliation loops."""


# plan ---------------------------------------------------------------------------------------------

def _policy_from_options(o: dict[str, Any]) -> Policy:
    g = Guards().model_dump()
    if o["max_deletes"] is not None:
        g["max_deletes"]["max"] = o["max_deletes"]
    if o["max_delete_fraction"] is not None:
        g["max_deletes"]["max_fraction"] = o["max_delete_fraction"]
    if o["max_changes"] is not None:
        g["max_changes"]["max"] = o["max_changes"]
    if o["shrink_fraction"] is not None:
        g["desired_shrink"]["max_fraction"] = o["shrink_fraction"]
    if o["protect"]:
        sels = []
        for p in o["protect"]:
            kind, slash, name = p.partition("/")
            if not slash or not kind or not name:
                fail(f"--protect {p!r}: give KIND/NAME (globs), e.g. 'A/legacy', '*/prod-*' or 'TXT/*'")
            sels.append({"kind": kind, "name": name})
        g["protected"]["selectors"] = sels
    for name in o["disable"]:
        if name not in g:
            fail(f"--disable: unknown guard {name!r}; known: {', '.join(g)}")
        g[name]["enabled"] = False
    return Policy(convergence=Convergence(o["sync"]), owner_id=o["owner_id"], guards=Guards.model_validate(g))


def _guard_options(f: Any) -> Any:
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


@main.command()
@click.argument("loop_config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--desired", type=click.Path(path_type=Path), help="desired inventory file or folder")
@click.option("--observed", type=click.Path(path_type=Path), help="observed inventory file (a snapshot)")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), envvar="RECON_STATE",
              help="with --desired/--observed: state store for baselines, approvals and the kill switch "
                   "(default $RECON_STATE; without one, approval requests are not filed)")
@click.option("--loop", "loop_name", default="plan", show_default=True, help="loop name in the state store")
@click.option("--json", "as_json", is_flag=True, help="print the decision as JSON")
@_guard_options
def plan(loop_config: Path | None, desired: Path | None, observed: Path | None, state: Path | None,
         loop_name: str, as_json: bool, **opts: Any) -> None:
    """Show what a loop would do now, and which guard would trip. Never writes.

    Either `recon plan LOOP.yaml` or `recon plan --desired FILE --observed FILE`.
    """
    from recon.drivers.loop import Loop, run_once
    from recon.providers.snapshot import SnapshotObserver
    from recon.approvers import StoreApprover
    from recon.sources.callable import FileSource
    from recon.providers.base import observe_checked
    from recon.sources.inventory import load_inventory_while
    from recon.store.sqlite import StateStore

    def bail(msg: str) -> NoReturn:
        if as_json:  # scripts reading stdout get a record of the failure too
            click.echo(json.dumps({"exit_code": EXIT_ERROR, "error": redact(msg)}, indent=1))
        fail(msg)

    try:
        if loop_config is not None:
            if desired or observed:
                bail("give either LOOP.yaml or --desired/--observed, not both")
            given = [k for k, v in opts.items() if v not in (None, (), "sync")]
            if given:
                bail(f"{loop_config}: guard options ({', '.join('--' + k.replace('_', '-') for k in given)}) "
                     "apply to --desired/--observed plans; set guards in the loop config")
            from recon.config import build_loop, load_loop_config

            cfg, base = load_loop_config(loop_config)
            loop = build_loop(cfg, base)
            loop.actuator = None  # plan never writes, whatever the config's mode
            # Quoted, so the printed command works as printed whatever the path holds.
            hint = f"--config {shlex.quote(str(loop_config))}"
        else:
            if desired is None or observed is None:
                bail("give LOOP.yaml, or both --desired FILE and --observed FILE")
            store = StateStore(state) if state else StateStore(":memory:")
            hint = f"--state {shlex.quote(str(state))}" if state else None
            loop = Loop(name=loop_name, source=FileSource(desired), observer=SnapshotObserver(observed),
                        policy=_policy_from_options(opts), approver=StoreApprover(store),
                        kill_switch=lambda: store.kill_switch(loop_name), store=store)
        # Load and observe up front: for a one-shot plan a failure is an error (exit 1) naming the input.
        # A large YAML inventory is parsed on the other core while the provider is observed.
        d: DesiredState
        o: Observation
        observer = loop.observer
        d, o = load_inventory_while(loop.source.path, lambda: observe_checked(observer))  # type: ignore[attr-defined]
        # The cycle reads the state store (baselines, approvals, the kill switch): one it cannot
        # trust is an error here too, never a plan made as if the store were empty.
        result = run_once(loop, time.time(), persist=False, desired=d, observation=o)
    except ReconError as e:
        bail(str(e))
    except OSError as e:
        bail(f"{getattr(e, 'filename', '') or 'input'}: {e.strerror or e}")

    record, decision = result.record, result.decision
    code = exit_code(decision)
    if as_json:
        click.echo(json.dumps(redact_all(decision_json(loop.name, "observe-only", decision, record)), indent=1,
                              default=str))
    else:
        print_decision(loop.name, decision, record, approve_store=hint)
    sys.exit(code)


# snapshot and watch -------------------------------------------------------------------------------

@main.command()
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def snapshot(loop_config: Path, out_path: Path) -> None:
    """Write the observed state of a loop's provider as an inventory file. Never writes to the provider."""
    from recon.config import build_loop, load_loop_config
    from recon.providers.base import observe_checked
    from recon.sources.inventory import dump_inventory
    from recon.store.sqlite import StateStore

    try:
        cfg, base = load_loop_config(loop_config)
        loop = build_loop(cfg, base, store=StateStore(":memory:"))  # a snapshot keeps no loop state
        obs = observe_checked(loop.observer)
    except ReconError as e:
        fail(str(e))
    if not obs.complete:
        fail(f"{loop.observer.name}: observation incomplete ({obs.reason}); refusing to write a partial snapshot")
    try:
        dump_inventory(obs.resources.values(), out_path)
    except OSError as e:
        fail(f"{out_path}: cannot write the snapshot: {e.strerror or e}")
    say(f"wrote {len(obs)} resources from {loop.observer.name} to {out_path}")


@main.command()
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--interval", type=click.FloatRange(min=0.01), help="seconds between cycles (default from config, 60)")
@click.option("--jitter", type=click.FloatRange(0, 0.99), help="± fraction of the interval")
@click.option("--metrics-port", type=int, help="serve Prometheus metrics on 127.0.0.1:PORT")
@click.option("--max-cycles", type=click.IntRange(min=1), help="stop after N cycles (default: until SIGTERM)")
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path), help="JSONL event log")
def watch(loop_config: Path, interval: float | None, jitter: float | None, metrics_port: int | None,
          max_cycles: int | None, events: Path | None) -> None:
    """Run the observe-only loop on an interval: diffs, verdicts and metrics, never a write."""
    from recon.config import build_loop, load_loop_config
    from recon.drivers.realtime import RealtimeDriver
    from recon.drivers.schedule import Schedule
    from recon.drivers.spec import RealtimeSpec
    from recon.eventlog import EventLog, EventLogError
    from recon.metrics import LoopMetrics
    from recon.store import StoreBusy, StoreError

    try:
        cfg, base = load_loop_config(loop_config)
        loop = build_loop(cfg, base)
        log = EventLog(events or base / (cfg.events or f".recon/{cfg.name}.events.jsonl"))
    except ReconError as e:
        fail(str(e))
    loop.actuator = None
    metrics = LoopMetrics()
    if metrics_port is not None:
        metrics.serve(metrics_port)
        say(f"metrics on http://127.0.0.1:{metrics_port}/metrics")
    no_desired: list[str] = []  # errors of the cycles that observed but could not load the desired state
    fatal: list[ReconError] = []

    def show(r: CycleRecord) -> None:
        if r.paused:
            say(f"cycle {r.cycle}: paused (kill switch)")
            return
        if r.observed_count is not None and r.desired_count is None:
            no_desired.append(r.errors[0] if r.errors else "desired state not loaded")
        if r.observed_count is None:
            why = esc(redact("; ".join(r.errors)) or "observation failed")
            out.print(f"cycle {r.cycle}: [red]{why}[/]; no changes proposed")
            return
        acting = [v.guard for v in r.verdicts if v.outcome.blocks or v.outcome.value == "defer"]
        excluded = [v for v in r.verdicts if v.outcome.value == "exclude"]
        line = (f"cycle {r.cycle}: desired {r.desired_count} observed {r.observed_count}; would create "
                f"{r.would_create} update {r.would_update} delete {r.would_delete}; "
                f"guards tripped: {esc(', '.join(acting) or 'none')}")
        if excluded:
            line += "; excluded: " + ", ".join(f"{len(v.keys)} by {esc(v.guard)}" for v in excluded)
        if r.errors:
            line += f"; [red]errors: {esc(redact('; '.join(r.errors)))}[/]"
        out.print(line)

    def show_error(e: Exception) -> None:
        if isinstance(e, (StoreError, EventLogError)) and not isinstance(e, StoreBusy):
            # A store it cannot read or trust (the kill switch, approvals) or a log it cannot write:
            # the loop stops rather than run on without them (fail closed). A lock held past the
            # timeout only fails this cycle: the store itself is sound.
            fatal.append(e)
            driver.stop()
            return
        out.print(f"cycle {driver.cycles}: [red]{esc(redact(str(e)))}[/]; nothing done this cycle")

    schedule = Schedule(interval or cfg.interval, cfg.jitter if jitter is None else jitter)
    driver = RealtimeDriver(loop, RealtimeSpec(schedule, events=log, metrics=metrics,
                                               on_record=lambda res: show(res.record), on_error=show_error))
    say(f"watching {cfg.name} (observe-only) every {schedule.interval:g}s; event log {log.path}")
    records = driver.run(max_cycles=max_cycles)
    if fatal:
        fail(f"loop {cfg.name} stopped at cycle {driver.cycles}: {fatal[0]}")
    if driver.interrupted:
        say(f"stopped: cycle {driver.cycles + 1} was cut short by the stop signal and not counted")
    if driver.cycles and driver.failed == driver.cycles:
        last = driver.errors[-1] if driver.errors else (records[-1].errors[0] if records and records[-1].errors else "")
        fail(f"loop {cfg.name}: every one of {driver.cycles} cycles failed to observe; last: {last}")
    if driver.cycles and driver.failed + len(no_desired) == driver.cycles:
        what = ("failed to load the desired state" if not driver.failed else
                f"failed: {len(no_desired)} could not load the desired state, {driver.failed} failed to observe")
        fail(f"loop {cfg.name}: every one of {driver.cycles} cycles {what}; last: {no_desired[-1]}")


# approvals and the kill switch ------------------------------------------------------------------

def _resolve_store(state: Path | None, config: Path | None, must_exist: bool = True) -> tuple[Any, str | None]:
    """The state store a command acts on, and the loop name when a loop config names it.

    `--config LOOP.yaml` means the very store that loop uses (its `state:` key, by default
    `.recon/<name>.db` beside the config); `--state FILE` (or $RECON_STATE) names a store directly.
    Nothing is guessed: acting on the wrong store would look like success and change nothing.
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


_state_opt = click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
                          help="state store file (default $RECON_STATE)")
_config_opt = click.option("--config", "-c", "config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                           help="the loop config whose state store to use")


@main.command()
@_config_opt
@_state_opt
@click.option("--loop", "loop_name", help="only this loop")
@click.option("--json", "as_json", is_flag=True)
def approvals(config: Path | None, state: Path | None, loop_name: str | None, as_json: bool) -> None:
    """List approval requests and their status."""
    store, _ = _resolve_store(state, config)
    try:
        reqs = store.requests(loop_name)
    except ReconError as e:
        fail(str(e))
    if as_json:
        click.echo(json.dumps([{"id": r.request.id, "loop": r.request.loop, "status": r.status, "guard": r.request.guard,
                                "reason": r.request.reason, "keys": [list(k) for k in r.request.keys],
                                "by": r.approval.by if r.approval else None} for r in reqs], indent=1))
        return
    if not reqs:
        say("no approval requests")
        return
    t = Table(box=None, header_style="bold")
    for c in ("id", "loop", "status", "deletes", "guard", "reason"):
        t.add_column(c)
    for r in reqs:
        t.add_row(*map(esc, (r.request.id, r.request.loop, r.status, len(r.request.keys), r.request.guard,
                             r.request.reason)))
    print_table(t)


def _user() -> str:
    """Who is acting: the login name, or the numeric uid where the container has no passwd entry."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return f"uid:{os.getuid()}"


def _decide(request_id: str, state: Path | None, config: Path | None, granted: bool, by: str | None,
            ttl: float) -> None:
    store, _ = _resolve_store(state, config)
    try:
        earlier = next((r for r in store.requests() if r.request.id == request_id), None)
        a = store.decide(request_id, granted, by or _user(), ttl)
    except ReconError as e:
        fail(str(e))
    word = "approved" if granted else "denied"
    was = ""
    if earlier is not None and earlier.approval is not None:
        was = f" (it was {earlier.status} by {earlier.approval.by})"
    say(f"{word} {request_id} by {a.by}" + (f", valid for {ttl:g}s" if granted else "") + was)


@main.command()
@click.argument("request_id")
@_config_opt
@_state_opt
@click.option("--by", help="who approves (default: your user name)")
@click.option("--ttl", type=click.FloatRange(min=1), default=APPROVAL_TTL, show_default=True,
              help="seconds the approval stays valid")
def approve(request_id: str, config: Path | None, state: Path | None, by: str | None, ttl: float) -> None:
    """Approve a held delete set. The approval covers exactly that set of keys (and what remains of it)."""
    _decide(request_id, state, config, True, by, ttl)


@main.command()
@click.argument("request_id")
@_config_opt
@_state_opt
@click.option("--by", help="who denies (default: your user name)")
def deny(request_id: str, config: Path | None, state: Path | None, by: str | None) -> None:
    """Deny a held delete set."""
    _decide(request_id, state, config, False, by, APPROVAL_TTL)


def _switch_target(target: str, state: Path | None) -> tuple[Any, str]:
    """TARGET is a loop config file (its own store and name) or a loop name (with --state)."""
    p = Path(target)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        if not p.is_file():
            fail(f"{p}: no such loop config")
        store, name = _resolve_store(state, p, must_exist=False)
        assert name is not None
        return store, name
    store, _ = _resolve_store(state, None, must_exist=False)
    return store, target


@main.command()
@click.argument("target", metavar="LOOP")
@_state_opt
@click.option("--reason", default="", help="why (recorded)")
@click.option("--by", help="who pauses (default: your user name)")
def pause(target: str, state: Path | None, reason: str, by: str | None) -> None:
    """Engage the kill switch: cycles of LOOP do nothing until resumed.

    LOOP is a loop config (LOOP.yaml: its own state store) or a loop name with --state;
    the name `*` pauses every loop sharing that store.
    """
    store, name = _switch_target(target, state)
    try:
        store.set_kill_switch(name, True, reason, by or _user())
    except ReconError as e:
        fail(f"kill switch NOT engaged for {name}: {e}")
    say(f"kill switch engaged for {name} in {store.path}")


@main.command()
@click.argument("target", metavar="LOOP")
@_state_opt
def resume(target: str, state: Path | None) -> None:
    """Release the kill switch of LOOP (a loop config, or a loop name with --state)."""
    store, name = _switch_target(target, state)
    try:
        store.set_kill_switch(name, False)
    except ReconError as e:
        fail(f"kill switch NOT released for {name}: {e}")
    say(f"kill switch released for {name} in {store.path}")


# schema -------------------------------------------------------------------------------------------

@main.command()
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


def _register_optional() -> None:
    """Commands that live with their layers (simulate, sweep, audit) register when present."""
    import importlib

    for mod in ("recon.cli.simulate", "recon.cli.sweep", "recon.cli.audit"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name is None or not mod.startswith(e.name):
                raise
            continue
        for cmd in getattr(m, "COMMANDS", ()):
            main.add_command(cmd)


_register_optional()

if __name__ == "__main__":
    main()
