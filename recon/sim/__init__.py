"""The simulation lab: scenarios, a simulated world with faults, drift and humans, and a recorder.

The loops it runs are the engine's own (``recon.drivers.loop.Loop`` driven by
``recon.drivers.simtime.SimDriver``); nothing here decides what a loop does. Entry points:
:func:`load_scenario`, :func:`simulate` and :class:`SimResult`.
"""

from recon.sim.run import SimResult, simulate
from recon.sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Scenario", "ScenarioError", "SimResult", "load_scenario", "simulate"]
