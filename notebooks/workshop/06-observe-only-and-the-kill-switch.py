# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Workshop 6 — Observe-only and the kill switch (about 20 minutes)
#
# Two habits make a loop trustworthy. Before it may write, run it **observe-only** for days and
# read what it *would* do: if it proposes deleting things you know should stay, your desired-state
# computation is wrong, and you learned it from a log. Once it writes, keep a **kill switch** one
# action away: the back-out path for a misbehaving loop is to stop reconciling.

# %% tags=["parameters"]
scenarios = "../../scenarios"
seed = 0
days = 4  # how much of the observe-only week to simulate (the bad source hour starts at day 3)

# %%
# %matplotlib inline
import tempfile
import time
from pathlib import Path

from recon.analysis.plots import plot_diff_sets
from recon.core.model import Resource
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.sim import load_scenario, simulate
from recon.sources.callable import CallableSource
from recon.store.sqlite import StateStore
from recon.ui import KillSwitchToggle

# %% [markdown]
# ## 1. Observe-only is structural
#
# A recon loop built without an actuator has nothing to write through: it can report what it
# would create, update and delete, and that is all. (Real providers — DNS, PostgreSQL, nftables,
# AWS — have no write path at all.)

# %%
world = MemoryProvider([Resource("rule", f"r{i}", {"port": 3000 + i}) for i in range(5)])
watcher = Loop("watch", CallableSource(lambda: [], name="empty.yaml"), world,
               actuator=None)  # no actuator: observe-only
result = run_once(watcher, now=0.0)
record, decision = result.record, result.decision
print(f"would delete {record.would_delete}; actually deleted {record.applied_delete}; writes {world.writes}")
print([(v.guard, v.outcome.value) for v in decision.tripped])

# %% [markdown]
# The empty config tripped `empty_desired` anyway. Observe-only or not, the verdicts are recorded
# as if the loop were live, which is what you read before switching it on.
#
# ## 2. A week in the log
#
# `observe-only-week` runs a loop every five minutes for a week without an actuator, with hand
# edits, unmanaged rules appearing, and on day three an hour in which the source returns half its
# list. We simulate the first `days` days; `would_delete` is what an enforcing loop would have done.

# %%
week = simulate(load_scenario(Path(scenarios) / "observe-only-week.yaml", [f"duration={days * 86400}"]),
                seed=seed)
cycles = week.cycles
print(f"{len(cycles)} cycles; most deletes proposed in one cycle: {cycles['would_delete'].max()}; "
      f"cycles with a guard tripped: {int((cycles['guards_tripped'].str.len() > 0).sum())}")
plot_diff_sets(week)

# %% [markdown]
# ### Exercise 1
#
# Is the loop ready to enforce? Find the cycles in which a guard tripped and the plan they held
# (`to_delete`), and the cycle that would have deleted the most (`would_delete`). What does each
# tell you about the desired-state source and about ownership?

# %%
# cycles[cycles["guards_tripped"] != ""]

# %% tags=["solution"] jupyter={"source_hidden": true}
tripped = cycles[cycles["guards_tripped"] != ""]
print(tripped[["time", "desired_count", "observed_count", "to_delete", "would_delete", "guards_tripped"]].head())
worst = cycles.loc[cycles["would_delete"].idxmax()]
print(worst[["time", "would_delete"]].to_dict())
# The half-list hour: desired fell to half, the plan wanted ~150 deletes, and desired_shrink and
# max_deletes held every one (would_delete 0). The source needs fixing, not the loop. The deletes
# that would have gone through are few: unmanaged rules made by hand, an ownership question to
# settle (owner_id) before enforcing. Late in the run, max_changes defers part of a growing pile
# of hand edits: drift nobody heals in observe-only mode.
held = tripped[tripped["guards_tripped"].str.contains("desired_shrink")]
assert len(held) and (held["would_delete"] == 0).all() and (held["to_delete"] >= 100).all()

# %% [markdown]
# ## 3. The kill switch
#
# The switch lives in the state store; the loop checks it before anything else each cycle. The
# toggle below is bound to it, as `recon pause LOOP` and `recon resume LOOP` are.

# %%
store = StateStore(Path(tempfile.mkdtemp()) / "state.db")
rules = [Resource("rule", f"r{i}", {"port": 4000 + i}) for i in range(5)]
fw = MemoryProvider(rules)
enforcing = Loop("firewall", CallableSource(lambda: rules[:2], name="bad-rollout.yaml"), fw,
                 actuator=fw, kill_switch=lambda: store.kill_switch("firewall"), store=store)
switch = KillSwitchToggle(store, "firewall", by="on-call")
switch

# %% [markdown]
# ### Exercise 2
#
# A bad rollout is about to delete three of five rules. Engage the switch (click it, or
# `switch.toggle.value = True`), run a cycle, and check that nothing changed. Then release it and
# run again: what happens now, and what else should have stopped this rollout?

# %%
# run_once(enforcing, now=time.time())

# %% tags=["solution"] jupyter={"source_hidden": true}
switch.toggle.value = True
paused = run_once(enforcing, now=time.time()).record
assert paused.paused and len(fw) == 5
switch.toggle.value = False
resumed = run_once(enforcing, now=time.time()).record
print(f"paused: {paused.paused}, deleted {paused.applied_delete}; released: deleted {resumed.applied_delete}")
# Released, the loop deletes the three: a delete cap or the shrink guard, not the switch, is what
# stops a wrong rollout for good. The switch buys the time to fix it.

# %% [markdown]
# ## 4. How fast must the on-call be?
#
# In `kill-switch-rollout` a typo renames every record at t=1200. The loop has no delete cap, only
# a change cap; the delete-spike alert pages the on-call, who engages the switch after an
# exponential delay (mean five minutes).

# %%
path = Path(scenarios) / "kill-switch-rollout.yaml"
for label, overrides in (("on-call, mean 5 min", []), ("on-call, mean 60 min", ["oncall.delay.mean=3600"]),
                         ("nobody", ["oncall=null"])):
    s = simulate(load_scenario(path, overrides), seed=seed).summary
    print(f"{label:>22}: wrongful deletes {s['wrongful_deletes']:>3}, outage {s['outage_resource_seconds']:>8.0f} resource-s")

# %% [markdown]
# A switch pulled late can be worse than none: here it also holds back the healing while it stays
# engaged. The guards on the delete branch act in the same cycle; a human acts in minutes.
#
# ## Takeaways
#
# - Run observe-only first and read the would-be diffs; the log is the cheapest place to find a
#   wrong desired state.
# - The kill switch is checked before anything else, by every cycle; engaging it is one action.
# - The switch stops damage only as fast as a human reacts: guards on the delete branch act in the
#   same cycle.
