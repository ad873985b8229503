"""The thin CLI: one shared plan-once, exit codes named once, the plan's policy built by the package.

In process and fast: the subprocess tests of each command are tests/test_cli_plan.py and friends.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

import recon.drivers.loop as driver_loop
from recon.core.model import Resource
from recon.core.policy import Convergence, Guards, Outcome, Verdict
from recon.core.report import ExitCode, acting
from recon.drivers.loop import Loop, plan_once
from recon.providers.memory import MemoryProvider
from recon.sources.callable import CallableSource
from recon.store.sqlite import StateStore

ROOT = Path(__file__).resolve().parent.parent


def _enforcing_loop(tmp_path: Path) -> tuple[Loop, MemoryProvider, StateStore]:
    world = MemoryProvider([Resource("A", "old", {"v": 1})])
    store = StateStore(tmp_path / "s.db")
    loop = Loop("x", CallableSource(lambda: [Resource("A", "new", {"v": 2})]), world, actuator=world, store=store)
    return loop, world, store


def test_plan_once_never_writes_nor_persists_and_leaves_the_loop_as_it_was(tmp_path: Path) -> None:
    loop, world, store = _enforcing_loop(tmp_path)
    result = plan_once(loop, 1000.0)
    assert (result.record.would_create, result.record.would_delete) == (1, 1)
    assert world.writes == 0 and set(world.snapshot()) == {("A", "old")}
    assert store.load_state("x").cycle == 0  # a plan is a view: the loop's state did not advance
    assert loop.actuator is world  # the caller's loop keeps its actuator


@pytest.mark.parametrize("where", ["recon/cli/plan.py", "recon/audit/record.py",
                                   "notebooks/explore/loop-console.py"])
def test_every_plan_goes_through_plan_once(where: str) -> None:
    text = (ROOT / where).read_text(encoding="utf-8")
    assert "plan_once(" in text
    assert "run_once(" not in text and "actuator = None" not in text


def test_recon_plan_calls_plan_once(monkeypatch: pytest.MonkeyPatch, examples: Path) -> None:
    calls: list[str] = []
    real = driver_loop.plan_once

    def spy(loop: Loop, now: float, *args: object) -> object:
        calls.append(loop.name)
        return real(loop, now, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(driver_loop, "plan_once", spy)
    monkeypatch.chdir(examples)
    from recon.cli import main

    r = CliRunner().invoke(main, ["plan", "--desired", "desired.yaml", "--observed", "observed.yaml"])
    assert r.exit_code == ExitCode.PENDING, r.output
    assert calls == ["plan"]


def test_the_cli_package_only_assembles() -> None:
    init = ROOT / "recon/cli/__init__.py"
    assert len(init.read_text(encoding="utf-8").splitlines()) < 100
    tree = ast.parse(init.read_text(encoding="utf-8"))
    commands = [d for d in ast.walk(tree) if isinstance(d, ast.FunctionDef)
                for dec in d.decorator_list if "command" in ast.unparse(dec)]
    assert commands == []  # every command lives in its group's module
    from recon.cli import main

    assert {"plan", "snapshot", "watch", "approvals", "approve", "deny", "pause", "resume", "schema"} <= set(main.commands)


def test_exit_codes_are_named_once() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [("IN_SYNC", 0), ("ERROR", 1), ("PENDING", 2), ("BLOCKED", 3),
                                                    ("INTERRUPTED", 130)]
    for path in (ROOT / "recon").rglob("*.py"):
        assert "EXIT_" not in path.read_text(encoding="utf-8"), path


def test_plan_options_build_the_loop_config_policy() -> None:
    from recon.cli.options import guard_settings
    from recon.config import loop_policy

    opts = {"max_deletes": 1, "max_delete_fraction": None, "max_changes": 5, "shrink_fraction": 0.0,
            "owner_id": "me", "protect": ("A/*",), "sync": "upsert-only", "disable": ("max_deletes",)}
    p = loop_policy(opts["sync"], opts["owner_id"], guard_settings(opts))
    g = Guards()
    assert p.convergence is Convergence.UPSERT_ONLY and p.owner_id == "me"
    assert p.guards.max_deletes == g.max_deletes.model_copy(update={"max": 1, "enabled": False})
    assert p.guards.max_changes.max == 5 and p.guards.desired_shrink.max_fraction == 0.0
    assert [(s.kind, s.name) for s in p.guards.protected.selectors] == [("A", "*")]
    assert p.guards.ownership == g.ownership and p.alerts == type(p.alerts)()
    assert loop_policy() == type(p)()  # no options: the default policy, as with a bare loop config


def test_acting_guards_are_the_tripped_ones_but_exclusions() -> None:
    vs = [Verdict(o.value, o, "") for o in Outcome]
    assert acting(vs) == [o.value for o in Outcome if o.tripped and o is not Outcome.EXCLUDE]
    assert acting(vs) == ["pause", "abort", "hold", "suppress_deletes", "defer"]
