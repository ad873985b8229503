"""Hand-written mutants of recon's guards, and the check that the engine state machines catch each one.

Each mutant is an exact text replacement in one source file. ``check`` copies the package and the
state machine into a temporary folder, applies one mutant at a time, and runs the machines named for
it in a subprocess with a fixed Hypothesis seed and a bounded number of examples. A mutant whose
target text is not found exactly once is an error, so the table cannot rot silently; an unmutated
copy must pass first, so a broken copy cannot pass for a caught mutant.

Run ``scripts/mutation-check`` (or ``python -m tests.core.mutation_check``) for the report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MACHINES = "tests/core/test_engine_state_machine.py"
COPIED = ("tests/__init__.py", "tests/core/__init__.py", "tests/core/engine_model.py", MACHINES)
# Small enough to keep the whole check near two minutes on two busy cores, large enough to catch all.
EXAMPLES, STEPS = 100, 50


@dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    path: str            # relative to the repository root
    old: str             # must occur exactly once
    new: str
    machines: tuple[str, ...]  # the machine classes (or story tests) in MACHINES that must catch it


CYCLE, DECISION, GUARDS = "recon/core/cycle.py", "recon/core/decision.py", "recon/core/guards.py"
APPROVAL, RECORD, BASELINE = "recon/core/approval.py", "recon/core/record.py", "recon/core/baseline.py"
# The approval stories replay a fixed carry-and-expire sequence, so these mutants do not depend on
# the search alone (the machines alone caught each of them too when this table was written).
APPROVALS = ("test_a_carried_approval_never_covers_a_new_set", "test_a_carried_approval_expires",
             "TestEngineOnly_max_deletes", "TestEngineOnly_desired_shrink", "TestEngineAllGuards")


def alone(guard: str) -> tuple[str, ...]:
    return (f"TestEngineOnly_{guard}", "TestEngineAllGuards")


# A fixed story per window, as for approvals: half a window apart, so the memory must last that long.
WINDOW_STORIES = {"max_deletes": "test_a_delete_window_still_counts_deletes_half_a_window_old_after_a_restart",
                  "desired_shrink": "test_a_shrink_window_measures_from_the_largest_state_it_holds"}


def windowed(*guards: str) -> tuple[str, ...]:
    """The window stories and machines (each cycle restarts through a state store) for *guards*' windows."""
    return (*(WINDOW_STORIES[g] for g in guards), *(f"TestEngineWindows_{g}" for g in guards), "TestEngineWindows_all")


ROWS = "recon/store/rows.py"


