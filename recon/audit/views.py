"""Tables and text the audit notebook shows, built from the ``audit.json`` record alone.

Because they read only the record, what the notebook shows is exactly what a scheduler reads.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from recon.core.policy import Outcome


def _fields_text(change: dict[str, Any]) -> str:
    return "; ".join(f"{f['path']}: {f['old']!r} → {f['new']!r}" for f in change.get("fields", ()))


def changes_frame(data: dict[str, Any]) -> pd.DataFrame:
    """Every change the plan wants, with its field-level diff and what the guards decided for it."""
    def words(fate: dict[str, Any]) -> str:
        if fate["status"] == "apply":
            return "would apply now"
        if fate["status"] == "deferred":
            return f"deferred: {fate['reason']}"
        return f"blocked by {fate['guard']}: {fate['reason']}" if fate["guard"] else fate["status"]

    rows = [{"op": c["op"], "kind": c["kind"], "name": c["name"], "fields": _fields_text(c),
             "decision": words(c["fate"])} for c in data.get("changes", ())]
    return pd.DataFrame(rows, columns=["op", "kind", "name", "fields", "decision"])


def guards_frame(data: dict[str, Any]) -> pd.DataFrame:
    """Every guard's verdict, in evaluation order."""
    return pd.DataFrame(data.get("guards", ()), columns=["name", "outcome", "reason"])


def summary_markdown(data: dict[str, Any]) -> str:
    """A short Markdown headline: the loop, what it would do, the exit code and any alert."""
    lines = [f"### Audit of loop `{data['loop']}` ({data.get('provider') or 'provider unknown'}): "
             f"**{data['status']}** (exit {data['exit_code']})", ""]
    if data.get("error"):
        lines.append(f"**The audit failed:** {data['error']}")
    else:
        c = data["counts"]
        obs = data.get("observation") or {}
        complete = "complete" if obs.get("complete") else f"**incomplete**: {obs.get('reason')}"
        lines.append(f"Desired {data['desired']['count']} resources, observed {obs.get('count')} ({complete}). "
                     f"The loop would create {c['create']}, update {c['update']} and delete {c['delete']}; "
                     f"{data['unchanged']} are in sync.")
        tripped = [g["name"] for g in data["guards"] if Outcome(g["outcome"]).tripped]
        lines.append("")
        lines.append(f"Guards tripped: {', '.join(tripped)}." if tripped else "No guard tripped.")
    for a in data.get("alerts", ()):
        lines += ["", f"- **ALERT** {a}"]
    h = data.get("history") or {}
    if h.get("store"):
        lines += ["", f"History: run {h['run']} of {h['runs']} in `{h['store']}`; "
                      f"drift found in the last {h['drift_streak']} runs in a row."]
    return "\n".join(lines)
