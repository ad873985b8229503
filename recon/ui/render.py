"""HTML fragments and images the widgets show: verdict banners, tables, figures as PNG.

Widgets render into ``HTML`` and ``Image`` values rather than ``Output`` areas, so what a widget
shows is plain data that tests can read without a front end. Nothing here talks to a store or
runs a simulation; every string that came from the outside is escaped.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from recon.core.model import thaw
from recon.core.policy import Outcome, Verdict
from recon.core.text import for_html

OP_COLOURS = {"create": "#1a7f37", "update": "#9a6700", "delete": "#cf222e", "unchanged": "#57606a"}
OUTCOME_COLOURS = {
    Outcome.ALLOW: "#1a7f37", Outcome.DISABLED: "#8c959f", Outcome.DEFER: "#9a6700",
    Outcome.EXCLUDE: "#9a6700", Outcome.HOLD: "#cf222e", Outcome.SUPPRESS_DELETES: "#cf222e",
    Outcome.ABORT: "#cf222e", Outcome.PAUSE: "#cf222e",
}


def value_text(value: Any) -> str:
    """A frozen spec value as short, readable text (lists and mappings as their plain form)."""
    if value is None:
        return "—"
    v = thaw(value)
    return repr(v) if isinstance(v, (list, dict, str)) else str(v)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], css_class: str = "recon-table") -> str:
    """An escaped HTML table; a cell given as ``(text, colour)`` is shown in that colour."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{for_html(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, tuple):
                text, colour = cell
                cells.append(f"<td style='padding:2px 8px;color:{colour}'>{for_html(str(text))}</td>")
            else:
                cells.append(f"<td style='padding:2px 8px'>{for_html(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table class='{css_class}' style='border-collapse:collapse;font-family:monospace'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def verdict_banner(verdicts: Sequence[Verdict], headline: str = "") -> str:
    """Every guard verdict with its outcome and reason; tripped guards first catch the eye by colour."""
    tripped = [v for v in verdicts if v.outcome.tripped]
    state = (f"{len(tripped)} guard{'s' if len(tripped) != 1 else ''} tripped: "
             + ", ".join(f"{v.guard} ({v.outcome.value})" for v in tripped)) if tripped else "no guard tripped"
    colour = "#cf222e" if any(v.outcome.blocks for v in tripped) else ("#9a6700" if tripped else "#1a7f37")
    rows = [(v.guard, (v.outcome.value, OUTCOME_COLOURS[v.outcome]), v.reason) for v in verdicts]
    head = f"<b>{for_html(headline)}</b><br>" if headline else ""
    return (f"<div class='recon-verdicts' style='border-left:4px solid {colour};padding:4px 8px'>"
            f"{head}<span style='color:{colour}'>{for_html(state)}</span>"
            f"{table(('guard', 'outcome', 'reason'), rows)}</div>")


def figure_png(fig: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes (figures here are built without pyplot, so there is nothing to close)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()
