"""The worst case beside a sweep's averages: one adversarial search per grid point and scenario.

``recon sweep --worst-case`` calls :func:`worst_per_point` before the Monte Carlo runs start (so a
scenario the search cannot take fails before anything is written) and :func:`with_worst` on the
finished tables: ``points.csv`` gains ``worst_case_wrongful`` and ``worst_case_exact`` per
scenario, the objectives table ``worst_case`` (the worst scenario's) per grid point. The search
does not depend on the seed, so each point is searched once.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import pandas as pd
from tqdm import tqdm

from recon.analysis.worstcase.ignored import ignored
from recon.analysis.worstcase.run import Settings, WorstCase, WorstCaseError, check, worst_case
from recon.sim.scenario import Scenario

Cell = tuple[str, int]  # (scenario label, grid point)


def worst_per_point(loaded: Mapping[Cell, Scenario], settings: Settings,
                    progress: bool = False) -> dict[Cell, WorstCase]:
    """The worst case of every loaded (scenario, grid point); a scenario it cannot take is an error naming it."""
    for (label, point), sc in loaded.items():
        try:
            check(sc, settings)
        except WorstCaseError as e:
            raise WorstCaseError(f"--worst-case: scenario {label}, grid point {point}: {e}") from None
    out: dict[Cell, WorstCase] = {}
    with tqdm(total=len(loaded), desc="worst case", unit="point", disable=not progress, file=sys.stderr,
              leave=False) as bar:
        for cell, sc in loaded.items():
            out[cell] = worst_case(sc, settings)
            bar.update(1)
    return out


def ignored_by_search(loaded: Mapping[Cell, Scenario]) -> list[str]:
    """One line per scenario whose inputs the search leaves out (the grid does not change them)."""
    said: dict[str, str] = {}
    for (label, _), sc in loaded.items():
        left_out = ignored(sc)
        if left_out and label not in said:
            said[label] = f"--worst-case: scenario {label}: ignored (the adversary stands in for them): " \
                          + "; ".join(left_out)
    return list(said.values())


def with_worst(points: pd.DataFrame, table: pd.DataFrame,
               worst: Mapping[Cell, WorstCase]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep's per-scenario *points* and per-point *table* with the worst-case columns added."""
    points = points.copy()
    cells = list(zip(points["scenario"], points["point"].astype(int)))
    points["worst_case_wrongful"] = [worst[c].node.wrongful for c in cells]
    points["worst_case_exact"] = [worst[c].exact for c in cells]
    table = table.copy()
    by_point = points.groupby("point")["worst_case_wrongful"].max()
    table["worst_case"] = [int(by_point[p]) for p in table["point"]]
    return points, table
