"""``recon snapshot`` and ``recon watch``: a loop's provider observed once into a file, or on an interval.

Both are observe-only: ``snapshot`` writes only its output file, ``watch`` runs the loop without its
actuator in ``recon.drivers.realtime.RealtimeDriver`` and prints one line per cycle.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import click

from recon.cli.console import esc, fail, out, say
from recon.core.errors import ReconError
from recon.core.policy import Outcome
from recon.core.record import CycleRecord, CycleResult
from recon.core.redact import redact
from recon.core.report import acting
from recon.core.text import plural


@click.command()
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
    observed_at = datetime.fromtimestamp(obs.observed_at or time.time(), timezone.utc).isoformat(timespec="seconds")
    try:
        dump_inventory(obs.resources.values(), out_path, observed_at)
    except OSError as e:
        fail(f"{out_path}: cannot write the snapshot: {e.strerror or e}")
    say(f"wrote {plural(len(obs), 'resource')} from {loop.observer.name} to {out_path}")


def cycle_line(r: CycleRecord) -> str:
    """One cycle of an observe-only loop as one line: console markup with user text escaped, except
    for a paused cycle's, which is plain text."""
    if r.paused:
        return f"cycle {r.cycle}: paused (kill switch)"
    if r.observed_count is None:
        return f"cycle {r.cycle}: [red]{esc(redact('; '.join(r.errors)) or 'observation failed')}[/]; no changes proposed"
    excluded = [v for v in r.verdicts if v.outcome is Outcome.EXCLUDE]
    line = (f"cycle {r.cycle}: desired {r.desired_count} observed {r.observed_count}; would create "
            f"{r.would_create} update {r.would_update} delete {r.would_delete}; "
            f"guards tripped: {esc(', '.join(acting(r.verdicts)) or 'none')}")
    if excluded:
        line += "; excluded: " + ", ".join(f"{len(v.keys)} by {esc(v.guard)}" for v in excluded)
    if r.errors:
        line += f"; [red]errors: {esc(redact('; '.join(r.errors)))}[/]"
    return line


@click.command()
@click.argument("loop_config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--interval", type=click.FloatRange(min=0.01), help="seconds between cycles (default from config, 60)")
@click.option("--jitter", type=click.FloatRange(0, 0.99), help="± fraction of the interval")
@click.option("--metrics-port", type=int, help="serve Prometheus metrics on 127.0.0.1:PORT")
@click.option("--max-cycles", type=click.IntRange(min=1), help="stop after N cycles (default: until SIGTERM)")
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path), help="JSONL event log")
@click.option("--history", "history_url", metavar="URL",
              help="history store each cycle is recorded in, as `recon audit` records runs (default: "
                   "$RECON_AUDIT_HISTORY, else SQLite .recon/audit-history.db beside LOOP.yaml)")
def watch(loop_config: Path, interval: float | None, jitter: float | None, metrics_port: int | None,
          max_cycles: int | None, events: Path | None, history_url: str | None) -> None:
    """Run the observe-only loop on an interval: diffs, verdicts and metrics, never a write. Each cycle's
    counts and the keys it found out of sync go to the history store, for `recon calibrate`."""
    from recon.audit.history import HistoryError, HistoryStore
    from recon.audit.record import cycle_entry
    from recon.config import build_loop, load_loop_config
    from recon.drivers.loop import observe_only
    from recon.drivers.realtime import RealtimeDriver
    from recon.drivers.schedule import Schedule
    from recon.drivers.spec import RealtimeSpec
    from recon.eventlog import EventLog, EventLogError
    from recon.metrics import LoopMetrics
    from recon.store import StoreBusy, StoreError

    try:
        cfg, base = load_loop_config(loop_config)
        # The log is checked before the loop's store is created: a bad one must leave nothing behind.
        log_path = EventLog.check(events or base / (cfg.events or f".recon/{cfg.name}.events.jsonl"))
        loop = observe_only(build_loop(cfg, base))
        log = EventLog(log_path)
        history = HistoryStore.for_config(history_url, base)
    except ReconError as e:
        fail(str(e))
    metrics = LoopMetrics()
    if metrics_port is not None:
        metrics.serve(metrics_port)
        say(f"metrics on http://127.0.0.1:{metrics_port}/metrics")
    no_desired: list[str] = []  # errors of the cycles that observed but could not load the desired state
    fatal: list[ReconError] = []
    failures: list[str | None] = []  # per counted cycle: why it failed, or None

    def show(r: CycleRecord) -> None:
        if r.paused:
            failures.append(None)
            say(cycle_line(r))
            return
        if r.observed_count is None:
            failures.append(r.errors[0] if r.errors else "observation failed")
        elif r.desired_count is None:
            no_desired.append(r.errors[0] if r.errors else "desired state not loaded")
            failures.append(no_desired[-1])
        else:
            failures.append(None)
        out.print(cycle_line(r))

    def keep(res: CycleResult) -> None:
        try:
            history.append(*cycle_entry(res))
        except HistoryError as e:  # the history is a record, not a guard: the cycle stands, the line says so
            out.print(f"cycle {res.record.cycle}: [red]{esc(redact(str(e)))}[/]")
        show(res.record)

    def show_error(e: Exception) -> None:
        if isinstance(e, (StoreError, EventLogError)) and not isinstance(e, StoreBusy):
            # A store it cannot read or trust (the kill switch, approvals) or a log it cannot write:
            # the loop stops rather than run on without them (fail closed). A lock held past the
            # timeout only fails this cycle: the store itself is sound.
            fatal.append(e)
            driver.stop()
            return
        failures.append(str(e))
        out.print(f"cycle {driver.cycles}: [red]{esc(redact(str(e)))}[/]; nothing done this cycle")

    schedule = Schedule(interval or cfg.interval, cfg.jitter if jitter is None else jitter)
    driver = RealtimeDriver(loop, RealtimeSpec(schedule, events=log, metrics=metrics,
                                               on_record=keep, on_error=show_error))
    try:
        loop.hold(driver.spec.lease_seconds())  # a second watch of this loop stops here, before any cycle
    except ReconError as e:
        history.close()
        fail(str(e))
    say(f"watching {cfg.name} (observe-only) every {schedule.interval:g}s; event log {log.path}")
    try:
        records = driver.run(max_cycles=max_cycles)
    finally:
        history.close()
    if fatal:
        fail(f"loop {cfg.name} stopped at cycle {driver.cycles}: {fatal[0]}")
    if driver.interrupted:
        say(f"stopped: cycle {driver.cycles + 1} was cut short by the stop signal and not counted")
    if driver.cycles and driver.failed == driver.cycles:
        last = driver.errors[-1] if driver.errors else (records[-1].errors[0] if records and records[-1].errors else "")
        fail(f"loop {cfg.name}: every one of {plural(driver.cycles, 'cycle')} failed to observe; last: {last}")
    if driver.cycles and driver.failed + len(no_desired) == driver.cycles:
        what = ("failed to load the desired state" if not driver.failed else
                f"failed: {len(no_desired)} could not load the desired state, {driver.failed} failed to observe")
        fail(f"loop {cfg.name}: every one of {plural(driver.cycles, 'cycle')} {what}; last: {no_desired[-1]}")
    if max_cycles is not None and driver.cycles == max_cycles and failures and failures[-1] is not None:
        # A bounded watch (a CI check, a cron job) whose last cycle failed must not report success.
        failed = sum(f is not None for f in failures)
        fail(f"loop {cfg.name}: the last cycle failed ({failed} of {plural(driver.cycles, 'cycle')} failed); "
             f"last: {redact(failures[-1])}")


COMMANDS = [snapshot, watch]
