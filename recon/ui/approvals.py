"""ApprovalPanel: held delete sets from the state store, approved or denied by a named human.

The panel reads and writes the same :class:`~recon.store.StateStore` that ``recon approvals``,
``recon approve`` and ``recon deny`` use, so an answer given here is the answer the loop sees on
its next cycle. It never approves on its own: nothing is written without a click and a name.
"""

from __future__ import annotations

import getpass

import ipywidgets as widgets

from recon.core.policy import APPROVAL_TTL
from recon.core.text import for_html, plural, visible
from recon.store.sqlite import PendingRequest, StateStore
from recon.ui.render import table

OPEN = ("pending", "expired")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the human types one
        return ""


class ApprovalPanel(widgets.VBox):
    """Pending approval requests with their delete sets, and approve / deny buttons."""

    def __init__(self, store: StateStore, loop: str | None = None, by: str | None = None,
                 ttl: float = APPROVAL_TTL) -> None:
        self.store = store
        self.loop = loop
        self.ttl = ttl
        self.show_decided = widgets.Checkbox(value=False, description="show decided", indent=False)
        self.requests = widgets.Select(options=[], rows=6, description="requests",
                                       layout=widgets.Layout(width="95%"))
        self.details = widgets.HTML()
        self.by = widgets.Text(value=current_user() if by is None else by, description="by")
        self.approve_button = widgets.Button(description="approve", button_style="danger", icon="check")
        self.deny_button = widgets.Button(description="deny", icon="times")
        self.refresh_button = widgets.Button(description="refresh", icon="refresh")
        self.message = widgets.HTML()
        self.approve_button.on_click(lambda _b: self._answer(True))
        self.deny_button.on_click(lambda _b: self._answer(False))
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.show_decided.observe(lambda _c: self.refresh(), names="value")
        self.requests.observe(self._show, names="value")
        buttons = widgets.HBox([self.by, self.approve_button, self.deny_button, self.refresh_button,
                                self.show_decided])
        super().__init__([self.requests, self.details, buttons, self.message])
        self.refresh()

    def listed(self) -> list[PendingRequest]:
        """The requests the panel lists: open ones, or all when *show decided* is ticked."""
        reqs = self.store.requests(self.loop)
        return reqs if self.show_decided.value else [r for r in reqs if r.status in OPEN]

    def refresh(self) -> None:
        """Re-read the store (another shell or the loop itself may have changed it)."""
        reqs = self.listed()
        current = self.requests.value
        self.requests.options = [
            (visible(f"{r.request.id}  {r.request.loop}  {r.status}  {plural(len(r.request.keys), 'delete')}  "
                     f"({r.request.guard})"), r.request.id) for r in reqs]
        ids = [r.request.id for r in reqs]
        self.requests.value = current if current in ids else (ids[0] if ids else None)
        self._show()

    def _selected(self) -> PendingRequest | None:
        rid = self.requests.value
        return next((r for r in self.store.requests(self.loop) if r.request.id == rid), None) if rid else None

    def _show(self, _change: object = None) -> None:
        r = self._selected()
        self.approve_button.disabled = self.deny_button.disabled = r is None
        if r is None:
            self.details.value = "<i>no open approval requests</i>"
            return
        who = f"; {r.status} by {for_html(r.approval.by)}" if r.approval else ""
        self.details.value = (
            f"<b>request {for_html(r.request.id)}</b> for loop {for_html(r.request.loop)} "
            f"({for_html(r.status)}{who})<br>held by {for_html(r.request.guard)}: {for_html(r.request.reason)}<br>"
            f"{plural(len(r.request.keys), 'delete')}, approved or denied as one set:"
            + table(("kind", "name"), r.request.keys, "recon-delete-set"))

    def _answer(self, granted: bool) -> None:
        r = self._selected()
        by = self.by.value.strip()
        if r is None:
            self.message.value = "<span style='color:#cf222e'>select a request first</span>"
            return
        if not by:
            self.message.value = "<span style='color:#cf222e'>say who decides (the <b>by</b> field)</span>"
            return
        a = self.store.decide(r.request.id, granted, by, self.ttl)
        word = "approved" if granted else "denied"
        ttl = f", valid for {self.ttl:g}s" if granted else ""
        self.message.value = f"{word} {for_html(a.request_id)} by {for_html(a.by)}{ttl}"
        self.refresh()
