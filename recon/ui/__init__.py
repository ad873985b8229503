"""Notebook widgets (ipywidgets only) over the package: they show and ask, the package decides.

``DiffInspector`` shows a decision, ``ApprovalPanel`` and ``KillSwitchToggle`` write to the same
state store as the CLI, ``ThresholdTuner`` reruns the simulation as sliders move. Widgets hold no
reconciliation logic of their own.
"""

from __future__ import annotations

from typing import Any

from recon.ui.approvals import ApprovalPanel
from recon.ui.diff_inspector import DiffInspector
from recon.ui.kill_switch import KillSwitchToggle

__all__ = ["ApprovalPanel", "DiffInspector", "KillSwitchToggle", "ThresholdTuner"]


def __getattr__(name: str) -> Any:
    # The tuner pulls in the simulation; import it only when asked for.
    if name == "ThresholdTuner":
        from recon.ui.tuner import ThresholdTuner

        return ThresholdTuner
    raise AttributeError(name)
