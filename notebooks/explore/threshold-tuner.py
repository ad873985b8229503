# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Threshold tuner
#
# Pick a scenario, move a guard threshold, and watch the simulation rerun: how many resources the
# loop deletes wrongly, how long it takes to converge, and how often it pages a human. The numbers
# are `recon simulate`'s, for the same scenario, seed and `--set` overrides: the command line under
# the numbers follows every slider, with the same guards as a loop config's `guards:` (paths are
# relative to this notebook's folder).
#
# The first scenario, `tuner-lab`, is built to show the trade-off of a delete cap: a legitimate
# migration removes 20 rules at t=900, then the desired source drops 30% of its list (54 rules) for
# half an hour. Below a cap of 20 the migration waits for a human; from 54 up the bogus deletes go
# through. Move `max_deletes` with the mouse or the arrow keys.
#
# When a sweep is loaded (below, `sweep_seeds > 0`), the star on the frontier marks the grid
# point nearest to your setting, and the note says whether another grid point is as good or better
# on every cost (dominates it), and which. Run this notebook as an app with
# `voila notebooks/explore/threshold-tuner.ipynb`.

# %% tags=["parameters"]
lab = "../tuner-lab.yaml"  # the tuner's own scenario, listed first
scenario_dir = "../../scenarios"  # every scenario here is in the picker too
seed = 0  # the simulation seed
sweep_seeds = 2  # seeds per grid point of the frontier sweep; 0 loads no sweep
sweep_caps = [0, 5, 10, 20, 30, 40, 50, 60, 80]  # max_deletes values the sweep tries
sweep_root_seed = 0  # the sweep's root seed, so the frontier is the same on every run

# %%
from pathlib import Path

from recon.analysis.sweep import run_sweep
from recon.ui import ThresholdTuner

sweep = None
if sweep_seeds:
    sweep = run_sweep(lab, {"loop.guards.max_deletes.max": sweep_caps}, seeds=sweep_seeds, workers=1,
                      root_seed=sweep_root_seed)
    print(sweep.recommendation["statement"])

# %%
tuner = ThresholdTuner([lab, *sorted(Path(scenario_dir).glob("*.yaml"))], seed=seed, sweep=sweep)
tuner
