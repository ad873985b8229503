"""Drivers run the core's cycle generator on one :class:`Schedule`: in real time (realtime.py) and
in SimPy's simulated time (simtime.py). Neither has reconciliation logic of its own."""

from recon.drivers.loop import Loop, drive, run_once
from recon.drivers.realtime import RealtimeDriver
from recon.drivers.schedule import Schedule
from recon.drivers.spec import RealtimeSpec

__all__ = ["Loop", "RealtimeDriver", "RealtimeSpec", "Schedule", "drive", "run_once"]
