"""Tables and text the audit notebook shows, built from the ``audit.json`` record alone.

Because they read only the record, what the notebook shows is exactly what a scheduler reads. Text
from the record is shown with control characters as escapes, and HTML is escaped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from recon.core.policy import Outcome
from recon.core.text import for_html, visible


def _fields_text(change: dict[str, Any]) -> str:
    return visible("; ".join(f"{f['path']}: {f['old']!r} → {f['new']!r}" for f in change.get("fields", ())))


def changes_frame(data: dict[str, Any]) -> pd.DataFrame:
    """Every change the plan wants, with its field-level diff and what the guards decided for it."""
    def words(fate: dict[str, Any]) -> str:
        if fate["status"] == "apply":
            return "would apply now"
        if fate["status"] == "deferred":
            return f"deferred: {fate['reason']}"
        return f"blocked by {fate['guard']}: {fate['reason']}" if fate["guard"] else fate["status"]

    rows = [{"op": c["op"], "kind": visible(c["kind"]), "name": visible(c["name"]), "fields": _fields_text(c),
             "decision": visible(words(c["fate"]))} for c in data.get("changes", ())]
    return pd.DataFrame(rows, columns=["op", "kind", "name", "fields", "decision"])


def guards_frame(data: dict[str, Any]) -> pd.DataFrame:
    """Every guard's verdict, in evaluation order."""
    rows = [{k: visible(g.get(k)) for k in ("name", "outcome", "reason")} for g in data.get("guards", ())]
    return pd.DataFrame(rows, columns=["name", "outcome", "reason"])


def summary_html(data: dict[str, Any]) -> str:
    """A short HTML headline: the loop, what it would do, the exit code and any alert.

    Every value from the record is escaped, and the block is marked for MathJax to leave alone, so a
    name with ``<tags>`` or ``$...$`` in it shows as written.
    """
    e = for_html
    parts = [f"<h3>Audit of loop <code>{e(data['loop'])}</code> ({e(data.get('provider') or 'provider unknown')}): "
             f"<b>{e(data['status'])}</b> (exit {e(data['exit_code'])})</h3>"]
    if data.get("error"):
        parts.append(f"<p><b>The audit failed:</b> {e(data['error'])}</p>")
    else:
        c = data["counts"]
        obs = data.get("observation") or {}
        complete = "complete" if obs.get("complete") else f"<b>incomplete</b>: {e(obs.get('reason'))}"
        parts.append(f"<p>Desired {e(data['desired']['count'])} resources, observed {e(obs.get('count'))} "
                     f"({complete}). The loop would create {e(c['create'])}, update {e(c['update'])} and delete "
                     f"{e(c['delete'])}; {e(data['unchanged'])} are in sync.</p>")
        tripped = [g["name"] for g in data["guards"] if Outcome(g["outcome"]).tripped]
        parts.append(f"<p>Guards tripped: {e(', '.join(tripped))}.</p>" if tripped else "<p>No guard tripped.</p>")
    alerts = "".join(f"<li><b>ALERT</b> {e(a)}</li>" for a in data.get("alerts", ()))
    if alerts:
        parts.append(f"<ul>{alerts}</ul>")
    h = data.get("history") or {}
    if h.get("store"):
        parts.append(f"<p>History: run {e(h['run'])} of {e(h['runs'])} in <code>{e(h['store'])}</code>; "
                     f"drift found in the last {e(h['drift_streak'])} runs in a row.</p>")
    return f"<div class='recon-audit-summary tex2jax_ignore'>{''.join(parts)}</div>"
