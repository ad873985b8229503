"""State that must survive a restart: loop baselines, approvals and the kill switch, in SQLite."""

from recon.store.lease import LeaseHeld, LeaseLost, StateConflict
from recon.store.schema import StoreBusy, StoreError
from recon.store.sqlite import ApprovalNotFound, StateStore

__all__ = ["ApprovalNotFound", "LeaseHeld", "LeaseLost", "StateConflict", "StateStore", "StoreBusy", "StoreError"]
