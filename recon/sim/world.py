"""The simulated world: the true resource state, the state it should be in, and what diverges.

``World`` holds what exists (``items``) and what must exist (``truth``: the intended desired state
plus foreign resources someone else owns). Every change goes through :meth:`World.put` or
:meth:`World.remove`, which keep the set of keys out of line with the truth, open and close
*episodes* (a key out of line, from when to when, and why), integrate outage and out-of-sync
resource-seconds, and count wrongful deletes. Scoped views (the fake providers) subscribe to
changes so that no one copies the whole world per cycle. No randomness and no loop logic here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from recon.core.model import Key, Resource

Watcher = Callable[[Key, "Resource | None", str], None]  # key, new value (None: deleted), cause


@dataclass(slots=True)
class Episode:
    """A key out of line with the truth, from *start* to *end* (None while still open)."""

    key: Key
    cause: str
    start: float
    detected: float | None = None
    end: float | None = None


class World:
    def __init__(self, truth: Iterable[Resource], present: Iterable[Resource], *, keep_episodes: bool = True,
                 clock: Callable[[], float] = lambda: 0.0) -> None:
        self.truth: dict[Key, Resource] = {r.key: r for r in truth}
        self.items: dict[Key, Resource] = {r.key: r for r in present}
        self.clock = clock
        self.keep_episodes = keep_episodes
        self.version = 0
        self.bad: set[Key] = set()
        self.missing: set[Key] = set()
        self.open: dict[Key, Episode] = {}
        self.closed: list[Episode] = []
        # undetected episodes: the values their key held since it went out of line (what would show it)
        self.undetected: dict[Key, list[Resource | None]] = {}
        self.wrongful_deletes = 0
        self.wrongful_by_loop: dict[str, int] = {}
        self.bad_seconds = 0.0
        self.outage_seconds = 0.0
        self.drift_events = 0
        self.redundant_writes = 0
        self.last_in_sync: float | None = 0.0
        self._t = 0.0
        self._watchers: list[Watcher] = []
        for k in set(self.truth) | set(self.items):
            self._classify(k, "initial", 0.0)
        if self.bad:
            self.last_in_sync = None

    def watch(self, fn: Watcher) -> None:
        self._watchers.append(fn)

    # time integrals -------------------------------------------------------------------------------

    def advance(self) -> float:
        now = self.clock()
        dt = now - self._t
        if dt > 0:
            self.bad_seconds += len(self.bad) * dt
            self.outage_seconds += len(self.missing) * dt
            self._t = now
        return now

    # changes --------------------------------------------------------------------------------------

    def put(self, r: Resource, cause: str) -> bool:
        """Create or replace *r*; returns False when it was already exactly so (a redundant write)."""
        k = r.key
        if self.items.get(k) == r:
            if cause.startswith("loop"):
                self.redundant_writes += 1
            return False
        now = self.advance()
        self.items[k] = r
        self._changed(k, r, cause, now)
        return True

    def remove(self, k: Key, cause: str, by: str | None = None) -> bool:
        """Delete *k*; a loop deleting a key the truth holds is a wrongful delete."""
        if k not in self.items:
            if cause.startswith("loop"):
                self.redundant_writes += 1
            return False
        now = self.advance()
        del self.items[k]
        if by is not None and k in self.truth:
            self.wrongful_deletes += 1
            self.wrongful_by_loop[by] = self.wrongful_by_loop.get(by, 0) + 1
        self._changed(k, None, cause, now)
        return True

    def set_truth(self, k: Key, r: Resource | None, cause: str) -> None:
        """A legitimate change of intent (a migration): the world is now out of line until a loop acts."""
        now = self.advance()
        if r is None:
            self.truth.pop(k, None)
        else:
            self.truth[k] = r
        self._classify(k, cause, now)

    def _changed(self, k: Key, r: Resource | None, cause: str, now: float) -> None:
        self.version += 1
        if cause.startswith("drift"):
            self.drift_events += 1
        for w in self._watchers:
            w(k, r, cause)
        self._classify(k, cause, now)

    def _classify(self, k: Key, cause: str, now: float) -> None:
        want = self.truth.get(k)
        have = self.items.get(k)
        if want is not None and have is None:
            self.missing.add(k)
        else:
            self.missing.discard(k)
        out = want != have
        if out and k not in self.bad:
            if not self.bad:
                self.last_in_sync = None
            self.bad.add(k)
            self.open[k] = Episode(k, cause, now)
            self.undetected[k] = [have]
        elif out and k in self.undetected and have not in self.undetected[k]:
            self.undetected[k].append(have)
        elif not out and k in self.bad:
            self.bad.discard(k)
            ep = self.open.pop(k)
            ep.end = now
            self.undetected.pop(k, None)
            if self.keep_episodes or ep.cause.startswith("drift"):
                self.closed.append(ep)
            if not self.bad:
                self.last_in_sync = now

    def observed(self, in_scope: Callable[[Key], bool], seen: Mapping[Key, Resource], at: float) -> None:
        """A loop's observation *seen* reached it at *at*: the open episodes in scope it shows are detected.

        An observation shows an episode when the key's observed value is one the key held since it went
        out of line. A stale replica, a cut list, a lost or late watch event show the value from before
        (or nothing), so the episode stays undetected; a failed list never gets here."""
        if not self.undetected:
            return
        for k in [k for k in self.undetected if in_scope(k)]:
            if seen.get(k) in self.undetected[k]:
                self.open[k].detected = at
                del self.undetected[k]

    def episodes(self) -> list[Episode]:
        return self.closed + sorted(self.open.values(), key=lambda e: (e.start, e.key))
