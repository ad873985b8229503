"""The recorder: cycle rows and events while a simulation runs, tidy frames and the summary after.

It keeps counts per cycle (never the diff sets themselves), so recording costs the same for 100 or
100k resources. The summary's keys are a contract (issue 3, the sweep relies on them): converged,
time_to_converge, wrongful_deletes, outage_resource_seconds, drift_events, drift_dwell_mean,
drift_dwell_p95, approvals_requested, guard_trips, alerts, api_calls, seed, and a few more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from recon.core.record import CycleRecord
from recon.core.decision import Decision
from recon.core.guards import GUARD_ORDER
from recon.sim.world import World

CYCLE_COLUMNS = (
    "loop", "cycle", "time", "duration", "mode", "desired_count", "observed_count", "observation_complete",
    "to_create", "to_update", "to_delete", "unchanged", "applied_create", "applied_update", "applied_delete",
    "would_create", "would_update", "would_delete", "deferred", "blocked", "failed", "paused", "aborted",
    "guards_tripped", "approval_request", "alerts", "errors", "out_of_sync", "missing", "wrongful_deletes",
)
EPISODE_COLUMNS = ("kind", "name", "cause", "start", "detected", "end", "dwell")


def _r(x: float | None, nd: int = 6) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def alert_name(alert: str) -> str:
    """The alert's name (``delete_spike``) from its text (``delete_spike: plan wants 200 deletes ...``)."""
    return alert.partition(":")[0].strip() or alert


class Recorder:
    def __init__(self, clock: Callable[[], float], world: World) -> None:
        self.clock, self.world = clock, world
        self.rows: list[tuple[Any, ...]] = []
        self.events: list[dict[str, Any]] = []
        self.guard_trips: dict[str, int] = {g: 0 for g in GUARD_ORDER}
        self.alerts: dict[str, int] = {}

    def event(self, what: str, /, **fields: Any) -> None:
        self.events.append({"time": _r(self.clock()), "event": what, **fields})

    def cycle(self, r: CycleRecord, d: Decision) -> None:
        tripped = r.guards_tripped
        for v in r.verdicts:
            if v.outcome.tripped:
                self.guard_trips[v.guard] = self.guard_trips.get(v.guard, 0) + 1
                self.event("guard_trip", loop=r.loop, cycle=r.cycle, guard=v.guard, outcome=v.outcome.value,
                           reason=v.reason)
        for a in r.alerts:
            name = alert_name(a)
            self.alerts[name] = self.alerts.get(name, 0) + 1
            self.event("alert", loop=r.loop, cycle=r.cycle, alert=a, name=name)
        w = self.world
        self.rows.append((
            r.loop, r.cycle, r.time, r.duration, r.mode, r.desired_count, r.observed_count, r.observation_complete,
            r.to_create, r.to_update, r.to_delete, r.unchanged, r.applied_create, r.applied_update,
            r.applied_delete, r.would_create, r.would_update, r.would_delete, r.deferred, r.blocked, r.failed,
            r.paused, r.aborted, ";".join(tripped), r.approval_request or "", len(r.alerts), len(r.errors),
            len(w.bad), len(w.missing), w.wrongful_deletes,
        ))

    def cycles_frame(self) -> pd.DataFrame:
        df = pd.DataFrame.from_records(self.rows, columns=list(CYCLE_COLUMNS))
        return df.sort_values(["time", "loop"], kind="stable").reset_index(drop=True)

    def events_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.events) if self.events else pd.DataFrame(columns=["time", "event"])

    def episodes_frame(self) -> pd.DataFrame:
        rows = [(e.key[0], e.key[1], e.cause, e.start, e.detected, e.end,
                 None if e.end is None else e.end - e.start) for e in self.world.episodes()]
        return pd.DataFrame.from_records(rows, columns=list(EPISODE_COLUMNS))

    def summary(self, *, duration: float, seed: dict[str, Any], api_calls: dict[str, int], throttled: int,
                loops: list[str], pages: int, cycles: pd.DataFrame) -> dict[str, Any]:
        w = self.world
        w.advance()
        drift = [e for e in w.episodes() if e.cause.startswith("drift")]
        dwell = np.array([e.end - e.start for e in drift if e.end is not None], dtype=float)
        detect = np.array([e.detected - e.start for e in drift if e.detected is not None], dtype=float)
        names = [e["event"] for e in self.events]
        per_loop = {}
        for name in loops:
            sub = cycles[cycles["loop"] == name]
            per_loop[name] = {
                "cycles": int(len(sub)),
                "wrongful_deletes": int(w.wrongful_by_loop.get(name, 0)),
                "applied_create": int(sub["applied_create"].sum()),
                "applied_update": int(sub["applied_update"].sum()),
                "applied_delete": int(sub["applied_delete"].sum()),
                "paused_cycles": int(sub["paused"].sum()),
            }
        converged = not w.bad
        return {
            "scenario": None,
            "seed": seed["entropy"],
            "spawn_key": list(seed["spawn_key"]),
            "duration": _r(duration),
            "loops": loops,
            "cycles": int(len(cycles)),
            "converged": converged,
            "time_to_converge": _r(w.last_in_sync) if converged else None,
            "out_of_sync_at_end": len(w.bad),
            "wrongful_deletes": int(w.wrongful_deletes),
            "outage_resource_seconds": _r(w.outage_seconds, 3),
            "out_of_sync_resource_seconds": _r(w.bad_seconds, 3),
            "mean_out_of_sync": _r(w.bad_seconds / duration),
            "drift_events": int(w.drift_events),
            "drift_episodes": len(drift),
            "drift_unhealed": int(sum(1 for e in drift if e.end is None)),
            "drift_dwell_mean": _r(dwell.mean()) if dwell.size else None,
            "drift_dwell_p95": _r(np.percentile(dwell, 95)) if dwell.size else None,
            "drift_detected": int(detect.size),
            "detection_delay_mean": _r(detect.mean()) if detect.size else None,
            "approvals_requested": names.count("approval_requested"),
            "approvals_granted": names.count("approval_granted"),
            "approvals_denied": names.count("approval_denied"),
            "guard_trips": dict(self.guard_trips),
            "alerts": dict(sorted(self.alerts.items())),
            "pages": pages,
            "kill_switch_engaged": names.count("kill_switch_engaged"),
            "api_calls": int(sum(api_calls.values())),
            "api_calls_by_op": dict(api_calls),
            "throttled": throttled,
            "redundant_writes": int(w.redundant_writes),
            "applied": {op: int(cycles[f"applied_{op}"].sum()) for op in ("create", "update", "delete")},
            "per_loop": per_loop,
        }
