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
# # Workshop 4 — Guards (about 25 minutes)
#
# A guard looks at a plan in context and gives a verdict: allow, hold for approval, suppress
# deletes, defer, exclude, or abort. recon evaluates nine of them in a fixed order every cycle and
# records every verdict with its reason, tripped or not. Here you meet each one on a small zone and
# then fit two of them to a loop yourself.
#
# | guard | trips when | effect |
# |---|---|---|
# | `kill_switch` | the switch is engaged | the cycle does nothing |
# | `desired_error` | the desired source raised | no changes this cycle |
# | `empty_desired` | desired is empty while resources exist | abort |
# | `desired_shrink` | desired fell by more than a fraction since the last accepted state | hold deletes (or abort) |
# | `incomplete_observation` | the provider saw only part of the world | no deletes this cycle |
# | `ownership` | a change targets a resource without the loop's owner marker | never touched |
# | `protected` | a change targets a protected resource | never touched |
# | `max_deletes` | deletes exceed a cap or a fraction of observed | hold (or abort) |
# | `max_changes` | changes exceed the per-cycle cap | the rest waits for later cycles |

# %% tags=["parameters"]
examples = "../../examples"

# %%
from pathlib import Path

from recon.core.decision import decide
from recon.core.guards import GuardContext
from recon.core.model import Observation, Resource
from recon.core.plan import diff
from recon.core.policy import Policy
from recon.providers.snapshot import SnapshotObserver
from recon.sources.inventory import load_inventory
from recon.ui import DiffInspector

desired = load_inventory(Path(examples) / "desired.yaml")
observed = SnapshotObserver(Path(examples) / "observed.yaml").observe()


def decision_for(policy: Policy, desired=desired, observed=observed, **ctx):
    """Plan and decide one cycle of the example zone under *policy*."""
    plan = diff(desired.resources, observed.resources)
    context = GuardContext(now=0.0, loop="zone", desired_count=len(desired), observed_count=len(observed),
                           desired_source="desired.yaml", observation_complete=observed.complete,
                           observation_reason=observed.reason, **ctx)
    return decide(plan, context, policy)

# %% [markdown]
# ## Ownership: never delete what you did not create
#
# The zone holds a TXT record `hand-made` that nobody declared: someone made it by hand. Without
# an owner id the loop counts everything in scope as its own and would delete it. With
# `owner_id`, it deletes only resources carrying its marker and reports the rest as unmanaged.

# %%
print("no owner id:", [c.key for c in decision_for(Policy()).batch if c.op.value == "delete"])
owned = decision_for(Policy(owner_id="dns-loop"))
print("owner id dns-loop:", [c.key for c in owned.batch if c.op.value == "delete"])
DiffInspector(owned, title="owner_id dns-loop")

# %% [markdown]
# ## The delete cap: a human looks at big delete sets
#
# `max_deletes` holds a delete set larger than its cap (or than a fraction of what exists) and
# files an approval request for exactly that set. Nothing is deleted until someone approves.

# %%
capped = decision_for(Policy.model_validate({"guards": {"max_deletes": {"max": 1}}}))
print([(v.guard, v.outcome.value, v.reason) for v in capped.tripped])
print("approval request:", capped.approval_request.id, capped.approval_request.keys)

# %% [markdown]
# ## An incomplete observation is not a short list
#
# If the provider could not see everything (a page failed, a zone transfer broke off), the keys
# it missed look like deletes to a naive diff. recon's providers flag such observations, and the
# guard suppresses every delete that cycle.

# %%
partial = Observation.of(list(observed.resources.values())[:3], complete=False,
                         reason="AXFR ended before the closing SOA")
print([(v.guard, v.outcome.value, v.reason) for v in decision_for(Policy(), observed=partial).tripped])

# %% [markdown]
# ### Exercise 1
#
# The MX record at the apex routes the company's mail; nobody should ever change or delete it
# through this loop. Write a policy with a `protected` selector (`{"kind": ..., "name": ...}`,
# globs allowed) and check that the decision blocks it. Start from a desired state without the MX
# record, so the loop wants to delete it.

# %%
without_mx = load_inventory(Path(examples) / "desired.yaml")
without_mx = type(without_mx).of([r for r in without_mx.resources.values() if r.kind != "MX"], source="no-mx")
# policy = Policy.model_validate({"guards": {"protected": {"selectors": [...]}}})

# %% tags=["solution"] jupyter={"source_hidden": true}
policy = Policy.model_validate({"guards": {"protected": {"selectors": [{"kind": "MX", "name": "@"}]}}})
d = decision_for(policy, desired=without_mx)
assert ("MX", "@") not in {c.key for c in d.batch}
assert any(b.change.key == ("MX", "@") and b.guard == "protected" for b in d.blocked)
print([(b.change.key, b.guard) for b in d.blocked])

# %% [markdown]
# ### Exercise 2
#
# The shrink guard compares this cycle's desired count with the last *accepted* one. Suppose the
# last accepted desired state had 12 records and today's has 5. With the default threshold (30%),
# what does `desired_shrink` decide? Pass `last_accepted_desired=12` to `decision_for` and check.
# Then find the smallest `max_fraction` that lets the cycle through.

# %%
# decision_for(Policy(), last_accepted_desired=12).tripped

# %% tags=["solution"] jupyter={"source_hidden": true}
held = decision_for(Policy(), last_accepted_desired=12)
assert any(v.guard == "desired_shrink" and v.outcome.value == "hold" for v in held.verdicts)
fall = (12 - 5) / 12  # 58%
lets_through = Policy.model_validate({"guards": {"desired_shrink": {"max_fraction": 0.6}}})
assert all(v.guard != "desired_shrink" for v in decision_for(lets_through, last_accepted_desired=12).tripped)
print(f"desired fell {fall:.0%}: held at 30%, allowed from max_fraction {fall:.2f} up")

# %% [markdown]
# ## Takeaways
#
# - Every guard gives a verdict every cycle, tripped or not, with a reason you can read later.
# - Ownership and protection say what a loop may never touch; caps and shrink checks say when a
#   human must look first; an incomplete observation never turns into deletes.
# - Which thresholds are right for *your* loop is an empirical question: workshop 5 and the
#   threshold tuner answer it by simulation.
