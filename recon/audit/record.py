"""One audit run: an observe-only plan of a loop, its verdicts and alerts, written as ``audit.json``.

``audit_loop`` is what the audit notebook calls. It loads a loop config, observes the provider
(never writes: the loop it builds has no actuator), decides, appends the run to the history store
and writes the result record. Every failure becomes a record with exit code 1 and the error,
so a scheduler always finds an ``audit.json``. Credentials stay where the provider reads them
(environment, files); nothing here reads or records them.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recon.audit.drift_keys import DriftKeys
from recon.audit.history import HistoryError, HistoryRun, HistoryStore
from recon.audit.trend import drift_streak
from recon.core.policy import Outcome
from recon.core.redact import redact_all
from recon.core.decision import Decision
from recon.core.report import ExitCode, decision_dict, exit_code
from recon.core.text import plural

STATUS = {ExitCode.IN_SYNC: "in sync", ExitCode.ERROR: "error", ExitCode.PENDING: "changes pending",
          ExitCode.BLOCKED: "blocked"}
RECORD_NAME = "audit.json"
CLOCK_ENV = "RECON_AUDIT_NOW"  # for tests only: the audit's clock, epoch seconds, so a test can space audits an hour apart


@dataclass(frozen=True)
class Thresholds:
    """When an audit raises an alert. ``None`` turns one off."""

    deletes: int | None = 10      # the plan wants at least this many deletes
    changes: int | None = 50      # at least this many changes are pending
    drift_runs: int | None = 3    # drift found in at least this many runs in a row


@dataclass(frozen=True)
class AuditResult:
    """What one audit found: the record written to ``audit.json`` and the runs of the history."""

    data: dict[str, Any]
    path: Path
    runs: tuple[HistoryRun, ...] = ()
    decision: Decision | None = field(default=None, repr=False)

    @property
    def exit_code(self) -> int:
        return int(self.data["exit_code"])


def audit_clock() -> float:
    """Now, or the time ``RECON_AUDIT_NOW`` gives (tests build hourly histories in seconds with it)."""
    raw = os.environ.get(CLOCK_ENV, "").strip()
    if not raw:
        return time.time()
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{CLOCK_ENV}={raw!r}: give epoch seconds") from None


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def _plan_part(decision: Decision, record: Any) -> dict[str, Any]:
    part = decision_dict(decision, record)
    del part["exit_code"], part["alerts"]  # the audit adds its own alerts and exit code
    return part


def _alerts(decision: Decision | None, counts: dict[str, int], streak: int, t: Thresholds) -> list[str]:
    out = list(decision.alerts) if decision else []
    if t.deletes is not None and counts["delete"] >= t.deletes:
        out.append(f"deletes: the loop would make {plural(counts['delete'], 'delete')} (threshold {t.deletes})")
    total = sum(counts.values())
    if t.changes is not None and total >= t.changes:
        out.append(f"changes: {plural(total, 'change')} pending (threshold {t.changes})")
    if t.drift_runs is not None and streak >= t.drift_runs:
        out.append(f"drift_runs: drift found in {plural(streak, 'run')} in a row (threshold {t.drift_runs})")
    return out


def audit_loop(loop_config: str | Path, out_dir: str | Path, history_url: str | None = None,
               thresholds: Thresholds = Thresholds()) -> AuditResult:
    """Audit the loop *loop_config* describes, append the run to the history, write ``audit.json``."""
    from recon.config import build_loop, load_loop_config
    from recon.drivers.loop import plan_once

    started = audit_clock()
    config = Path(loop_config).resolve()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"loop": config.stem, "config": str(config), "provider": None, "observer": None,
                            "mode": "observe-only", "started_at": _iso(started)}
    decision = None
    base = config.parent
    try:
        cfg, base = load_loop_config(config)
        data["loop"], data["provider"] = cfg.name, cfg.provider.type
        loop = build_loop(cfg, base)
        data["observer"] = loop.observer.name
        desired = loop.source.load()
        observation = loop.observer.observe()
        result = plan_once(loop, started, desired, observation)  # an audit never writes, whatever the mode
        record, decision = result.record, result.decision
        data.update(_plan_part(decision, record))
        data["exit_code"], data["error"] = exit_code(decision), None
    except Exception as e:  # any failure of config, source or provider is a failed audit, exit 1
        data.update({"exit_code": ExitCode.ERROR, "error": str(e) or type(e).__name__, "changes": [], "guards": [],
                     "counts": {"create": 0, "update": 0, "delete": 0},
                     "pending": {"create": 0, "update": 0, "delete": 0}, "unchanged": 0})
    data = redact_all(data)  # type: ignore[assignment]  # before it reaches the history, audit.json or the notebook
    data["status"] = STATUS[data["exit_code"]]
    data["thresholds"] = {"deletes": thresholds.deletes, "changes": thresholds.changes,
                          "drift_runs": thresholds.drift_runs}
    runs: tuple[HistoryRun, ...] = ()
    finished = max(audit_clock(), started)
    data["finished_at"] = _iso(finished)
    try:
        history = HistoryStore.for_config(history_url, base)
        try:
            before = history.runs(data["loop"])
            counts = data["pending"]  # what the loop would do; excluded changes are not its to make
            if data["exit_code"] == ExitCode.ERROR:
                streak = drift_streak(before)  # a failed run neither extends nor breaks a streak
            else:
                streak = drift_streak(before) + 1 if data["exit_code"] != ExitCode.IN_SYNC else 0
            data["alerts"] = _alerts(decision, counts, streak, thresholds)
            run_id = history.append(_history_row(data, started, finished), _drift_keys(data, started))
            runs = tuple(history.runs(data["loop"]))
            data["history"] = {"store": history.name, "run": run_id, "runs": len(runs), "drift_streak": streak}
        finally:
            history.close()
    except HistoryError as e:
        data.setdefault("alerts", [])
        data["history"] = {"store": None, "error": str(e)}
        data["error"] = "; ".join(x for x in (data.get("error"), str(e)) if x)
        data["exit_code"], data["status"] = ExitCode.ERROR, STATUS[ExitCode.ERROR]
    data["trend"] = [r.to_dict() for r in runs[-50:]]
    path = out / RECORD_NAME
    path.write_text(json.dumps(redact_all(data), indent=1, default=str) + "\n", encoding="utf-8")
    return AuditResult(data, path, runs, decision)


def _drift_keys(data: dict[str, Any], started: float) -> DriftKeys | None:
    """The keys this audit found out of sync, for the history; none when it did not observe."""
    if data["exit_code"] == ExitCode.ERROR or not (data.get("observation") or {}).get("complete"):
        return None  # an incomplete observation would read as a wave of hand deletes
    desired = data.get("desired") or {}
    return DriftKeys.from_changes(started, data["changes"], desired.get("count"), desired.get("version"))


def _history_row(data: dict[str, Any], started: float, finished: float) -> dict[str, Any]:
    c = data["pending"]
    obs = data.get("observation") or {}
    return {
        "loop": data["loop"], "started_at": started, "finished_at": finished, "exit_code": data["exit_code"],
        "status": data["status"], "creates": c["create"], "updates": c["update"], "deletes": c["delete"],
        "unchanged": data["unchanged"], "desired_count": (data.get("desired") or {}).get("count"),
        "observed_count": obs.get("count"), "observation_complete": obs.get("complete"),
        "guards_tripped": [g["name"] for g in data["guards"] if Outcome(g["outcome"]).tripped],
        "alerts": data["alerts"], "error": data["error"],
    }


def cycle_entry(result: Any) -> tuple[dict[str, Any], DriftKeys | None]:
    """The history row and key sets of one ``recon watch`` cycle (a ``CycleResult``), as an audit writes them."""
    r = result.record
    data: dict[str, Any] = redact_all({**decision_dict(result.decision, r), "error": "; ".join(r.errors) or None})  # type: ignore[assignment]
    data.update(loop=r.loop, status=STATUS[data["exit_code"]], alerts=list(data["alerts"]))
    return _history_row(data, r.time, r.time + (r.duration or 0.0)), _drift_keys(data, r.time)
