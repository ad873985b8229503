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
# # Loop console
#
# One loop, three widgets: what the loop would do now (an observe-only plan, nothing is written to
# the provider), the approval requests it has filed, and its kill switch. The approval panel and
# the switch write to the loop's state store, the same one `recon approve`, `recon approvals` and
# `recon pause` use, so an answer given here is what `recon watch` sees on its next cycle.
#
# Serve it as an app with `RECON_LOOP=path/to/LOOP.yaml voila notebooks/explore/loop-console.ipynb`.

# %% tags=["parameters"]
loop_config = ""  # a LOOP.yaml; empty: $RECON_LOOP, else the snapshot example

# %%
import os
import time
from pathlib import Path

from recon.config import build_loop, load_loop_config
from recon.core.text import visible
from recon.drivers.loop import plan_once
from recon.ui import ApprovalPanel, DiffInspector, KillSwitchToggle

path = Path(loop_config or os.environ.get("RECON_LOOP") or "../../examples/loop-snapshot.yaml")
cfg, base = load_loop_config(path)
loop = build_loop(cfg, base)
result = plan_once(loop, time.time())  # observe-only and persisting nothing, whatever the config says
record, decision = result.record, result.decision
print(visible(f"loop {cfg.name}: state store {loop.store.path}"))  # names are shown, never interpreted

# %% [markdown]
# ## The plan and every guard's verdict
#
# Filter by operation, kind or name; pick a resource to see its fields, observed → desired.

# %%
DiffInspector(decision, title=f"loop {cfg.name}")

# %% [markdown]
# ## Approval requests
#
# A held delete set is approved or denied as one set: the approval covers exactly these keys and
# expires after the loop's `approval_ttl`. Say who you are in *by*.

# %%
ApprovalPanel(loop.store, loop=cfg.name, ttl=loop.policy.approval_ttl)

# %% [markdown]
# ## Kill switch
#
# Engaged, every cycle of this loop does nothing at all until it is released.

# %%
KillSwitchToggle(loop.store, cfg.name)
