"""Desired-state sources. A load that fails raises; it never returns an empty state."""

from recon.sources.dump import dump_inventory
from recon.sources.inventory import InventoryError, load_inventory, parse_inventory
from recon.sources.callable import CallableSource, FileSource, Source

__all__ = ["CallableSource", "FileSource", "InventoryError", "Source", "dump_inventory", "load_inventory",
           "parse_inventory"]
