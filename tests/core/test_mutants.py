"""The mutation check: every hand-written mutant of the guards must be caught by the state machines."""

from __future__ import annotations

import pytest

from tests.core.mutation_check import MUTANTS, ROOT, MutantRotted, Mutant, NoMutantChosen, check, patched


def test_every_mutant_still_applies() -> None:
    # Fast and always on: a source change that removes a mutant's target fails here, loudly.
    for m in MUTANTS:
        patched((ROOT / m.path).read_text(), m)


def test_a_missing_target_is_an_error() -> None:
    gone = Mutant("gone", "recon/core/cycle.py", "text that is not in the file", "", ())
    with pytest.raises(MutantRotted, match="found 0 times"):
        patched((ROOT / gone.path).read_text(), gone)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_mutant_is_caught() -> None:
    results = check()
    report = "\n".join(f"{v:8} {m.name}" for m, v, _ in results)
    assert all(v == "CAUGHT" for _, v, _ in results), report


def test_a_filter_that_matches_nothing_is_an_error() -> None:
    # Raised before any copy or subprocess: a typo in the filter cannot pass for "0/0 caught".
    with pytest.raises(NoMutantChosen, match="no mutant's name contains"):
        check(("no such mutant",))
