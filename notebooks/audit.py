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
# # Audit of a reconciliation loop (observe-only)
#
# `recon audit LOOP.yaml --out DIR` runs this notebook on a schedule. It plans the loop against its
# real provider without writing anything, shows what the loop would create, update and delete today
# and which guard would trip, and plots how drift moved across earlier audits. The result record is
# `audit.json` beside this notebook's output; the command's exit code is the record's `exit_code`
# (0 in sync, 2 changes pending, 3 a guard blocks or holds, 1 the audit failed).
#
# Credentials are never parameters: papermill copies parameters into the output notebook. The
# provider reads them from the environment or from files its config names, as `recon plan` does.

# %% tags=["parameters"]
loop_config = "../examples/loop-snapshot.yaml"  # the loop to audit
out_dir = "../out/audit"  # where audit.json is written
history_url = ""  # SQLAlchemy URL of the history store, no password in it; empty: SQLite beside the loop config
alert_deletes = 10  # alert when the loop would make at least this many deletes
alert_changes = 50  # alert when at least this many changes are pending
alert_drift_runs = 3  # alert when drift is found in this many audits in a row

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import HTML, display

from recon.audit import Thresholds, audit_loop
from recon.audit.trend import plot_drift_trend, trend_frame
from recon.audit.views import changes_frame, guards_frame, summary_html

pd.set_option("display.html.use_mathjax", False)  # a name with $...$ in it shows as written, not as math
result = audit_loop(loop_config, out_dir, history_url or None,
                    Thresholds(alert_deletes, alert_changes, alert_drift_runs))
display(HTML(summary_html(result.data)))

# %% [markdown]
# ## What the loop would change
#
# Every create, update and delete of the plan, with the fields that differ (observed → desired)
# and what the guards decided for it.

# %%
changes_frame(result.data)

# %% [markdown]
# ## Guard verdicts
#
# Every guard in evaluation order. `hold` and `suppress_deletes` keep deletes from happening;
# `exclude` marks resources the loop never touches (unmanaged or protected).

# %%
guards_frame(result.data)

# %% [markdown]
# ## Drift across audits
#
# One row per audit of this loop in the history store, oldest first. Drift is what the loop would
# change: creates + updates + deletes. Failed audits are marked with ×.

# %%
trend_frame(result.runs)

# %%
plot_drift_trend(result.runs, f"drift of loop {result.data['loop']}")
