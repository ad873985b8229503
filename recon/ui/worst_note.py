"""The tuner's worst-case line: what the adversary gets out of the sliders' setting, and how sure.

Computes nothing itself: it formats a ``recon.analysis.worstcase.WorstCase`` as HTML.
"""

from __future__ import annotations

from typing import Any

from recon.core.text import for_html


def worst_html(case: Any) -> str:
    """One line: the worst case's wrongful deletes, its horizon, and whether it is exact or a lower bound."""
    s = case.summary()
    n = int(s["wrongful_deletes"])
    colour = "#cf222e" if n else "#1a7f37"
    bound = s["upper_bound"]
    how = "exact" if s["proof"] else f"at least; at most {bound if bound is not None else 'unbounded'}"
    tripped = ", ".join(s["guards_tripped"]) or "none"
    return (f"<div class='recon-worst-case' style='font-family:monospace'><b>worst case</b> "
            f"<span class='recon-worst' style='color:{colour}'>{n}</span> wrongful deletes in "
            f"{s['horizon']} cycles ({for_html(how)}); guards tripped on the way: {for_html(tripped)}</div>")
