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
# # Calibrate my loop
#
# Your audits and snapshots already watch the real system. This notebook closes the circle:
# **observe → fit → sweep → paste**. It reads your loop's past (snapshot files written by
# `recon snapshot`, each with its `observed_at`, or the history that `recon audit` and
# `recon watch` keep), fits how often people edit, delete and create by hand (with 95% intervals
# and the number of events behind each), builds a scenario shaped like your world, sweeps a guard
# on it, and hands back the `guards:` block to paste. Everything here calls `recon.calibrate`; the
# same runs from the command line as `recon calibrate`, `recon sweep` and `recon recommend --apply`.

# %% tags=["parameters"]
loop_config = "../../examples/calibrate/LOOP.yaml"  # your loop
snapshots = ["../../examples/calibrate/snapshots"]  # snapshot files or folders; empty: fit the history store
history_url = ""  # history store (SQLAlchemy URL); empty: $RECON_AUDIT_HISTORY or .recon/audit-history.db
since = ""  # only observations from this time on (ISO 8601), empty: all
duration = 21600  # simulated seconds of the calibrated scenario
sweep_grid = {"loop.guards.max_deletes.max": [2, 5, 20]}  # the guard settings to try
sweep_seeds = 2  # seeds per grid point
seed = 0
out_dir = "../../out/calibrate-my-loop"

# %%
# %matplotlib inline
import json
from pathlib import Path

import pandas as pd
import yaml

from recon.analysis.sweep import run_sweep
from recon.calibrate.observations import parse_time
from recon.calibrate.plots import plot_drift, plot_rates
from recon.calibrate.run import calibrate
from recon.calibrate.writers import write_calibration

out = Path(out_dir)
cal = calibrate(Path(loop_config), history_url or None, [Path(p) for p in snapshots],
                parse_time(since, "since") if since else None, duration=duration)
print(f"loop {cal.loop}: {cal.fit.sightings} observations, median interval {cal.fit.interval_median:g} s; "
      f"world {cal.world['resources']} resources, kinds {cal.world['kind_counts']}, {cal.world['foreign']} unmanaged")

# %% [markdown]
# ## What the history shows
#
# Keys out of sync at each observation, by how (missing: desired but gone; edited: another spec;
# unmanaged: there but not desired) and by resource kind.

# %%
plot_drift(cal)

# %% [markdown]
# ## The fitted rates
#
# Maximum likelihood for a Poisson process seen at observation times; the interval is the
# profile-likelihood one (Garwood's exact interval under ten events). Drift that someone heals
# before the next observation is never seen, so short-lived drift biases the rates low: the
# *weak* column says when that, too few events, or censoring applies.

# %%
rates = pd.DataFrame([{"field": name, "rate": e.value, "95% low": e.low, "95% high": e.high, "events": e.events,
                       "intervals": e.intervals, "weak": "; ".join(e.weak)} for name, e in cal.fit.rates.items()])
d = cal.fit.duration
print(f"drift healed by someone else: {d['healed']} episodes, mean {d['mean_seconds'] or float('nan'):.0f} s; "
      f"{d['open_at_end']} still open at the last observation")
rates

# %%
plot_rates(cal)

# %% [markdown]
# ## A sweep on the calibrated scenario
#
# The scenario carries your loop's own guards and period, the fitted drift, and the largest
# legitimate removal seen in the desired source as a migration. The sweep tries each setting of
# `sweep_grid` on it and recommends the cheapest one that deletes nothing wrongly.

# %%
scenario_path, record = write_calibration(cal, out / f"{cal.loop}-calibrated.yaml")
sweep = run_sweep(str(scenario_path), sweep_grid, seeds=sweep_seeds, root_seed=seed, workers=1, out_dir=out / "sweep")
print(sweep.recommendation["statement"])
sweep.table[[*sweep_grid, "damage", "converge_p95", "pages", "pareto"]]

# %% [markdown]
# ## Settings to paste
#
# The recommended guards, as the `guards:` block of your loop config takes them. `recon recommend
# --apply` merges them in for you: it shows the diff first, writes only with `--yes`, and keeps a
# backup.

# %%
guards = json.loads((out / "sweep" / "recommendation.json").read_text())["guards"]
print(yaml.safe_dump({"guards": guards}, sort_keys=False) if guards else "no setting recommended")
print(f"recon recommend --apply {loop_config} --recommendation {out / 'sweep' / 'recommendation.json'}")
print(f"scenario: {scenario_path}; every estimate and its evidence: {record}")