# Each mutant targets the one place that owns the behaviour: a guard's rule in guards.py, how decide()
# enacts an outcome in decision.py, what run_cycle remembers or performs in cycle.py, what a carried
# approval covers in record.py.
MUTANTS: tuple[Mutant, ...] = (
    Mutant("shrink baseline ratchets down on a held shrink", CYCLE,
           "len(desired) if desired is not None and decision.accept_desired",
           "len(desired) if desired is not None", alone("desired_shrink")),
    Mutant("shrink guard reads the observed count as its baseline", GUARDS,
           "last = ctx.last_accepted_desired", "last = ctx.count_baseline.count", alone("desired_shrink")),
    Mutant("approval expiry ignored on lookup", APPROVAL,
           "self.digest == digest and now < self.expires_at", "self.digest == digest", APPROVALS),
    # Dropping only the `now < self.until` test of CarriedApproval.covers is an equivalent mutant for
    # safety: the approval it stands in for expires at the same time and approved_by() checks that
    # again. This one makes the carry outlive the approval it carries.
    Mutant("carried approval outlives its expiry", CYCLE,
           "carried = CarriedApproval(keys, approval.expires_at, approval.by)",
           "carried = CarriedApproval(keys, approval.expires_at + policy.approval_ttl, approval.by)", APPROVALS),
    Mutant("carried approval covers any key set", RECORD,
           "return keys <= self.keys and now < self.until", "return True and now < self.until", APPROVALS),
    Mutant("failed load treated as empty", CYCLE,
           "if policy.guards.desired_error.enabled:", "if False:", alone("desired_error")),
    Mutant("empty desired state not refused", GUARDS,
           "if ctx.desired_count == 0 and ctx.observed_count > 0:",
           "if False and ctx.desired_count == 0 and ctx.observed_count > 0:", alone("empty_desired")),
    Mutant("ownership no longer excludes updates", GUARDS,
           "unowned = {c.key for c in plan.deletes + plan.updates if",
           "unowned = {c.key for c in plan.deletes if", alone("ownership")),
    Mutant("ownership no longer excludes deletes", GUARDS,
           "unowned = {c.key for c in plan.deletes + plan.updates if",
           "unowned = {c.key for c in plan.updates if", alone("ownership")),
    Mutant("protected no longer excludes updates", GUARDS,
           "hit = {c.key for c in plan.changes if", "hit = {c.key for c in plan.creates + plan.deletes if",
           alone("protected")),
    Mutant("protected no longer excludes deletes", GUARDS,
           "hit = {c.key for c in plan.changes if", "hit = {c.key for c in plan.creates + plan.updates if",
           alone("protected")),
    Mutant("max_deletes cap off by one", GUARDS,
           "if md.max is not None and n > md.max else []", "if md.max is not None and n > md.max + 1 else []",
           alone("max_deletes")),
    Mutant("max_deletes cap ignored", GUARDS,
           "if md.max is not None and n > md.max else []", "if False else []", alone("max_deletes")),
    Mutant("observe-only writes", CYCLE,
           "    if mode is RunMode.ENFORCE:\n        yield from writes.converge(",
           "    if True:\n        yield from writes.converge(", ("TestEngineAllGuards",)),
    Mutant("incomplete observation still deletes", DECISION,
           "    if suppress:\n        blocked +=", "    if False:\n        blocked +=",
           alone("incomplete_observation")),
    Mutant("observation flagged incomplete is trusted", GUARDS,
           'Outcome.SUPPRESS_DELETES,\n                       f"provider flagged',
           'Outcome.ALLOW,\n                       f"provider flagged', alone("incomplete_observation")),
    Mutant("unexplained count drop ignored", GUARDS,
           "drop / last > g.max_drop_fraction:", "drop / last > 1.0:", alone("incomplete_observation")),
    # The count baseline (baseline.py): a cut list must not become it, and a confirmed fall must clear.
    Mutant("count baseline ratchets down on a tripped observation", BASELINE,
           "CountBaseline(expected, high, self.seen + 1))", "CountBaseline(observed))",
           alone("incomplete_observation")),
    Mutant("count baseline never confirms a fall", BASELINE,
           "if self.seen + 1 >= confirm_cycles:", "if False:", alone("incomplete_observation")),
    Mutant("count baseline forgets its run on a cycle that observed nothing", CYCLE,
           "count_baseline=state.count_baseline, own_deletes_last=state.own_deletes_last)",
           "own_deletes_last=state.own_deletes_last)", alone("incomplete_observation")),
    # Skipping run_cycle's early stop is equivalent: decide() meets the same kill_switch verdict again
    # after the reads. The mutant is in the guard, so no stop happens anywhere.
    Mutant("kill switch ignored", GUARDS,
           "if ctx.switch_engaged:\n        return Verdict(\"kill_switch\", Outcome.PAUSE",
           "if False:\n        return Verdict(\"kill_switch\", Outcome.PAUSE", alone("kill_switch")),
    Mutant("max_changes cap ignored", GUARDS,
           "if n <= mc.max:", "if True:", alone("max_changes")),
    # The windows across cycles (issue 13): the budget, the memory behind it, and its trip through the store.
    Mutant("delete window ignored", GUARDS,
           "if n and used + n > md.window_max:", "if False:", windowed("max_deletes")),
    Mutant("delete window off by one", GUARDS,
           "if n and used + n > md.window_max:", "if n and used + n > md.window_max + 1:", windowed("max_deletes")),
    Mutant("delete window never records unapproved deletes", GUARDS,
           "0 if approved else deleted", "0", windowed("max_deletes")),
    Mutant("windows forget entries at half their length", BASELINE,
           "if now - e[0] < seconds))", "if now - e[0] < seconds / 2))", windowed("max_deletes", "desired_shrink")),
    Mutant("delete window lost on restart", ROWS,
           'Windows(window(row[10], "delete_window"),', "Windows(Window(),", windowed("max_deletes")),
    Mutant("shrink window ignored", GUARDS,
           "peak = ctx.windows.desired.largest(ctx.now, g.window) if g.window is not None else None",
           "peak = None", windowed("desired_shrink")),
    Mutant("shrink window keeps the smaller counts", BASELINE,
           "if e[1] > count)", "if e[1] < count)", windowed("desired_shrink")),
    Mutant("shrink window restarts on every accepted count", GUARDS,
           "desired = Window(((now, accepted),)) if approved else", "desired = Window(((now, accepted),)) if True else",
           windowed("desired_shrink")),
    Mutant("shrink window lost on restart", ROWS,
           'window(row[11], "desired_window"))', "Window())", windowed("desired_shrink")),
)


