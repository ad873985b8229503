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
# # Workshop 3 — The delete branch (about 20 minutes)
#
# Creates and updates move the world towards the desired state. Deletes remove whatever the
# desired state does not mention, and that is where loops hurt people: when the desired state is
# computed wrong (a config that loads empty, an API that returns half its list), the loop
# concludes that everything else must go. In this notebook you watch an empty config tear down a
# simulated environment, then put the guard back.

# %% tags=["parameters"]
scenarios = "../../scenarios"
seed = 0

# %%
# %matplotlib inline
from pathlib import Path

from recon.analysis.plots import plot_convergence
from recon.core.model import Resource
from recon.core.policy import Policy
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.sim import load_scenario, simulate
from recon.sources.callable import CallableSource

rules = [Resource("rule", f"fw-{i:03d}", {"port": 1000 + i}) for i in range(40)]

# %% [markdown]
# ## 1. A naive loop and an empty config
#
# A deploy breaks the template that renders the firewall config: it renders *nothing*, and the
# load succeeds with zero rules. Below is a loop with every guard switched off, the four-step
# skeleton and nothing else.

# %%
naive = Policy.model_validate({"guards": {g: False for g in (
    "empty_desired", "desired_shrink", "incomplete_observation", "max_deletes", "max_changes")}})
world = MemoryProvider(rules)
config: list[Resource] = []  # what the broken template rendered
loop = Loop("firewall", CallableSource(lambda: config, name="rendered.yaml"), world, naive, actuator=world)
record = run_once(loop, now=0.0).record
print(f"deleted {record.applied_delete} rules; {len(world)} left")

# %% [markdown]
# Every rule is gone, in one cycle, and the loop reports success. Nothing was wrong with the loop's
# logic: it did exactly what the desired state said.
#
# ## 2. The same incident, simulated over an hour
#
# The scenario `empty-config` runs a 200-rule firewall loop every 60 s; from t=900 s the config
# loads empty for ten minutes. First with its one guard, `empty_desired`, switched off:

# %%
scenario = Path(scenarios) / "empty-config.yaml"
unguarded = simulate(load_scenario(scenario, ["loop.guards.empty_desired=false"]), seed=seed)
print({k: unguarded.summary[k] for k in ("wrongful_deletes", "outage_resource_seconds", "time_to_converge")})
plot_convergence(unguarded)

# %% [markdown]
# All 200 rules were deleted, and recreated only when the config came back: the outage is counted
# in resource-seconds. Now with the guard on, as the scenario ships:

# %%
guarded = simulate(load_scenario(scenario), seed=seed)
print({k: guarded.summary[k] for k in ("wrongful_deletes", "outage_resource_seconds", "guard_trips")})

# %% [markdown]
# `empty_desired` refuses a cycle whose desired state is empty while resources exist: no deletes,
# no changes, and the trip is recorded every cycle the config stays broken.
#
# ### Exercise 1
#
# Switch `empty_desired` on for the naive loop of section 1 (rebuild `world` and `loop`), run one
# cycle with the empty config, and check that nothing was deleted. Which verdict did the cycle
# record?

# %%
# guarded_policy = Policy.model_validate({...})

# %% tags=["solution"] jupyter={"source_hidden": true}
guarded_policy = naive.model_copy(update={"guards": naive.guards.model_copy(
    update={"empty_desired": naive.guards.empty_desired.model_copy(update={"enabled": True})})})
world = MemoryProvider(rules)
loop = Loop("firewall", CallableSource(lambda: config, name="rendered.yaml"), world, guarded_policy, actuator=world)
result = run_once(loop, now=0.0)
record, decision = result.record, result.decision
assert record.applied_delete == 0 and len(world) == 40 and record.aborted
print([(v.guard, v.outcome.value, v.reason) for v in decision.tripped])

# %% [markdown]
# ## 3. Half a list is not empty
#
# The empty check catches the total wipe. The nastier pattern is a *partial* input: a source API
# whose paginator drops the rest, returning 60% of the list. Nothing is empty, so `empty_desired`
# stays silent. The scenario `partial-source` plays this for twenty minutes.
#
# ### Exercise 2
#
# Run `partial-source` twice: as shipped, and with `loop.guards.desired_shrink=false`. How many
# rules are deleted wrongly each time, and which guard holds the deletes when it is on?

# %%
# partial = simulate(load_scenario(Path(scenarios) / "partial-source.yaml", [...]), seed=seed)

# %% tags=["solution"] jupyter={"source_hidden": true}
partial = Path(scenarios) / "partial-source.yaml"
with_shrink = simulate(load_scenario(partial), seed=seed).summary
without = simulate(load_scenario(partial, ["loop.guards.desired_shrink=false"]), seed=seed).summary
assert with_shrink["wrongful_deletes"] == 0 < without["wrongful_deletes"]
assert with_shrink["guard_trips"]["desired_shrink"] > 0
print(f"desired_shrink on: {with_shrink['wrongful_deletes']} wrongful deletes; "
      f"off: {without['wrongful_deletes']}")

# %% [markdown]
# ## Takeaways
#
# - The loop deletes whatever the desired state leaves out, so a wrong desired state is a delete
#   order. A loop without sanity checks on that branch is a loaded gun on a timer.
# - A failed load must be an error, and an empty one must be refused while resources exist.
# - A *shrink* against the last accepted desired state catches partial inputs an empty check
#   cannot see.
