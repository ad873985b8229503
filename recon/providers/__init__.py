"""Providers: where a loop observes (and, in simulation only, writes)."""

from recon.providers.base import (
    Actuator,
    Observer,
    ProviderError,
    UnknownProvider,
    available,
    build_observer,
    factory_for,
    normalizer_of,
    register,
)

__all__ = ["Actuator", "Observer", "ProviderError", "UnknownProvider", "available", "build_observer",
           "factory_for", "normalizer_of", "register"]
