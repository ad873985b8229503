"""State that must survive a restart: loop baselines, approvals and the kill switch, in SQLite."""

from recon.store.schema import StoreBusy, StoreError
from recon.store.sqlite import ApprovalNotFound, StateStore

__all__ = ["ApprovalNotFound", "StateStore", "StoreBusy", "StoreError"]
