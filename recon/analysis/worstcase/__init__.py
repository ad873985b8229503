"""The worst case of a loop's guard settings: an adversary over the desired source and the list,
searched on the real engine, with an analytic bound beside it (docs/worst-case.md)."""

from recon.analysis.worstcase.ignored import ignored
from recon.analysis.worstcase.run import (
    MAX_CYCLES, MAX_HORIZON, Settings, WorstCase, WorstCaseError, check_settings, worst_case,
)

__all__ = ["MAX_CYCLES", "MAX_HORIZON", "Settings", "WorstCase", "WorstCaseError", "check_settings", "ignored",
           "worst_case"]
