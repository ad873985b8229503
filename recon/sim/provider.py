"""The fake provider: one loop's scoped view of the world, with faults, in simulated time.

``SimProvider`` implements both provider protocols (``observe``, ``apply``, ``delete``) like
:class:`recon.providers.memory.MemoryProvider`, and the timed variants the SimPy driver prefers
(``observe_process``, ``apply_process``, ``delete_process``). Faults come from the scenario's
``provider`` section and compose: latency per call, server errors and timeouts, a server-side token
bucket answering 429 with Retry-After, paged lists that stop early (silently or flagged), expiring
continuation tokens, stale replicas and read-after-write lag. With ``watch`` the provider observes
like a Kubernetes informer: a cache fed by change notifications (late or lost ones too), resynced by
a full list now and then. Without faults a list costs one dict copy, and only when the scope changed
since the last one. A watch observation copies nothing: it is the cache itself, with its feed
position and the keys delivered since the last one, which the core's change-fed diff continues
from (:mod:`recon.core.changefeed`); what arrives meanwhile waits in an inbox until the next
observation, so a handed-out observation never changes under the loop.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import simpy

from recon.core.model import Key, Observation, Resource
from recon.providers.base import ProviderError
from recon.sim.scenario import ProviderSpec
from recon.sim.script import ScriptStep, active_step, scripted_observation
from recon.sim.world import World


class ApiError(ProviderError):
    """A call the fake server refused or lost; the message names the call and the fault."""


class ApiServer:
    """Shared by every loop's provider: the call counter and the server-side token bucket."""

    def __init__(self, env: simpy.Environment, spec: ProviderSpec) -> None:
        self.env, self.spec = env, spec
        self.calls: dict[str, int] = {"list": 0, "apply": 0, "delete": 0}
        self.throttled = 0
        t = spec.throttle
        self._tokens = float(t.burst) if t else 0.0
        self._at = 0.0

    def take(self) -> float:
        """Take a token; 0.0 if granted, else the Retry-After (seconds until a token is back)."""
        t = self.spec.throttle
        if t is None:
            return 0.0
        now = self.env.now
        self._tokens = min(float(t.burst), self._tokens + (now - self._at) * t.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        self.throttled += 1
        return (1.0 - self._tokens) / t.rate


class SimProvider:
    """A loop's provider over the simulated world, restricted to *in_scope* keys."""

    def __init__(self, env: simpy.Environment, world: World, api: ApiServer, rng: np.random.Generator,
                 name: str, in_scope: Callable[[Key], bool], on_event: Callable[..., None] | None = None,
                 script: tuple[ScriptStep, ...] = ()) -> None:
        self.env, self.world, self.api, self.rng = env, world, api, rng
        self.script = script  # scripted list answers (a worst-case trace), on top of the faults
        self.spec: ProviderSpec = api.spec
        self.name = name
        self.in_scope = in_scope
        self.on_event = on_event or (lambda *a, **k: None)
        self.items: dict[Key, Resource] = {k: r for k, r in world.items.items() if in_scope(k)}
        self.version = 0
        self._snap: tuple[int, MappingProxyType[Key, Resource]] | None = None
        self._history: deque[tuple[float, MappingProxyType[Key, Resource]]] = deque()
        self._hidden: dict[Key, tuple[float, Resource | None]] = {}  # read-after-write lag
        self._cache: dict[Key, Resource] | None = None  # watch mode: the informer's cache
        self._cache_view: MappingProxyType[Key, Resource] = MappingProxyType({})
        # delivered, not yet in the cache: the last value per key (None: deleted), so a long pause stays small
        self._inbox: dict[Key, Resource | None] = {}
        self._position = 0  # the cache's feed position: bumped whenever its content may change
        self._resynced_at = -float("inf")
        # watch mode: called when the change feed brings a drift in scope to the cache (late, or never
        # if lost); this is what wakes an event-triggered loop, not the drift itself
        self.on_drift_delivered: Callable[[Key], None] = lambda k: None
        world.watch(self._on_change)

    @property
    def cache(self) -> Mapping[Key, Resource] | None:
        """Watch mode: the cache as the last observation showed it (None before the first full list)."""
        return self._cache_view if self._cache is not None else None

    def _on_change(self, k: Key, r: Resource | None, cause: str) -> None:
        if not self.in_scope(k):
            return
        if r is None:
            self.items.pop(k, None)
        else:
            self.items[k] = r
        self.version += 1
        w = self.spec.watch
        if w is not None and self._cache is not None:
            drift = cause.startswith("drift")
            if w.drop_p and self.rng.random() < w.drop_p:
                self.on_event("watch_event_dropped", loop=self.name, kind=k[0], name=k[1])
            elif w.delay.is_zero:
                self._deliver(k, r, drift)
            else:
                self.env.process(self._deliver_later(k, r, drift, w.delay.sample(self.rng)))

    def _deliver(self, k: Key, r: Resource | None, drift: bool) -> None:
        assert self._cache is not None
        self._inbox[k] = r
        if drift:
            self.on_drift_delivered(k)

    def _deliver_later(self, k: Key, r: Resource | None, drift: bool,
                       delay: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(delay)
        if self._cache is not None:
            self._deliver(k, r, drift)

    def snapshot(self) -> MappingProxyType[Key, Resource]:
        """The scope as it is now; copied only when it changed since the last snapshot."""
        if self._snap is None or self._snap[0] != self.version:
            self._snap = (self.version, MappingProxyType(dict(self.items)))
        return self._snap[1]

    # synchronous protocols (no faults, no time) --------------------------------------------------

    def observe(self) -> Observation:
        snap, now = self.snapshot(), self.env.now
        self.world.observed(self.in_scope, snap, now)
        return Observation(snap, True, None, self.name, now)

    def apply(self, resource: Resource) -> None:
        self._write(resource.key, resource)

    def delete(self, resource: Resource) -> None:
        self._write(resource.key, None)

    def _write(self, k: Key, r: Resource | None) -> None:
        if self.spec.visibility_lag > 0:
            if k not in self._hidden:
                self._hidden[k] = (self.env.now + self.spec.visibility_lag, self.items.get(k))
            else:
                self._hidden[k] = (self.env.now + self.spec.visibility_lag, self._hidden[k][1])
        if r is None:
            self.world.remove(k, "loop-delete", by=self.name)
        else:
            self.world.put(r, "loop-apply")

    # timed variants (what the SimPy driver runs) ---------------------------------------------------

    def _call(self, op: str, latency: Any) -> Generator[simpy.Event, Any, None]:
        """One API call: throttling with retries, then latency, then maybe an error or a timeout."""
        s, env = self.spec, self.env
        attempts = 0
        while True:
            self.api.calls[op] += 1
            wait = self.api.take()
            if wait == 0.0:
                break
            attempts += 1
            if attempts > (s.throttle.max_retries if s.throttle else 0):
                raise ApiError(f"{self.name}: {op}: 429 Too Many Requests after {attempts - 1} retries")
            yield env.timeout(wait)
        if s.timeout_p and self.rng.random() < s.timeout_p:
            yield env.timeout(s.timeout)
            raise ApiError(f"{self.name}: {op}: timed out after {s.timeout:g}s")
        if not latency.is_zero:
            yield env.timeout(latency.sample(self.rng))
        if s.error_p and self.rng.random() < s.error_p:
            raise ApiError(f"{self.name}: {op}: 500 Internal Server Error")

    def apply_process(self, resource: Resource) -> Generator[simpy.Event, Any, None]:
        yield from self._call("apply", self.spec.apply_latency)
        self.apply(resource)

    def delete_process(self, resource: Resource) -> Generator[simpy.Event, Any, None]:
        yield from self._call("delete", self.spec.delete_latency)
        self.delete(resource)

    def observe_process(self) -> Generator[simpy.Event, Any, Observation]:
        w = self.spec.watch
        if w is None:
            return (yield from self._list())
        now = self.env.now
        if self._cache is not None and now - self._resynced_at < w.resync:
            obs = self._from_cache(now)
            # the cache shows a drift only once its change event arrived (never, if it was lost)
            self.world.observed(self.in_scope, obs.resources, now)
            return obs
        obs = yield from self._list()
        if obs.complete:  # an incomplete list never becomes the cache; the next cycle lists again
            self._cache, self._resynced_at = dict(obs.resources), now
            self._cache_view = MappingProxyType(self._cache)
            self._inbox.clear()  # delivered before the list answered: the list has them
            self._snap = None  # the cache holds it now; the next resync copies the scope anew anyway
            self._position += 1
            # the resync is a full observation (no delta) at the position the next delta starts from
            obs = replace(obs, version=str(self._position))
        return obs

    def _from_cache(self, now: float) -> Observation:
        """The cache as an observation, after what was delivered since the last one: that delta is
        exactly the keys it says, whatever was lost or is still late."""
        assert self._cache is not None
        since, inbox = self._position, self._inbox
        changed = frozenset(inbox)
        if inbox:
            cache = self._cache
            for k, r in inbox.items():
                if r is None:
                    cache.pop(k, None)
                else:
                    cache[k] = r
            inbox.clear()
            self._position += 1
        return Observation(self._cache_view, True, None, f"{self.name} (watch cache)", now,
                           version=str(self._position), since=str(since), changed=changed)

    def _list(self) -> Generator[simpy.Event, Any, Observation]:
        """A full list; what it returned (not what it asked for) decides which drift it detected."""
        obs = yield from self._list_pages(self.env.now)
        step = active_step(self.script, obs.observed_at if obs.observed_at is not None else self.env.now)
        if step is not None:
            obs = scripted_observation(obs, step)
        self.world.observed(self.in_scope, obs.resources, self.env.now)
        return obs

    def _list_pages(self, start: float) -> Generator[simpy.Event, Any, Observation]:
        s, env = self.spec, self.env
        snap = self._read_snapshot(start)
        pages = s.pages
        if pages is None:
            yield from self._call("list", s.list_latency)
            return Observation(snap, True, None, self.name, start)
        n_pages = max(1, math.ceil(len(snap) / pages.size))
        stop_after = n_pages
        if pages.truncate_p and n_pages > 1 and self.rng.random() < pages.truncate_p:
            stop_after = int(self.rng.integers(1, n_pages))
        last = env.now
        for page in range(1, n_pages + 1):
            yield from self._call("list", s.list_latency)
            if pages.token_ttl is not None and page > 1 and env.now - last > pages.token_ttl:
                reason = f"continuation token expired before page {page} of {n_pages} (410 Gone)"
                return self._partial(snap, page - 1, pages.size, pages.on_token_expiry, reason, start)
            last = env.now
            if page == stop_after and stop_after < n_pages:
                reason = f"list stopped after page {page} of {n_pages}"
                return self._partial(snap, page, pages.size, pages.on_truncate, reason, start)
        return Observation(snap, True, None, self.name, start)

    def _partial(self, snap: MappingProxyType[Key, Resource], pages: int, size: int, how: str, reason: str,
                 start: float) -> Observation:
        kept = dict(sorted(snap.items())[: pages * size])
        self.on_event("partial_list", loop=self.name, reason=reason, flagged=how == "flag",
                      kept=len(kept), total=len(snap))
        if how == "flag":
            return Observation(MappingProxyType(kept), False, reason, self.name, start)
        return Observation(MappingProxyType(kept), True, None, self.name, start)

    def _read_snapshot(self, now: float) -> MappingProxyType[Key, Resource]:
        s = self.spec
        snap = self.snapshot()
        if s.stale_p:
            self._history.append((now, snap))
            while len(self._history) > 1 and self._history[1][0] <= now - s.stale_lag:
                self._history.popleft()
            if self.rng.random() < s.stale_p and self._history[0][0] <= now - s.stale_lag:
                self.on_event("stale_read", loop=self.name, age=now - self._history[0][0])
                snap = self._history[0][1]
        if self._hidden:
            for k in [k for k, (t, _) in self._hidden.items() if t <= now]:
                del self._hidden[k]
            if self._hidden:
                view = dict(snap)
                for k, (_, old) in self._hidden.items():
                    if old is None:
                        view.pop(k, None)
                    else:
                        view[k] = old
                snap = MappingProxyType(view)
        return snap
