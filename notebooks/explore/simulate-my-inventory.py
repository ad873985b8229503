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
# # Simulate my real inventory
#
# Take a snapshot of what your loop's provider holds today, build a simulated world shaped like
# it (as many managed resources, of the same kinds, with as many unmanaged ones beside them),
# give the simulated loop *your* guard settings, and replay the incidents that bite loops: a
# config that loads empty, a source that returns part of its list, a typo that renames the scope,
# a legitimate migration. For each you get the damage with your guards and with none.
#
# The snapshot is read-only: `recon snapshot LOOP.yaml --out snapshot.yaml` writes one, or leave
# `snapshot` empty to observe the provider now (observe-only, as `recon plan` does).

# %% tags=["parameters"]
loop_config = "../../examples/loop-snapshot.yaml"  # your loop
snapshot = ""  # an inventory file written by `recon snapshot`; empty: observe the provider now
seed = 0
duration = 7200  # simulated seconds per incident
out_dir = "../../out/my-inventory"  # where the generated scenario is written

# %%
# %matplotlib inline
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from recon.analysis.plots import plot_convergence
from recon.config import build_loop, load_loop_config
from recon.core.text import visible
from recon.sim import load_scenario, simulate
from recon.sources.inventory import load_inventory

cfg, base = load_loop_config(loop_config)
if snapshot:
    resources = list(load_inventory(snapshot).resources.values())
else:
    observation = build_loop(cfg, base).observer.observe()
    if not observation.complete:
        raise RuntimeError(f"the provider's observation is incomplete ({observation.reason}); try again or use a snapshot")
    resources = list(observation.resources.values())
managed = [r for r in resources if cfg.owner_id is None or r.owner == cfg.owner_id]
print(visible(f"{len(resources)} resources: {len(managed)} managed by {cfg.owner_id or 'this loop (no owner id)'}, "
              f"{len(resources) - len(managed)} unmanaged; kinds {dict(Counter(r.kind for r in managed))}"))

# %% [markdown]
# ## A world shaped like yours
#
# The simulated world has the same number of managed resources, round-robin over your kinds, and
# your unmanaged ones beside them; the loop gets your period, sync mode, owner id and guards. (The
# simulator cannot know who approves your held deletes; here nobody does.)

# %%
world = {"resources": max(len(managed), 1), "kinds": sorted({r.kind for r in managed}) or ["resource"],
         "groups": [cfg.name], "foreign": len(resources) - len(managed)}
loop = {"name": cfg.name, "period": cfg.interval, "sync": cfg.sync.value, "owner_id": cfg.owner_id,
        "guards": cfg.guards.model_dump(mode="json"), "alerts": cfg.alerts.model_dump(mode="json"),
        "approver": {"type": "approve-all" if cfg.approver == "approve-all" else "deny-all"}}
base_scenario = {"name": f"{cfg.name}-inventory", "duration": duration, "world": world, "loop": loop}
incidents = {
    "config loads empty for 10 min": [{"at": 900, "kind": "empty", "duration": 600}],
    "source returns 60% for 20 min": [{"at": 900, "kind": "partial", "fraction": 0.6, "duration": 1200}],
    "typo renames the scope for 30 min": [{"at": 900, "kind": "rename", "duration": 1800}],
    "legitimate migration removes 40%": [{"at": 900, "kind": "migration", "fraction": 0.4}],
}
DELETE_GUARDS = ("empty_desired", "desired_shrink", "incomplete_observation", "max_deletes")

# %%
rows, results = [], {}
for incident, events in incidents.items():
    scenario = {**base_scenario, "desired": events}
    for guards, overrides in (("yours", []), ("none", [f"loop.guards.{g}=false" for g in DELETE_GUARDS])):
        result = simulate(load_scenario(scenario, overrides), seed=seed)
        results[(incident, guards)] = result
        s = result.summary
        rows.append({"incident": incident, "guards": guards, "wrongful deletes": s["wrongful_deletes"],
                     "outage (resource-s)": s["outage_resource_seconds"],
                     "converged at (s)": s["time_to_converge"], "approvals requested": s["approvals_requested"],
                     "guards tripped": ", ".join(g for g, n in s["guard_trips"].items() if n)})
table = pd.DataFrame(rows)
table

# %% [markdown]
# A legitimate migration that *never* converges under your guards means they hold real change
# for a human; an incident with wrongful deletes under your guards is one they do not stop. The
# threshold tuner (`threshold-tuner.ipynb`) lets you move the thresholds on this same scenario.

# %%
plot_convergence(results[("source returns 60% for 20 min", "yours")])

# %% [markdown]
# The scenario, for `recon simulate`, `recon sweep` and the tuner:

# %%
out = Path(out_dir)
out.mkdir(parents=True, exist_ok=True)
path = out / f"{cfg.name}-inventory.yaml"
path.write_text(yaml.safe_dump({**base_scenario, "desired": incidents["source returns 60% for 20 min"]},
                               sort_keys=False))
print(f"wrote {path}; try: recon simulate {path} --out {out / 'run'}")
