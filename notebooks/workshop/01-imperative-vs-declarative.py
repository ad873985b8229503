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
# # Workshop 1 — Imperative vs declarative (about 20 minutes)
#
# A script that *does* things runs once and forgets. A loop that *holds* a declared state keeps
# checking it. In this notebook you break a small firewall twice: once under a script, once under
# a reconciliation loop, and watch which one notices.
#
# Everything here runs on recon's in-memory world and its simulator: nothing outside this notebook
# is touched. Cells marked *solution* are collapsed; try the exercise first.

# %% tags=["parameters"]
scenarios = "../../scenarios"  # the scenario files of the repository
seed = 0  # simulation seed

# %%
from pathlib import Path

from recon.core.model import DesiredState, Resource
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.sim import load_scenario, simulate
from recon.sources.callable import CallableSource


def rule(name: str, port: int) -> Resource:
    return Resource("rule", name, {"port": port, "proto": "tcp", "action": "allow"})


RULES = [rule("ssh", 22), rule("https", 443), rule("metrics", 9100)]

# %% [markdown]
# ## 1. The script: "create these rules now"
#
# The imperative version is a list of steps. It runs, it succeeds, it exits.

# %%
firewall = MemoryProvider(name="firewall")
for r in RULES:  # the whole "automation": three creates, once
    firewall.apply(r)
print(sorted(name for _, name in firewall.snapshot()))

# %% [markdown]
# A week later someone removes the `metrics` rule by hand while debugging. The script already ran;
# it has no notion of what *should* exist, so nothing puts the rule back. The firewall has
# drifted, silently.

# %%
firewall.external_delete(("rule", "metrics"))
print(sorted(name for _, name in firewall.snapshot()))

# %% [markdown]
# ## 2. The loop: "these rules should exist"
#
# The declarative version states the desired set and lets a loop work out the steps each cycle.
# recon's `Loop` joins a desired-state source, an observer and an actuator (here the same
# in-memory firewall) under a policy; `run_once` runs one cycle: read desired, observe, diff,
# converge.

# %%
loop = Loop(name="firewall", source=CallableSource(lambda: RULES, name="rules.yaml"),
            observer=firewall, actuator=firewall)
record = run_once(loop, now=0.0).record
print(f"created {record.applied_create}, updated {record.applied_update}, deleted {record.applied_delete}")
print(sorted(name for _, name in firewall.snapshot()))

# %% [markdown]
# The loop noticed the missing rule on its first pass and recreated it. Nobody wrote "recreate
# metrics": drift correction falls out of comparing the two states. Run the cycle again and it
# does nothing, because applying a state that already holds is a no-op.

# %%
again = run_once(loop, now=60.0).record
print("second cycle changes:", again.applied_create + again.applied_update + again.applied_delete)

# %% [markdown]
# ### Exercise 1
#
# Someone edits the `https` rule by hand and sets its action to `deny`. Make that edit with
# `firewall.external_put(...)`, then predict what the next cycle reports (creates, updates,
# deletes) before you run it.

# %%
# your edit and your prediction here, e.g.
# firewall.external_put(Resource("rule", "https", {...}))
# run_once(loop, now=120.0)

# %% tags=["solution"] jupyter={"source_hidden": true}
firewall.external_put(Resource("rule", "https", {"port": 443, "proto": "tcp", "action": "deny"}))
fixed = run_once(loop, now=120.0).record
assert (fixed.applied_create, fixed.applied_update, fixed.applied_delete) == (0, 1, 0)
assert firewall.snapshot()[("rule", "https")].spec["action"] == "allow"
print("one update: the loop put 'allow' back")

# %% [markdown]
# ## 3. How long does drift survive?
#
# A loop heals drift on its next pass, so a hand change lives at most one loop period. The
# scenario `firewall-hand-delete` deletes one rule and edits two at t=630 s in a world of 50 rules
# reconciled every 60 s. `drift_dwell_mean` is how long the hand changes survived.

# %%
hand = simulate(load_scenario(Path(scenarios) / "firewall-hand-delete.yaml"), seed=seed)
print({k: hand.summary[k] for k in ("drift_events", "drift_dwell_mean", "drift_dwell_p95", "converged")})

# %% [markdown]
# ### Exercise 2
#
# Slow the loop down to one cycle every 600 s (`--set loop.period=600`, here
# `load_scenario(path, ["loop.period=600"])`). Does the hole stay open longer? By at most how much?

# %%
# slow = simulate(load_scenario(Path(scenarios) / "firewall-hand-delete.yaml", [...]), seed=seed)

# %% tags=["solution"] jupyter={"source_hidden": true}
slow = simulate(load_scenario(Path(scenarios) / "firewall-hand-delete.yaml", ["loop.period=600"]), seed=seed)
assert slow.summary["drift_dwell_mean"] > hand.summary["drift_dwell_mean"]
assert slow.summary["drift_dwell_p95"] <= 600
print(f"dwell {hand.summary['drift_dwell_mean']:.0f} s -> {slow.summary['drift_dwell_mean']:.0f} s; "
      "never more than one period")

# %% [markdown]
# ## Takeaways
#
# - A script records *steps*; a loop holds a *state*. Drift correction is a property of the loop,
#   not a feature added to it.
# - Applying must be idempotent: the loop applies the same state again and again.
# - Drift lives until the next cycle, so the loop period bounds how long a hand change survives.
# - Loops fit sets of things that should exist. One-shot actions (send a mail, charge a card) are
#   events, not states: a loop would repeat them.
