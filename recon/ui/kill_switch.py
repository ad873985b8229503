"""KillSwitchToggle: the one-click back-out path for a loop, bound to the state store's switch.

Engaging it is what ``recon pause LOOP`` does; releasing it is ``recon resume LOOP``. The widget
re-reads the store after every click, because the switch for every loop (``*``) can keep a loop
paused whatever this loop's own switch says.
"""

from __future__ import annotations

import ipywidgets as widgets

from recon.core.text import for_html
from recon.store.sqlite import StateStore
from recon.ui.approvals import current_user


class KillSwitchToggle(widgets.HBox):
    """The kill switch of one loop: engaged, its cycles do nothing until released."""

    def __init__(self, store: StateStore, loop: str, by: str | None = None) -> None:
        self.store = store
        self.loop = loop
        self.by = current_user() if by is None else by
        self.reason = widgets.Text(value="", placeholder="why (recorded)", description="reason")
        self.toggle = widgets.ToggleButton(value=store.kill_switch(loop), description="kill switch",
                                           icon="power-off")
        self.status = widgets.HTML()
        self.toggle.observe(self._flip, names="value")
        super().__init__([self.toggle, self.reason, self.status])
        self._show()

    @property
    def engaged(self) -> bool:
        return self.store.kill_switch(self.loop)

    def refresh(self) -> None:
        """Re-read the switch from the store (`recon pause` in a shell changes it too)."""
        self.toggle.unobserve(self._flip, names="value")
        self.toggle.value = self.engaged
        self.toggle.observe(self._flip, names="value")
        self._show()

    def _flip(self, change: dict) -> None:
        self.store.set_kill_switch(self.loop, bool(change["new"]), self.reason.value.strip(), self.by)
        self.refresh()

    def _show(self) -> None:
        engaged = self.engaged
        self.toggle.button_style = "danger" if engaged else ""
        if engaged and self._everywhere():
            text = "engaged for every loop (*): release it with `recon resume '*'`"
        else:
            text = f"loop {self.loop}: " + ("engaged, cycles do nothing" if engaged else "released, cycles run")
        self.status.value = f"<span style='color:{'#cf222e' if engaged else '#1a7f37'}'>{for_html(text)}</span>"

    def _everywhere(self) -> bool:
        # kill_switch(name) answers for that loop or `*`; a name no loop can have answers for `*` alone.
        return self.store.kill_switch("\x00")
