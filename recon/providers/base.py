"""Provider protocols and the provider registry.

An ``Observer`` lists what exists and says whether it saw everything. An ``Actuator`` applies and
deletes, idempotently. Real providers implement ``Observer`` only: they have no write method at all,
so a loop built on one cannot write. Providers are found by name through the ``recon.providers``
entry-point group; later registrations override earlier ones, so a plugin can replace a built-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from recon.core.errors import ReconError
from recon.core.model import Observation, Resource
from recon.core.redact import redact
from recon.core.normalize import DEFAULT, Normalizer


@runtime_checkable
class Observer(Protocol):
    """Lists the resources in one loop's scope."""

    name: str

    def observe(self) -> Observation: ...


@runtime_checkable
class Actuator(Protocol):
    """Writes to the world. Both calls are idempotent; applying a matching resource is a no-op."""

    def apply(self, resource: Resource) -> None: ...

    def delete(self, resource: Resource) -> None: ...


class ProviderError(ReconError):
    """A provider could not be built or could not observe; the message names the server or file.

    The message is redacted on the way in: a server's or a library's text can quote a connection
    string, and no provider error may carry a credential out."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(redact(str(message)), *args)


class UnknownProvider(ProviderError):
    pass


def observe_checked(observer: Observer) -> Observation:
    """``observer.observe()``, with an unexpected exception (a bug or an SDK's own error) turned into
    a ProviderError naming the provider, so that a command reports it instead of a traceback."""
    try:
        return observer.observe()
    except ReconError:
        raise
    except Exception as e:
        raise ProviderError(f"{getattr(observer, 'name', type(observer).__name__)}: {type(e).__name__}: {e}") from e


def normalizer_of(observer: object) -> Normalizer:
    """The normaliser a provider declares for its kinds, or the default one."""
    return getattr(observer, "normalizer", None) or DEFAULT


class ObserverNormalizer:
    """The observer's normaliser, looked up at each use: some providers (Route53) learn theirs,
    e.g. the zone's origin, only while observing, after a cycle has started."""

    def __init__(self, observer: object) -> None:
        self.observer = observer

    def __call__(self, kind: str, spec: Any) -> Any:
        return normalizer_of(self.observer)(kind, spec)


Factory = Callable[..., Any]
_registry: dict[str, Factory] = {}
_loaded = False


def register(name: str, factory: Factory) -> None:
    """Register *factory* under *name*; the last registration wins."""
    _registry[name] = factory


def _load_entry_points() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for ep in entry_points(group="recon.providers"):
        if ep.name not in _registry:
            _registry[ep.name] = ep.load


def available() -> list[str]:
    _load_entry_points()
    return sorted(_registry)


def factory_for(name: str) -> Factory:
    _load_entry_points()
    try:
        f = _registry[name]
    except KeyError:
        raise UnknownProvider(f"unknown provider type {name!r}; known: {', '.join(available())}") from None
    # Entry points register their loader; resolve lazily so a missing SDK only hurts its own provider.
    if getattr(f, "__self__", None) is not None and getattr(f, "__name__", "") == "load":
        f = f()
        _registry[name] = f
    return f


def build_observer(config: Mapping[str, Any], base_dir: Path) -> Observer:
    """Build the observer for a loop config's ``provider:`` mapping (``type`` plus settings)."""
    settings = dict(config)
    kind = settings.pop("type", None)
    if not kind:
        raise ProviderError("provider: missing 'type'")
    factory = factory_for(kind)
    build = getattr(factory, "from_config", factory)
    return build(settings, base_dir)
