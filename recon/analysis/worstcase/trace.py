"""The worst sequence as a scenario: ``trace.yaml``, which ``recon simulate`` replays to the same deletes.

The trace keeps the scenario's world and loop and replaces what the adversary controlled: the
desired source and the list become a ``script`` (one step per cycle), and the random faults, desired
failures and drift the adversary stood in for are removed. Humans become their worst: an approver
who may grant a bogus set approves every one (approve-all), others deny all, and the on-call comes
as late as their delay allows. The duration ends where the cycle after the horizon would start.
"""

from __future__ import annotations

import math
from typing import Any

from recon.analysis.worstcase.engine import Setup
from recon.analysis.worstcase.search import Move
from recon.sim.scenario import Scenario


def trace_scenario(sc: Scenario, setup: Setup, moves: tuple[Move, ...], typo: str,
                   wrongful: int) -> dict[str, Any]:
    """The scenario that replays *moves* on *sc*'s world and loop."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    horizon = len(moves)
    data["name"] = f"{sc.name}-worst-case"
    data["description"] = (f"The worst case recon worst-case found for {sc.name}: {wrongful} wrongful deletes "
                           f"in {horizon} cycles. Replay with recon simulate.")
    data["duration"] = setup.times[horizon]
    for gone in ("provider", "desired", "drift"):
        data.pop(gone, None)
    # the loop in full, so the trace shows every threshold it was searched with
    loop = data["loop"] = {k: v for k, v in sc.loop.model_dump(mode="json").items() if k != "approver"}
    approver: dict[str, Any] = {"type": setup.approver_name}
    if sc.loop_specs()[0].approver.ttl != Scenario().loop.approver.ttl:
        approver["ttl"] = sc.loop_specs()[0].approver.ttl
    loop["approver"] = approver
    for entry in data.get("loops", []):
        entry.pop("approver", None)
    if sc.oncall is not None:
        delay = setup.oncall_delay
        # an on-call who may come arbitrarily late comes after the trace ends
        late = delay if delay is not None and delay < math.inf else 10.0 * data["duration"] + 1.0
        data["oncall"] = {"delay": late, "page_on_guards": list(sc.oncall.page_on_guards)}
    data["script"] = [_step(m, setup.times[i], typo) for i, m in enumerate(moves)]
    return data


def _step(m: Move, at: float, typo: str) -> dict[str, Any]:
    """One script step, with only the fields that say something."""
    step: dict[str, Any] = {"at": at, "desired": m.desired}
    if m.desired in ("drop", "rename"):
        step["count"] = m.count
        if m.offset:
            step["offset"] = m.offset
        if m.desired == "rename" and typo != "x":
            step["typo"] = typo
    if m.observe != "complete":
        step["observe"], step["hide"] = m.observe, m.hide
    return step
