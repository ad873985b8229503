"""``worst_case(scenario, settings)``: the bound, the witnesses, the search, and what they prove.

It checks the settings against the scenario before any cycle runs (:class:`WorstCaseError` names
the option), computes the analytic bound and the sliding-block witness, and runs the search unless
the witness already meets the bound. The answer is the worst witness; it is *exact* when the search
was exhaustive over its space or a witness meets the bound. :meth:`WorstCase.write` saves
``worst.json`` and ``trace.yaml``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recon.analysis.worstcase.bound import Bound, replay, sliding_witness, upper_bound
from recon.analysis.worstcase.engine import Node, Setup, setup_for
from recon.analysis.worstcase.ignored import ignored
from recon.analysis.worstcase.search import DESIRED_KINDS, OBSERVE_KINDS, Found, Limit, Move, Space, search
from recon.analysis.worstcase.trace import trace_scenario
from recon.core.errors import ReconError
from recon.sim.scenario import Scenario
from recon.sources.dump import yaml_text

MAX_HORIZON = 1000              # cycles; beyond this a trace is not something anyone reads
MAX_ENGINE_CYCLES = 20_000_000  # horizon x beam x moves: about eight hours on one core
MAX_CYCLES = 20_000             # the default budget: well under a minute at 1-2 ms per cycle (400 resources)


class WorstCaseError(ReconError):
    """A worst-case setting does not fit the scenario; the message names the option."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How hard to look: *horizon* cycles; drop / rename counts in steps of *step* resources (None:
    a twentieth of the scope, no more than the per-cycle delete cap), lists cut in steps of
    *hide_step* (None: a quarter of the scope), blocks starting at multiples of *offset_step* (None:
    only at the start of the key order), and at most *beam* engine states kept per cycle. The search
    stops after *max_cycles* engine cycles (None: no limit) or *budget* seconds (None: no limit; a
    run stopped by the clock may differ between machines, so the default is the cycle count)."""

    horizon: int = 30
    step: int | None = None
    hide_step: int | None = None
    offset_step: int | None = None
    beam: int = 16
    max_cycles: int | None = MAX_CYCLES
    budget: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"horizon": self.horizon, "step": self.step, "hide_step": self.hide_step,
                "offset_step": self.offset_step, "beam": self.beam, "max_cycles": self.max_cycles,
                "budget_seconds": self.budget}


def space_for(setup: Setup, s: Settings) -> Space:
    """The discretised moves for *setup* under the settings *s*, defaults filled in."""
    size = len(setup.intended)
    md = setup.policy.guards.max_deletes
    cap = md.max if md.enabled and md.max else size
    step = s.step or max(1, min(math.ceil(size / 20), cap))
    return Space(size, step, s.hide_step or max(1, math.ceil(size / 4)), s.offset_step, DESIRED_KINDS, OBSERVE_KINDS)


def check_settings(s: Settings, prefix: str = "--") -> None:
    """Refuse settings the search cannot honour, naming the option (``--worst-case-`` in a sweep)."""
    if not 1 <= s.horizon <= MAX_HORIZON:
        raise WorstCaseError(f"{prefix}horizon {s.horizon}: give 1 to {MAX_HORIZON} cycles")
    for option, value in (("step", s.step), ("hide-step", s.hide_step), ("offset-step", s.offset_step)):
        if value is not None and value < 1:
            raise WorstCaseError(f"{prefix}{option} {value}: a step is at least 1 resource")
    if s.beam < 1:
        raise WorstCaseError(f"{prefix}beam {s.beam}: keep at least 1 state per cycle")
    if s.max_cycles is not None and s.max_cycles < 1:
        raise WorstCaseError(f"{prefix}max-cycles {s.max_cycles}: allow at least 1 engine cycle")
    if s.budget is not None and not (s.budget > 0 and math.isfinite(s.budget)):
        raise WorstCaseError(f"{prefix}budget {s.budget:g}: give a positive number of seconds")


def check(sc: Scenario, s: Settings) -> None:
    """Refuse settings and scenarios the search cannot honour, naming the option or the field."""
    check_settings(s)
    if len(sc.loop_specs()) != 1:
        raise WorstCaseError(f"loops: the worst case searches one loop; the scenario has {len(sc.loop_specs())} "
                             "(give one loop, or --set loops=[])")
    if sc.oncall is not None and sc.oncall.release_after is not None:
        raise WorstCaseError("oncall.release_after: the search models an on-call who keeps the switch engaged; "
                             "remove release_after (--set oncall.release_after=null)")


@dataclass(frozen=True)
class WorstCase:
    """The answer: the worst node and its moves, the bound, the search (None when skipped)."""

    scenario: Scenario
    settings: Settings
    setup: Setup
    space: Space
    node: Node
    moves: tuple[Move, ...]
    witness: str
    bound: Bound
    found: Found | None
    sliding: int | None

    @property
    def proof(self) -> str | None:
        """Why no sequence does worse, or None when the answer is a lower bound only."""
        if self.bound.value == self.node.wrongful:
            return "the witness meets the analytic upper bound: no inputs at all do worse"
        if self.found is not None and self.found.exhaustive:
            return ("the search covered every move sequence of its discretised space (skipping only states "
                    "that could not beat the witness)")
        return None

    @property
    def exact(self) -> bool:
        return self.proof is not None

    def summary(self) -> dict[str, Any]:
        sp, f = self.space, self.found
        return {
            "scenario": self.scenario.name, "wrongful_deletes": self.node.wrongful, "horizon": self.settings.horizon,
            "search": "exhaustive" if self.exact else "bounded", "proof": self.proof, "witness": self.witness,
            "upper_bound": self.bound.value, "upper_bound_reason": self.bound.reason,
            "sliding_block_deletes": self.sliding,
            "search_deletes": f.node.wrongful if f is not None else None,
            "search_exhaustive_over_space": f.exhaustive if f is not None else None,
            "stopped_early": f.stats.stopped if f is not None else None,
            "ignored": list(ignored(self.scenario)),
            "guards_tripped": sorted(self.node.tripped), "pages": self.node.pages,
            "settings": {**self.settings.to_dict(), "step": sp.step, "hide_step": sp.hide_step,
                         "offset_step": sp.offset_step, "moves_per_cycle": len(sp.moves()),
                         "approver": self.setup.approver_name, "oncall_delay": _finite(self.setup.oncall_delay),
                         "policy": self.setup.policy.model_dump(mode="json")},
            "statistics": f.stats.to_dict() if f is not None else
            {"skipped": "the sliding-block witness meets the analytic bound: no sequence can do worse"},
        }

    def trace(self) -> dict[str, Any]:
        return trace_scenario(self.scenario, self.setup, self.moves, self.space.typo, self.node.wrongful)

    def write(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / "worst.json", out_dir / "trace.yaml"]
        paths[0].write_text(json.dumps(self.summary(), indent=1) + "\n", encoding="utf-8")
        paths[1].write_text(f"# recon worst-case: {self.node.wrongful} wrongful deletes; replay with recon simulate\n"
                            + yaml_text(self.trace()), encoding="utf-8")
        return paths


def _finite(v: float | None) -> float | str | None:
    return "never" if v is not None and v == math.inf else v


def _quiet(total: int) -> Callable[[int], None]:
    return lambda n: None


def worst_case(sc: Scenario, s: Settings, progress: Callable[[int], Callable[[int], None]] = _quiet) -> WorstCase:
    """The worst case of *sc*'s loop over the settings' horizon (see the module docstring). When the
    search runs, *progress* is called with the most engine cycles it may take and returns the
    function the search calls with each batch of cycles done (a progress bar)."""
    check(sc, s)
    deadline = time.monotonic() + s.budget if s.budget is not None else None
    setup = setup_for(sc, s.horizon)
    space = space_for(setup, s)
    work = s.horizon * s.beam * len(space.moves())
    if work > MAX_ENGINE_CYCLES:
        raise WorstCaseError(f"--beam {s.beam} --step {space.step}: up to {work:,} engine cycles, over the limit "
                             f"{MAX_ENGINE_CYCLES:,}; give a smaller --beam or --horizon, or a larger --step")
    bound = upper_bound(setup, s.horizon)
    slide = sliding_witness(setup, s.horizon)
    found = None
    if slide is None or bound.value is None or slide[0].wrongful < bound.value:
        limit = Limit(s.max_cycles, deadline, slide[0].wrongful if slide is not None else 0,
                      lambda i: upper_bound(setup, s.horizon, i).value, bound.value)
        found = search(setup, s.horizon, space, s.beam, progress(min(work, s.max_cycles or work)), limit)
    if found is not None and (slide is None or found.node.wrongful >= slide[0].wrongful):
        node, moves, witness = found.node, found.moves, "search"
    else:
        assert slide is not None
        node, moves, witness = slide[0], slide[1], "sliding-block"
    assert replay(setup, moves, space.typo).wrongful == node.wrongful  # the trail is the path it claims
    return WorstCase(sc, s, setup, space, node, moves, witness, bound, found,
                     slide[0].wrongful if slide is not None else None)

