"""Drivers run the core's cycle generator: in real time (realtime.py) and in SimPy's simulated time
(simtime.py). Neither has reconciliation logic of its own."""

from recon.drivers.loop import Loop, drive, run_once
from recon.drivers.realtime import RealtimeDriver

__all__ = ["Loop", "RealtimeDriver", "drive", "run_once"]
