"""Scheduled audits: papermill runs the audit notebook, each run lands in a history store.

``run_audit`` executes the packaged notebook (``audit.ipynb`` beside this file; the repo's
``notebooks/audit.ipynb`` links to it, so there is one copy) and ``audit_loop`` is what that
notebook calls. Audits are observe-only and never receive secrets as parameters.
"""

from __future__ import annotations

from recon.audit.history import HistoryError, HistoryRun, HistoryStore
from recon.audit.record import AuditResult, Thresholds, audit_loop
from recon.audit.runner import NOTEBOOK, AuditError, AuditRun, run_audit

__all__ = ["NOTEBOOK", "AuditError", "AuditResult", "AuditRun", "HistoryError", "HistoryRun", "HistoryStore",
           "Thresholds", "audit_loop", "run_audit"]
