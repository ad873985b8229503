"""The real-time driver, observe-only by construction, event log and Prometheus metrics."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from recon.approvers import ApproveAll
from recon.core.cycle import run_cycle
from recon.core.effects import Apply
from recon.core.errors import ObserveOnlyViolation
from recon.core.model import DesiredState, Resource
from recon.core.plan import Change, Op
from recon.core.policy import Policy, RunMode
from recon.core.record import LoopState
from recon.drivers.loop import Loop, handler_for, run_once
from recon.drivers.realtime import RealtimeDriver
from recon.drivers.schedule import Schedule
from recon.drivers.spec import RealtimeSpec
from recon.eventlog import EventLog
from recon.metrics import LoopMetrics
from recon.providers import Actuator, Observer
from recon.providers.memory import MemoryProvider
from recon.providers.snapshot import SnapshotObserver
from recon.sources import CallableSource
from recon.store import StateStore


def res(n: int, prefix: str = "r") -> list[Resource]:
    return [Resource("A", f"{prefix}{i}", {"v": i}) for i in range(n)]


def test_enforce_loop_converges_and_observe_only_never_writes() -> None:
    world = MemoryProvider(res(3) + res(2, "old"))
    desired = CallableSource(lambda: res(5))
    shadow = Loop("shadow", desired, world)
    rec = run_once(shadow, 0.0).record
    assert world.writes == 0 and (rec.would_create, rec.would_delete) == (2, 2)
    loop = Loop("dns", desired, world, actuator=world)
    rec = run_once(loop, 0.0).record
    assert (rec.applied_create, rec.applied_delete) == (2, 2) and world.writes == 4
    rec = run_once(loop, 60.0).record
    assert rec.to_create == rec.to_update == rec.to_delete == 0


def test_the_interpreter_of_an_observe_only_loop_has_nothing_to_write_through() -> None:
    loop = Loop("x", CallableSource(lambda: []), SnapshotObserver(Path("unused.yaml")))
    r = Resource("A", "a")
    with pytest.raises(ObserveOnlyViolation):
        handler_for(loop, 0.0)(Apply(Change(Op.CREATE, r.key, r, None)))
    assert isinstance(SnapshotObserver(Path("x")), Observer) and not isinstance(SnapshotObserver(Path("x")), Actuator)


def test_the_core_yields_no_write_in_observe_only_mode() -> None:
    gen = run_cycle("x", Policy(), LoopState(), 0.0, mode=RunMode.OBSERVE_ONLY)
    effects = [type(next(gen)).__name__]
    answers = {"CheckKillSwitch": False, "LoadDesired": DesiredState.of(res(3)),
               "Observe": MemoryProvider(res(2, "z")).observe(), "GetApproval": None, "FileApprovalRequest": None}
    try:
        while True:
            effects.append(type(gen.send(answers[effects[-1]])).__name__)
    except StopIteration as stop:
        record = stop.value.record
    assert "Apply" not in effects and "Delete" not in effects
    assert (record.would_create, record.would_delete) == (3, 2)


def test_per_resource_errors_do_not_abort_and_back_off() -> None:
    class Flaky(MemoryProvider):
        def apply(self, resource: Resource) -> None:
            if resource.name == "r1":
                raise RuntimeError("409 conflict")
            super().apply(resource)

    world = Flaky()
    loop = Loop("x", CallableSource(lambda: res(3)), world, Policy(retry_base=100), actuator=world)
    result = run_once(loop, 0.0)
    rec, state = result.record, result.state
    assert rec.applied_create == 2 and rec.failed == 1 and "409 conflict" in rec.errors[0]
    assert state.backoff[("A", "r1")] == (1, 100.0)
    result = run_once(loop, 50.0)
    rec, d = result.record, result.decision
    assert rec.applied_create == 0 and d.deferred and "backoff" in d.deferred[0].reason
    result = run_once(loop, 100.0)
    rec, state = result.record, result.state
    assert rec.failed == 1 and state.backoff[("A", "r1")] == (2, 300.0)


def test_approval_carries_over_to_the_rest_of_its_set_under_the_cap() -> None:
    world = MemoryProvider(res(30))
    policy = Policy.model_validate({"guards": {"max_deletes": {"max": 3}, "max_changes": {"max": 10}}})
    loop = Loop("x", CallableSource(lambda: res(2)), world, policy, actuator=world, approver=ApproveAll())
    rec = run_once(loop, 0.0).record
    assert rec.approval_request and rec.applied_delete == 0
    deleted = [run_once(loop, t).record.applied_delete for t in (60.0, 120.0, 180.0)]
    assert deleted == [10, 10, 8] and len(world) == 2


def test_realtime_driver_runs_cycles_logs_and_exports_metrics(tmp_path: Path) -> None:
    world = MemoryProvider(res(3))
    metrics = LoopMetrics()
    loop = Loop("dns", CallableSource(lambda: res(4)), world, store=StateStore(tmp_path / "s.db"))
    driver = RealtimeDriver(loop, RealtimeSpec(Schedule(interval=0.01, jitter=0.5), rng=random.Random(1),
                                               events=EventLog(tmp_path / "e.jsonl"), metrics=metrics))
    records = driver.run(max_cycles=3, install_signals=False)
    assert [r.cycle for r in records] == [1, 2, 3] and all(r.duration is not None for r in records)
    lines = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and lines[0]["would_create"] == 1 and lines[0]["guards_tripped"] == []
    text = generate_latest(metrics.registry).decode()
    assert 'recon_cycles_total{loop="dns",result="ok"} 3.0' in text
    assert 'recon_diff_size{loop="dns",op="create"} 1.0' in text
    assert StateStore(tmp_path / "s.db").load_state("dns").cycle == 3
    assert all(0.005 <= driver.spec.schedule.next_delay(driver.spec.rng) <= 0.015 for _ in range(100))


def test_watch_stops_cleanly_on_sigterm_and_serves_metrics(tmp_path: Path, examples: Path) -> None:
    import shutil
    import socket

    shutil.copytree(examples, tmp_path / "ex")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([sys.executable, "-m", "recon", "watch", str(tmp_path / "ex" / "loop-snapshot.yaml"),
                          "--interval", "0.2", "--metrics-port", str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = ""
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read().decode()
                if "recon_cycles_total{" in body:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        assert 'recon_diff_size{loop="example-dns",op="delete"} 2.0' in body
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert "cycle 1:" in out and "would create 1 update 1 delete 1; guards tripped: none; excluded: 1 by ownership" in out
    events = (tmp_path / "ex" / ".recon" / "example-dns.events.jsonl").read_text().splitlines()
    assert len(events) >= 1


def test_paused_loop_records_pause_in_metrics() -> None:
    metrics = LoopMetrics()
    world = MemoryProvider(res(1))
    loop = Loop("p", CallableSource(lambda: []), world, actuator=world, kill_switch=lambda: True)
    rec = run_once(loop, 0.0).record
    metrics.observe(rec)
    assert rec.paused and world.writes == 0
    assert 'recon_paused{loop="p"} 1.0' in generate_latest(metrics.registry).decode()


def test_watch_survives_a_locked_state_store_and_keeps_bounded_history(tmp_path: Path) -> None:
    from recon.core.errors import ReconError

    class Flaky(StateStore):
        calls = 0

        def load_state(self, loop: str):  # type: ignore[no-untyped-def]
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise ReconError(f"{self.path}: state store error: database is locked")
            return super().load_state(loop)

    errors: list[str] = []
    world = MemoryProvider(res(2))
    loop = Loop("w", CallableSource(lambda: res(2)), world, store=Flaky(tmp_path / "s.db"))
    driver = RealtimeDriver(loop, RealtimeSpec(Schedule(interval=0.001, jitter=0), keep=3,
                                               on_error=lambda e: errors.append(str(e))))
    records = driver.run(max_cycles=6, install_signals=False)
    assert driver.cycles == 6 and driver.failed == 1 and "database is locked" in errors[0]
    assert len(records) == 3 and records[-1].cycle == 5, "five cycles ran; only the last three are kept"


def test_pending_count_counts_unanswered_requests(tmp_path: Path) -> None:
    from recon.core.approval import ApprovalRequest

    s = StateStore(tmp_path / "s.db")
    a = ApprovalRequest.make("dns", [("A", "x")], "max_deletes", "r", 0)
    b = ApprovalRequest.make("dns", [("A", "y")], "max_deletes", "r", 0)
    s.file_request(a)
    s.file_request(b)
    s.file_request(ApprovalRequest.make("other", [("A", "x")], "max_deletes", "r", 0))
    assert s.pending_count("dns") == 2
    s.decide(a.id, True, "alice")
    assert s.pending_count("dns") == 1


def test_a_normaliser_learned_while_observing_applies_from_the_first_cycle() -> None:
    from recon.core.normalize import Normalizer

    class LearnsItsZone(MemoryProvider):
        normalizer = None

        def observe(self):  # type: ignore[no-untyped-def]
            # Like Route53: the zone's origin (and so the canonical form of names) is known only now.
            self.normalizer = Normalizer(hooks={"CNAME": lambda s: {**s, "values": tuple(
                v if v.endswith(".") else v + ".example.test." for v in s["values"])}})
            return super().observe()

    world = LearnsItsZone([Resource("CNAME", "docs", {"values": ["web.example.test."]})])
    loop = Loop("z", CallableSource(lambda: [Resource("CNAME", "docs", {"values": ["web"]})]), world)
    rec = run_once(loop, 0.0).record
    assert rec.to_update == 0 and rec.unchanged == 1


def test_one_schedule_validates_and_draws_only_when_jittered() -> None:
    with pytest.raises(ValueError, match="interval"):
        Schedule(0.0)
    with pytest.raises(ValueError, match="jitter"):
        Schedule(10.0, jitter=1.0)
    with pytest.raises(ValueError, match="rng"):
        Schedule(10.0, jitter=0.2).next_delay(None)

    class Counting(random.Random):
        draws = 0

        def uniform(self, a: float, b: float) -> float:
            Counting.draws += 1
            return super().uniform(a, b)

    rng = Counting(3)
    assert Schedule(10.0).next_delay(rng) == 10.0 and Counting.draws == 0
    assert 8.0 <= Schedule(10.0, jitter=0.2).next_delay(rng) <= 12.0 and Counting.draws == 1