class MutantRotted(Exception):
    """A mutant's target text is gone: re-target the table after the source changed."""


class NoMutantChosen(Exception):
    """The name filter matched no mutant."""


def patched(text: str, m: Mutant) -> str:
    """*text* with the mutant applied; its target must occur exactly once."""
    n = text.count(m.old)
    if n != 1:
        raise MutantRotted(f"{m.path}: mutant {m.name!r}: target text found {n} times, need exactly 1: {m.old!r}")
    return text.replace(m.old, m.new)


def apply(root: Path, m: Mutant) -> None:
    p = root / m.path
    p.write_text(patched(p.read_text(), m))


def copy_tree(dest: Path, source: Path = ROOT) -> None:
    shutil.copytree(source / "recon", dest / "recon", ignore=shutil.ignore_patterns("__pycache__"))
    for rel in COPIED:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, dest / rel)
    (dest / "pytest.ini").write_text("[pytest]\n")  # anchors the rootdir in the copy


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "RECON_SM_DERANDOMIZE": "1",
            "RECON_SM_EXAMPLES": str(EXAMPLES), "RECON_SM_STEPS": str(STEPS)}


def run_machines(root: Path, machines: tuple[str, ...]) -> tuple[int, str]:
    ids = [f"{MACHINES}::{m}" for m in machines]
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *ids]
    p = subprocess.run(cmd, cwd=root, env=_env(root), capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def verdict(m: Mutant, work: Path) -> tuple[str, str]:
    """CAUGHT if a machine's assertion fails, SURVIVED if all pass, ERROR for anything else."""
    root = work / m.name.replace(" ", "_")
    copy_tree(root)
    apply(root, m)
    rc, out = run_machines(root, m.machines)
    if rc == 0:
        return "SURVIVED", ""
    if rc == 1 and "AssertionError" in out:
        line = next((ln for ln in out.splitlines() if ln.startswith("E ") and "Error" in ln), "")
        return "CAUGHT", line[1:].strip()
    return "ERROR", out[-2000:]


def check(only: tuple[str, ...] = (), workers: int = 2) -> list[tuple[Mutant, str, str]]:
    """Run the control and every mutant (or those whose name contains one of *only*); return
    (mutant, CAUGHT/SURVIVED/ERROR, detail) per mutant."""
    chosen = tuple(m for m in MUTANTS if not only or any(o in m.name for o in only))
    if not chosen:  # a mistyped filter must not report success over nothing
        raise NoMutantChosen(f"no mutant's name contains any of {list(only)}")
    with tempfile.TemporaryDirectory(prefix="recon-mutants-") as tmp:
        work = Path(tmp)
        control = work / "control"
        copy_tree(control)
        probe = subprocess.run([sys.executable, "-c", "import recon; print(recon.__file__)"], cwd=control,
                               env=_env(control), capture_output=True, text=True, check=True)
        if not probe.stdout.strip().startswith(str(control)):
            raise RuntimeError(f"the copy does not import its own recon: {probe.stdout.strip()}")
        for m in MUTANTS:  # every target must exist before anything runs
            patched((ROOT / m.path).read_text(), m)
        every = tuple(sorted({name for m in chosen for name in m.machines}))
        rc, out = run_machines(control, every)
        if rc != 0:
            raise RuntimeError(f"the unmutated copy fails the machines:\n{out[-3000:]}")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda m: verdict(m, work), chosen))
    return [(m, v, d) for m, (v, d) in zip(chosen, results)]


def main(argv: list[str]) -> int:
    try:
        results = check(tuple(argv))
    except (MutantRotted, NoMutantChosen) as e:
        print(f"mutation-check: {e}", file=sys.stderr)
        return 1
    for m, v, detail in results:
        print(f"{v:8}  {m.name}" + (f"  ({detail})" if detail and v == "CAUGHT" else ""))
        if v == "ERROR":
            print(detail)
    survived = [m.name for m, v, _ in results if v != "CAUGHT"]
    print(f"{len(results) - len(survived)}/{len(results)} mutants caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
