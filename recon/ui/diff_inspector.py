"""DiffInspector: one decision as a filterable table, a field-level diff, and the guard verdicts.

The widget only shows a :class:`~recon.core.decision.Decision`; it never computes a plan, loads a
state or writes anywhere. Filters are by operation (create / update / delete / unchanged), kind and
a name pattern; picking a resource shows what would change field by field, and what the guards
decided for it (in the batch, deferred, or blocked and by which guard).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import ipywidgets as widgets

from recon.core.decision import Decision
from recon.core.model import Key, Resource
from recon.core.plan import Change
from recon.core.report import fates
from recon.core.text import for_html, visible
from recon.ui.render import OP_COLOURS, table, value_text, verdict_banner

OPS = ("create", "update", "delete", "unchanged")
ALL_KINDS = "(all kinds)"


@dataclass(frozen=True)
class Row:
    """One line of the table: what the plan wants for a key and what the decision does with it."""

    op: str
    kind: str
    name: str
    fate: str
    change: Change | None

    @property
    def key(self) -> Key:
        return (self.kind, self.name)


def rows_of(decision: Decision) -> list[Row]:
    """Every key of the plan with its operation and fate, in the plan's order."""
    plan = decision.plan
    if plan is None:
        return []
    by_key = fates(decision)

    def words(k: Key) -> str:
        f = by_key.get(k)
        if f is None:
            return "not executed"
        if f.status == "apply":
            return "in this cycle's batch"
        return f"deferred: {f.reason}" if f.status == "deferred" else f"blocked by {f.guard}: {f.reason}"

    rows = [Row(c.op.value, c.key[0], c.key[1], words(c.key), c) for c in plan.changes]
    rows += [Row("unchanged", k[0], k[1], "in sync", None) for k in plan.unchanged]
    return rows


def _spec_rows(r: Resource, column: str) -> list[tuple[str, str, str]]:
    out = [(path, *((value_text(v), "—") if column == "old" else ("—", value_text(v))))
           for path, v in sorted(r.spec.items())]
    if r.owner is not None:
        out.append(("owner", *((r.owner, "—") if column == "old" else ("—", r.owner))))
    return out


def field_table(row: Row) -> str:
    """HTML for one resource: every changed field with observed and desired values."""
    title = f"<b>{for_html(row.op)} {for_html(row.kind)}/{for_html(row.name)}</b> — {for_html(row.fate)}"
    c = row.change
    if c is None:
        return title + "<br><i>observed matches desired; nothing to change</i>"
    if row.op == "create":
        fields = _spec_rows(c.target, "new")
    elif row.op == "delete":
        fields = _spec_rows(c.target, "old")
    else:
        fields = [(f.path, value_text(f.old), value_text(f.new)) for f in c.fields]
    return title + table(("field", "observed", "desired"), fields, "recon-fields")


class DiffInspector(widgets.VBox):
    """Explore one decision: filter the plan, pick a resource, read every guard's verdict."""

    def __init__(self, decision: Decision, title: str = "") -> None:
        self.decision = decision
        self._all = rows_of(decision)
        counts = {op: sum(1 for r in self._all if r.op == op) for op in OPS}
        self.op_filter = {op: widgets.Checkbox(value=op != "unchanged", description=f"{op} ({counts[op]})",
                                               indent=False, layout=widgets.Layout(width="auto"))
                          for op in OPS}
        kinds = sorted({r.kind for r in self._all})
        # Labels are shown as text with control characters visible; values stay the real kinds.
        self.kind_filter = widgets.Dropdown(options=[(ALL_KINDS, ALL_KINDS), *((visible(k), k) for k in kinds)],
                                            value=ALL_KINDS, description="kind")
        self.name_filter = widgets.Text(value="", placeholder="glob or substring", description="name")
        self.table = widgets.HTML()
        self.picker = widgets.Select(options=[], rows=8, description="resource",
                                     layout=widgets.Layout(width="95%"))
        self.detail = widgets.HTML()
        summary = ", ".join(f"{counts[op]} {op}" for op in OPS)
        self.banner = widgets.HTML(verdict_banner(decision.verdicts, f"{title}: {summary}" if title else summary))
        self.banner.add_class("recon-verdict-banner")
        for w in (*self.op_filter.values(), self.kind_filter, self.name_filter):
            w.observe(self._refresh, names="value")
        self.picker.observe(self._show, names="value")
        filters = widgets.HBox([*self.op_filter.values(), self.kind_filter, self.name_filter])
        super().__init__([self.banner, filters, self.table, self.picker, self.detail])
        self._refresh()

    @property
    def rows(self) -> list[Row]:
        """The rows the current filters let through."""
        ops = {op for op, box in self.op_filter.items() if box.value}
        kind = self.kind_filter.value
        pattern = self.name_filter.value.strip()
        out = []
        for r in self._all:
            if r.op not in ops or (kind != ALL_KINDS and r.kind != kind):
                continue
            if pattern and not (fnmatch.fnmatchcase(r.name, pattern) or pattern in r.name):
                continue
            out.append(r)
        return out

    def select(self, key: Key) -> None:
        """Show the field-level diff of *key* (it must pass the current filters)."""
        for label, row in self.picker.options:
            if row.key == key:
                self.picker.value = row
                return
        raise KeyError(f"{key[0]}/{key[1]} is not among the rows the current filters show")

    def _refresh(self, _change: object = None) -> None:
        rows = self.rows
        self.table.value = (f"<div>{len(rows)} of {len(self._all)} resources</div>"
                            + table(("op", "kind", "name", "what the guards decided"),
                                    [((r.op, OP_COLOURS[r.op]), r.kind, r.name, r.fate) for r in rows]))
        current = self.picker.value
        self.picker.options = [(visible(f"{r.op:<9} {r.kind}/{r.name}"), r) for r in rows]
        if current in rows:
            self.picker.value = current
        elif rows:
            self.picker.value = rows[0]
        else:
            self.picker.value = None
            self._show()

    def _show(self, _change: object = None) -> None:
        row = self.picker.value
        self.detail.value = field_table(row) if row is not None else "<i>no resource selected</i>"
