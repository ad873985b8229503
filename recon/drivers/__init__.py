"""Drivers run the core's cycle generator: here in real time; the SimPy driver lives in recon.sim."""

from recon.drivers.loop import Loop, drive, run_once
from recon.drivers.realtime import RealtimeDriver

__all__ = ["Loop", "RealtimeDriver", "drive", "run_once"]
