"""What one cycle returns: a named result whose wake_at says when a backoff or approval lapses."""

from __future__ import annotations

from typing import Any

from recon.core.cycle import run_cycle
from recon.core.effects import Apply, CheckKillSwitch, Delete, Effect, GetApproval, LoadDesired, Observe, WriteResult
from recon.core.guards import GUARD_ORDER, GUARDS
from recon.core.model import DesiredState, Observation, Resource
from recon.core.policy import Guards, Policy, RunMode
from recon.core.record import CarriedApproval, CycleResult, LoopState
from recon.drivers.loop import drive


def res(n: int, prefix: str = "r") -> list[Resource]:
    return [Resource("A", f"{prefix}{i}", {"v": i}) for i in range(n)]


def answers(desired: list[Resource], observed: list[Resource], fail: str = "",
            approval: Any = None) -> Any:
    def handle(effect: Effect) -> Any:
        if isinstance(effect, CheckKillSwitch):
            return False
        if isinstance(effect, LoadDesired):
            return DesiredState.of(desired)
        if isinstance(effect, Observe):
            return Observation.of(observed)
        if isinstance(effect, GetApproval):
            return approval
        if isinstance(effect, (Apply, Delete)):
            return WriteResult(effect.change.key[1] != fail, "boom")
        return None
    return handle


def test_a_failed_write_asks_to_be_woken_when_its_backoff_lapses() -> None:
    policy = Policy(retry_base=5.0)
    result = drive(run_cycle("l", policy, LoopState(), 100.0, mode=RunMode.ENFORCE), answers(res(2), [], fail="r1"))
    assert isinstance(result, CycleResult)
    assert result.state.backoff[("A", "r1")] == (1, 105.0) and result.wake_at == 105.0
    assert result.record.applied_create == 1 and result.decision.batch
    calm = drive(run_cycle("l", policy, LoopState(), 100.0, mode=RunMode.ENFORCE), answers(res(2), []))
    assert calm.wake_at is None


def test_a_carried_approval_is_named_and_wakes_the_loop_when_it_expires() -> None:
    held = Policy(guards=Guards(max_deletes={"max": 1, "max_fraction": None}, max_changes={"max": 1}))
    state = LoopState(approval=CarriedApproval(frozenset({("A", "r1"), ("A", "r2")}), until=500.0, by="alice"))
    result = drive(run_cycle("l", held, state, 100.0, mode=RunMode.ENFORCE), answers(res(1), res(3)))
    assert result.record.approved_by == "alice" and result.record.applied_delete == 1
    assert result.state.approval.by == "alice" and result.wake_at == 500.0
    expired = drive(run_cycle("l", held, state, 600.0, mode=RunMode.ENFORCE), answers(res(1), res(3)))
    assert expired.record.applied_delete == 0 and expired.state.approval == CarriedApproval()


def test_guard_order_is_read_off_the_table() -> None:
    names = [g.name for g in GUARDS]
    assert names[0] == "observation_failed" and names[1] == "kill_switch"
    assert GUARD_ORDER == tuple(n for n in names if n in Guards.model_fields)
    assert set(GUARD_ORDER) == set(Guards.model_fields)
