"""Exceptions shared by every layer. Errors name the input they are about."""


class ReconError(Exception):
    """Base class for errors recon reports to a user; the message names the input at fault."""


class ObserveOnlyViolation(ReconError):
    """Something asked an observe-only loop to write. Drivers raise it; it should never happen."""
