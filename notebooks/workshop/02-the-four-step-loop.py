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
# # Workshop 2 — The four-step loop (about 20 minutes)
#
# Every reconciliation loop has the same skeleton: **read** the desired state, **observe** the
# actual state, **diff** the two, **converge** by applying the difference. This notebook takes the
# skeleton apart with recon's engine: each step is a piece you can hold and inspect.

# %% tags=["parameters"]
examples = "../../examples"  # desired.yaml and observed.yaml: a small DNS zone

# %%
from pathlib import Path

from recon.core.cycle import run_cycle
from recon.core.effects import Apply, CheckKillSwitch, Delete, LoadDesired, Observe, WriteResult
from recon.core.decision import decide
from recon.core.guards import GuardContext
from recon.core.model import index
from recon.core.plan import diff
from recon.core.policy import Policy, RunMode
from recon.core.record import LoopState
from recon.drivers.loop import drive
from recon.providers.snapshot import SnapshotObserver
from recon.sources.inventory import load_inventory, parse_inventory
from recon.ui import DiffInspector

# %% [markdown]
# ## Step 1 — read the desired state
#
# Desired state is data: an inventory file lists resources by `kind`, `name` and `spec`. A load
# that fails is an *error*, never an empty list (workshop 3 shows why that matters).

# %%
desired = load_inventory(Path(examples) / "desired.yaml")
for key, r in desired.resources.items():
    print(key, dict(r.spec))

# %% [markdown]
# ## Step 2 — observe the actual state
#
# Here the "provider" is a saved snapshot of the zone. A real provider (DNS by AXFR, PostgreSQL
# roles, nftables rules) returns the same kind of object, plus a flag saying whether it saw
# everything.

# %%
observed = SnapshotObserver(Path(examples) / "observed.yaml").observe()
print(len(observed), "observed;", len(desired), "desired; complete:", observed.complete)

# %% [markdown]
# ## Step 3 — diff
#
# The diff is a pure function of the two states: creates (desired, not observed), deletes
# (observed, not desired) and updates (both, but different), with field-level differences.
# The order of `values` carries no meaning and is normalised away.

# %%
plan = diff(desired.resources, observed.resources)
print(plan.counts(), "unchanged:", len(plan.unchanged))
for change in plan.changes:
    print(change.op.value, change.key, [(f.path, f.old, f.new) for f in change.fields])

# %% [markdown]
# ## Step 4 — converge, but decide first
#
# Before anything is applied, recon's guards look at the plan in context and decide what may run
# this cycle. The inspector below shows the plan, what the guards decided for each resource, and
# every verdict with its reason. Untick *delete*, filter by kind, pick `A/www` to see its fields.

# %%
ctx = GuardContext(now=0.0, loop="zone", desired_count=len(desired), observed_count=len(observed),
                   desired_source="desired.yaml")
decision = decide(plan, ctx, Policy())
DiffInspector(decision, title="example zone")

# %% [markdown]
# ## The cycle as a list of effects
#
# recon writes the cycle once, as a generator that *asks* for things (check the kill switch, load
# desired, observe, apply, delete) instead of doing them. A driver answers: the real-time driver
# against real systems, the simulator in simulated time. Here we answer by hand and print every
# request, which is exactly the four steps (plus the kill switch, checked first).

# %%
def answer(effect):
    """Play the driver: answer each request the cycle makes, and say what it was."""
    target = f" {effect.change.key}" if isinstance(effect, (Apply, Delete)) else ""
    print("loop asks:", type(effect).__name__ + target)
    if isinstance(effect, CheckKillSwitch):
        return False
    if isinstance(effect, LoadDesired):
        return desired
    if isinstance(effect, Observe):
        return observed
    if isinstance(effect, (Apply, Delete)):
        return WriteResult(True)  # pretend the write worked
    return None


result = drive(run_cycle("zone", Policy(), LoopState(), now=0.0, mode=RunMode.ENFORCE), answer)
record, state = result.record, result.state
print(f"applied: {record.applied_create} create, {record.applied_update} update, {record.applied_delete} delete")

# %% [markdown]
# ### Exercise
#
# Write a desired state (as inventory text; `parse_inventory(text, "mine.yaml")` gives its
# resources and `index(...)` keys them for `diff`) in
# which `api` has a TTL of 30 instead of 60, `mail` is gone, and a new `A` record `vpn`
# (10.0.0.50) exists; keep the rest as in `desired.yaml`. Predict the plan's counts against the
# observed zone, then check.

# %%
text = """
resources: []
"""
# mine = index(parse_inventory(text, "mine.yaml"), "mine.yaml")
# diff(mine, observed.resources).counts()

# %% tags=["solution"] jupyter={"source_hidden": true}
text = """
resources:
  - {kind: A, name: www, spec: {ttl: 300, values: [10.0.0.10, 10.0.0.11]}, owner: dns-loop}
  - {kind: A, name: api, spec: {ttl: 30, values: [10.0.0.20]}, owner: dns-loop}
  - {kind: CNAME, name: docs, spec: {ttl: 300, values: [www.example.test.]}, owner: dns-loop}
  - {kind: MX, name: "@", spec: {ttl: 3600, values: ["10 mail.example.test."]}, owner: dns-loop}
  - {kind: A, name: vpn, spec: {ttl: 300, values: [10.0.0.50]}, owner: dns-loop}
"""
mine = index(parse_inventory(text, "mine.yaml"), "mine.yaml")
counts = diff(mine, observed.resources).counts()
# creates docs and vpn; updates www (values) and api (ttl); deletes mail, legacy and hand-made
assert counts == {"create": 2, "update": 2, "delete": 3}, counts
print(counts)

# %% [markdown]
# ## Takeaways
#
# - Read, observe, diff, converge: four steps, and only the last one touches the world.
# - The diff is pure data; you can print it, test it, and show it to a human before acting.
# - Between diff and converge sits a decision: the guards of the next two workshops.
