"""Prometheus metrics for loops, named in the spirit of controller-runtime.

| metric | type | labels |
|---|---|---|
| recon_cycles_total | counter | loop, result (ok, paused, aborted, held, error) |
| recon_cycle_duration_seconds | histogram | loop |
| recon_diff_size | gauge | loop, op (create, update, delete, unchanged) |
| recon_changes_total | counter | loop, op, outcome (applied, would_apply, deferred, blocked, failed) |
| recon_guard_trips_total | counter | loop, guard, outcome |
| recon_observation_complete | gauge | loop |
| recon_desired_resources, recon_observed_resources | gauge | loop |
| recon_paused | gauge | loop |
| recon_delete_spike | gauge | loop (1 while the delete-spike alert is raised) |
| recon_pending_approvals | gauge | loop |
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from recon.core.record import CycleRecord


class LoopMetrics:
    """Metrics for one or more loops, in their own registry (no global state)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.cycles = Counter("recon_cycles_total", "Reconcile cycles by result", ["loop", "result"], registry=r)
        self.duration = Histogram("recon_cycle_duration_seconds", "Cycle duration", ["loop"], registry=r)
        self.diff = Gauge("recon_diff_size", "Size of each diff set in the last cycle", ["loop", "op"], registry=r)
        self.changes = Counter("recon_changes_total", "Changes by what became of them",
                               ["loop", "op", "outcome"], registry=r)
        self.trips = Counter("recon_guard_trips_total", "Guard verdicts other than allow",
                             ["loop", "guard", "outcome"], registry=r)
        self.complete = Gauge("recon_observation_complete", "1 if the last observation was complete", ["loop"], registry=r)
        self.desired = Gauge("recon_desired_resources", "Desired resources in the last cycle", ["loop"], registry=r)
        self.observed = Gauge("recon_observed_resources", "Observed resources in the last cycle", ["loop"], registry=r)
        self.paused = Gauge("recon_paused", "1 while the kill switch is engaged", ["loop"], registry=r)
        self.spike = Gauge("recon_delete_spike", "1 while the delete-spike alert is raised", ["loop"], registry=r)
        self.pending = Gauge("recon_pending_approvals", "Approval requests waiting for a human", ["loop"], registry=r)

    def observe(self, rec: CycleRecord) -> None:
        loop = rec.loop
        if rec.paused:
            result = "paused"
        elif rec.aborted:
            result = "aborted"
        elif rec.approval_request:
            result = "held"
        elif rec.errors:
            result = "error"
        else:
            result = "ok"
        self.cycles.labels(loop, result).inc()
        if rec.duration is not None:
            self.duration.labels(loop).observe(rec.duration)
        self.paused.labels(loop).set(1 if rec.paused else 0)
        if rec.paused:
            return
        for op, n in (("create", rec.to_create), ("update", rec.to_update), ("delete", rec.to_delete),
                      ("unchanged", rec.unchanged)):
            self.diff.labels(loop, op).set(n)
        for op, n in (("create", rec.applied_create), ("update", rec.applied_update), ("delete", rec.applied_delete)):
            if n:
                self.changes.labels(loop, op, "applied").inc(n)
        for op, n in (("create", rec.would_create), ("update", rec.would_update), ("delete", rec.would_delete)):
            if n:
                self.changes.labels(loop, op, "would_apply").inc(n)
        if rec.deferred:
            self.changes.labels(loop, "any", "deferred").inc(rec.deferred)
        if rec.blocked:
            self.changes.labels(loop, "any", "blocked").inc(rec.blocked)
        if rec.failed:
            self.changes.labels(loop, "any", "failed").inc(rec.failed)
        for v in rec.verdicts:
            if v.outcome.tripped:
                self.trips.labels(loop, v.guard, v.outcome.value).inc()
        if rec.observation_complete is not None:
            self.complete.labels(loop).set(1 if rec.observation_complete else 0)
        if rec.desired_count is not None:
            self.desired.labels(loop).set(rec.desired_count)
        if rec.observed_count is not None:
            self.observed.labels(loop).set(rec.observed_count)
        self.spike.labels(loop).set(1 if rec.alerts else 0)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)
