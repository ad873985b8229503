"""What of a scenario the worst case leaves out, said in words: the adversary stands in for it.

Drift, ``desired`` events (a calibrated scenario's migrations among them), the fake provider's
faults and a scenario's own ``script`` are the random or scripted inputs the adversary replaces
with its worst choice; the search never runs them. :func:`ignored` names each one present, so the
command can say so on stderr and in ``worst.json`` rather than drop them silently.
"""

from __future__ import annotations

from collections import Counter

from recon.sim.scenario import DriftSpec, ProviderSpec, Scenario


def ignored(sc: Scenario) -> tuple[str, ...]:
    """One phrase per input of *sc* the search leaves out (empty when there is none)."""
    out: list[str] = []
    drift = sc.drift
    if drift != DriftSpec():
        rates = [f"{name}={getattr(drift, name):.3g}" for name in ("edit_rate", "delete_rate", "create_rate")
                 if getattr(drift, name)]
        if drift.bursts:
            rates.append(f"{len(drift.bursts)} burst(s)")
        out.append("drift (" + ", ".join(rates or ["only_clean"]) + ")")
    if sc.desired:
        kinds = Counter(ev.kind for ev in sc.desired)
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        out.append(f"{len(sc.desired)} desired event(s) ({counts})")
    if sc.provider != ProviderSpec():
        faults = sorted(k for k in ProviderSpec.model_fields if getattr(sc.provider, k) != getattr(ProviderSpec(), k))
        out.append("provider faults (" + ", ".join(faults) + ")")
    if sc.script:
        out.append(f"the scenario's script ({len(sc.script)} steps)")
    return tuple(out)
