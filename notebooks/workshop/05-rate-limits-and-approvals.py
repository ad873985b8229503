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
# # Workshop 5 — Rate-limited convergence and approvals (about 25 minutes)
#
# Applying a big diff all at once can overwhelm the API behind it and, if the diff is wrong, does
# the most damage in the least time. A loop can instead cap its changes per cycle and converge
# over several passes. Deletes beyond a cap wait for a human, who approves exactly the set they
# were shown. This notebook measures the first and operates the second.

# %% tags=["parameters"]
scenarios = "../../scenarios"
seed = 0
backlog = 95  # rules missing at the start, for exercise 1
cap = 20  # changes per cycle, for exercise 1

# %%
# %matplotlib inline
import math
import tempfile
import time
from pathlib import Path

from recon.analysis.plots import plot_diff_sets
from recon.approvers import StoreApprover
from recon.core.model import Resource
from recon.core.policy import Policy
from recon.drivers.loop import Loop, run_once
from recon.providers.memory import MemoryProvider
from recon.sim import load_scenario, simulate
from recon.sources.callable import CallableSource
from recon.store.sqlite import StateStore
from recon.ui import ApprovalPanel

# %% [markdown]
# ## 1. Converging under a cap
#
# `throttled-convergence` starts with 500 rules missing, a change cap of 100 per cycle and an API
# that throttles at 2 calls per second. The diff-set plot shows the backlog draining pass by
# pass; `max_changes` trips every cycle until it is gone.

# %%
throttled = simulate(load_scenario(Path(scenarios) / "throttled-convergence.yaml"), seed=seed)
print({k: throttled.summary[k] for k in ("converged", "time_to_converge", "api_calls")})
plot_diff_sets(throttled)

# %% [markdown]
# ### Exercise 1
#
# A backlog of N changes under a cap of c changes per cycle drains in ⌈N / c⌉ cycles. Predict how
# many cycles a loop needs for `backlog` missing rules under a cap of `cap`, then simulate it:
# take `firewall-hand-delete.yaml`, set `world.resources` and `world.initially_missing` to the
# backlog and `loop.guards.max_changes.max` to the cap, and count the cycles that created
# something (`result.cycles["applied_create"] > 0`).

# %%
prediction = None  # your number

# %% tags=["solution"] jupyter={"source_hidden": true}
prediction = math.ceil(backlog / cap)
drain = simulate(load_scenario(Path(scenarios) / "firewall-hand-delete.yaml", [
    f"world.resources={backlog}", f"world.initially_missing={backlog}", f"loop.guards.max_changes.max={cap}",
    "drift.bursts=[]"]), seed=seed)
cycles_with_creates = int((drain.cycles["applied_create"] > 0).sum())
assert cycles_with_creates == prediction, (cycles_with_creates, prediction)
print(f"{backlog} creates under a cap of {cap}: {cycles_with_creates} cycles, as ⌈N/c⌉ = {prediction} says")

# %% [markdown]
# ## 2. Holding deletes for a human
#
# Now a real approval round trip. The loop below owns 10 rules; its new desired state keeps 4 of
# them. Six deletes exceed its cap of 3, so the first cycle holds them and files a request in the
# state store, the same store `recon approvals` and `recon approve` read.

# %%
store = StateStore(Path(tempfile.mkdtemp()) / "state.db")
rules = [Resource("rule", f"r{i}", {"port": 2000 + i}) for i in range(10)]
world = MemoryProvider(rules)
loop = Loop("lab", CallableSource(lambda: rules[:4], name="rules.yaml"), world,
            Policy.model_validate({"guards": {"max_deletes": {"max": 3}, "desired_shrink": False}}),
            actuator=world, approver=StoreApprover(store), kill_switch=lambda: store.kill_switch("lab"),
            store=store)
held = run_once(loop, now=time.time()).record
print(f"deleted {held.applied_delete}; request {held.approval_request} for {held.blocked} deletes")

# %% [markdown]
# The panel lists the request with its delete set. Type your name in *by* and press **approve**
# (or **deny**). The answer is bound to this exact set of keys: if the set changes, the loop asks
# again.

# %%
panel = ApprovalPanel(store, loop="lab", by="")
panel

# %% [markdown]
# ### Exercise 2
#
# Approve the request (in the panel, or from code: `panel.by.value = "me"` and
# `panel.approve_button.click()`), run one more cycle, and check that exactly the six held rules
# are gone. What would `recon approvals --state <store>` print now?

# %%
# run_once(loop, now=time.time())

# %% tags=["solution"] jupyter={"source_hidden": true}
if store.get_approval(held.approval_request) is None:
    panel.by.value = "workshop"
    panel.approve_button.click()
after = run_once(loop, now=time.time()).record
assert after.applied_delete == 6 and sorted(n for _, n in world.snapshot()) == ["r0", "r1", "r2", "r3"]
print(f"approved by {after.approved_by}: deleted {after.applied_delete};",
      [(r.request.id, r.status) for r in store.requests("lab")])

# %% [markdown]
# ## Takeaways
#
# - Caps trade speed for blast radius: N changes take ⌈N / c⌉ cycles, and a wrong diff can do at
#   most c changes of damage per cycle before someone notices.
# - A held delete set is a question to a human, answered once for exactly that set.
# - The approval lives in a store shared by the loop, the CLI and the widgets.
