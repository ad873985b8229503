"""Two processes running one loop on one state store (issue 13 item 2, hostile review): the second
must not run, or the delete window across cycles counts only one of them.

Each loop holds the loop's lease from loading its state to saving it, and every save is a
compare-and-set on the cycle it loaded; a second ``recon watch`` of the same loop refuses to start.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recon.approvers import DenyAll
from recon.core.errors import ReconError
from recon.core.model import Resource
from recon.core.policy import Guards, Policy
from recon.core.record import LoopState
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.sources.callable import CallableSource
from recon.store import LeaseHeld, LeaseLost, StateConflict, StateStore
from tests.test_store_failclosed import RECON, assert_one_line_error, recon, write_loop

SCOPE, LOSS, WINDOW_MAX = 120, 9, 20


def res(i: int) -> Resource:
    return Resource("A", f"r{i:03}", {"ttl": 300})


class Counting(MemoryProvider):
    """The world both loops act on; it counts every delete (all unapproved: the approver denies all)."""

    deletes = 0

    def delete(self, resource: Resource) -> None:
        Counting.deletes += 1
        super().delete(resource)


def policy() -> Policy:
    return Policy(guards=Guards.model_validate({
        "desired_shrink": {"max_fraction": 0.3}, "empty_desired": True,
        "max_deletes": {"max": 10, "action": "hold", "window": 3600, "window_max": WINDOW_MAX}}))


def test_two_loops_interleaving_cycles_never_pass_more_than_window_max(tmp_path: Path) -> None:
    """Loop B's whole cycle runs while loop A is inside its own (between loading and saving), each
    through its own store handle: without a lease A's save overwrites B's and the window forgets B's
    deletes. Each source call loses LOSS more resources, so every cycle has fresh deletes to make,
    each under the per-cycle cap."""
    Counting.deletes = 0
    world = Counting([res(i) for i in range(SCOPE)])
    refused: list[str] = []
    calls = [0]

    def shrinking() -> list[Resource]:
        calls[0] += 1
        return [res(i) for i in range(LOSS * calls[0], SCOPE)]

    b = Loop("slow", CallableSource(shrinking, "b"), world, policy(), actuator=world, approver=DenyAll(),
             store=StateStore(tmp_path / "s.db"))
    now = [0.0]

    def a_desired() -> list[Resource]:
        try:
            run_once(b, now[0])  # the second process's cycle, inside the first's
        except ReconError as e:
            refused.append(str(e))
        return shrinking()

    a = Loop("slow", CallableSource(a_desired, "a"), world, policy(), actuator=world, approver=DenyAll(),
             store=StateStore(tmp_path / "s.db"))
    for c in range(12):  # 12 one-minute cycles: all inside one 3600 s window
        now[0] = c * 60.0
        run_once(a, now[0])
    assert Counting.deletes <= WINDOW_MAX, f"{Counting.deletes} unapproved deletes in one window"
    assert Counting.deletes > 0
    assert len(refused) == 12 and "loop 'slow' is already run by pid" in refused[0], refused[:1]
    assert str(tmp_path / "s.db") in refused[0]
    assert StateStore(tmp_path / "s.db").current_lease("slow") is None, "a cycle's own lease is given back"


def test_a_save_from_a_stale_load_is_refused_and_saves_nothing(tmp_path: Path) -> None:
    one, two = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    one.save_state("x", LoopState(cycle=1), expect=0)
    loaded = two.load_state("x")
    one.save_state("x", LoopState(cycle=2, last_accepted_desired=5), expect=1)
    with pytest.raises(StateConflict, match=r"s\.db: loop 'x': the saved state is at cycle 2, not cycle 1"):
        two.save_state("x", LoopState(cycle=loaded.cycle + 1, last_accepted_desired=9), expect=loaded.cycle)
    assert one.load_state("x") == LoopState(cycle=2, last_accepted_desired=5)
    with pytest.raises(StateConflict, match="the saved state is at cycle 2, not cycle 0"):
        two.save_state("x", LoopState(cycle=1), expect=0)  # "no state yet" no longer holds either


def test_a_lease_expires_after_its_ttl_and_its_old_holder_then_stops(tmp_path: Path) -> None:
    one, two = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    first = one.acquire_lease("x", 30.0, now=1000.0)
    with pytest.raises(LeaseHeld, match=r"already run by pid \d+ on .*; its lease expires at 1970-01-01 00:17:10 UTC"):
        two.acquire_lease("x", 30.0, now=1029.0)
    second = two.acquire_lease("x", 30.0, now=1030.0)  # the first holder crashed: its lease lapsed
    with pytest.raises(LeaseLost, match="lease expired and was taken by pid"):
        one.renew_lease(first, 30.0, now=1031.0)
    one.release_lease(first)  # releasing a lease one no longer holds leaves the holder's alone
    assert two.current_lease("x") == second


def test_migration_4_gives_a_version_3_store_the_lease_table(tmp_path: Path) -> None:
    from recon.store.schema import MIGRATIONS, SCHEMA

    db = sqlite3.connect(tmp_path / "old.db")
    db.executescript(SCHEMA)
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 3")
    db.execute("INSERT INTO loop_state (loop, cycle, own_deletes_last, backoff) VALUES ('x', 4, 0, '[]')")
    db.commit()
    db.close()
    store = StateStore(tmp_path / "old.db")
    assert sqlite3.connect(tmp_path / "old.db").execute("PRAGMA user_version").fetchone()[0] == 4
    assert store.current_lease("x") is None and store.load_state("x").cycle == 4
    assert store.acquire_lease("x", 30.0).loop == "x"


def _wait_for_a_cycle(store: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            try:
                if sqlite3.connect(store).execute("SELECT COUNT(*) FROM loop_state").fetchone()[0]:
                    return
            except sqlite3.Error:
                pass
        time.sleep(0.1)
    raise AssertionError("the first watch never saved a cycle")


@pytest.mark.timeout(180)
def test_a_second_watch_of_the_same_loop_refuses_to_start_and_plan_still_works(tmp_path: Path) -> None:
    cfg = write_loop(tmp_path)
    store = tmp_path / ".recon" / "fc.db"
    first = subprocess.Popen([*RECON, "watch", str(cfg), "--interval", "0.2"], text=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_a_cycle(store, first)
        second = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01")
        assert_one_line_error(second, store)
        assert f"loop 'fc' is already run by pid {first.pid}" in second.stderr, second.stderr
        assert "lease expires at" in second.stderr
        plan = recon("plan", cfg)  # a plan is a view: it takes no lease and saves no state
        assert plan.returncode == 3 and "a guard blocks or holds changes" in plan.stdout, (plan.stdout, plan.stderr)
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert sqlite3.connect(store).execute("SELECT COUNT(*) FROM loop_lease").fetchone()[0] == 0, \
        "a watch that stopped cleanly gives its lease back"
    assert recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01").returncode == 0
