"""From consecutive sightings to the evidence the estimators read: units at risk, events, drift episodes.

Over each interval between two sightings with the same desired state:

- hand edits: managed resources present at both ends are at risk; an event is one seen newly out of
  line (from key sets) or, from snapshots, one whose spec changed to something other than desired;
- hand deletes: managed resources present at the start are at risk; an event is one missing at the end;
- unmanaged creations: every key newly unmanaged at the end is one event of the whole scope.

An interval across which the desired state changed (count or version) is skipped: its new
creates and deletes are the loop's legitimate work, not drift. A drift episode runs from the first
sighting a key is out of sync to the first it is back in line; its length is known only between
bounds (the sightings around each end), and episodes open at either end of the series are censored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from recon.calibrate.estimators import AtRisk
from recon.calibrate.observations import Sighting


@dataclass(frozen=True, slots=True)
class Episode:
    """One key's stretch out of sync: *kind* is how it began (missing, edited, unmanaged)."""

    key: str
    kind: str
    low: float              # shortest length the sightings allow (seconds)
    high: float | None      # longest, or None when unknown (not healed yet, or begun before the first sighting)
    healed: bool            # back in line by the last sighting
    left_censored: bool     # already out of sync at the first sighting: its start is unknown


@dataclass(frozen=True, slots=True)
class Evidence:
    edits: tuple[AtRisk, ...]
    deletes: tuple[AtRisk, ...]
    creates: int
    create_exposure: float
    intervals: tuple[float, ...]
    skipped: int                        # intervals across which the desired state changed
    episodes: tuple[Episode, ...] = field(default=())


def _same_desired(a: Sighting, b: Sighting) -> bool:
    return a.keys.desired_count == b.keys.desired_count and a.keys.desired_version == b.keys.desired_version


def evidence(sightings: Sequence[Sighting]) -> Evidence:
    """The at-risk tables and episodes of a series of sightings (oldest first)."""
    edits, deletes, lengths = [], [], []
    creates, exposure, skipped = 0, 0.0, 0
    for a, b in zip(sightings, sightings[1:]):
        length = b.at - a.at
        if length <= 0:
            continue
        if not _same_desired(a, b) or a.keys.desired_count is None:
            skipped += 1
            continue
        ka, kb = a.keys, b.keys
        present = ka.desired_count - len(ka.missing)  # type: ignore[operator]
        gone = kb.missing - ka.missing
        deletes.append(AtRisk(length, present, len(gone)))
        if b.changed is None:  # key sets: only resources in sync at the start can be seen to change
            in_sync_gone = gone - ka.edited
            at_risk = present - len(ka.edited) - len(in_sync_gone)
            edited = kb.edited - ka.edited - ka.missing
        else:
            at_risk = present - len(gone)
            edited = (b.changed & kb.edited) - ka.missing
        edits.append(AtRisk(length, at_risk, len(edited)))
        creates += len(kb.unmanaged - ka.unmanaged)
        exposure += length
        lengths.append(length)
    return Evidence(tuple(edits), tuple(deletes), creates, exposure, tuple(lengths), skipped,
                    tuple(episodes(sightings)))


def episodes(sightings: Sequence[Sighting]) -> list[Episode]:
    """Every drift episode of the series, with the bounds the sightings put on its length."""
    out: list[Episode] = []
    open_: dict[str, tuple[int, str]] = {}  # key -> (index of the first sighting out of sync, how)
    for i, s in enumerate(sightings):
        now = {k: kind for kind, keys in s.keys.sets().items() for k in keys}
        for k, (start, kind) in list(open_.items()):
            if k not in now:
                out.append(_closed(sightings, k, kind, start, i))
                del open_[k]
        for k, kind in now.items():
            open_.setdefault(k, (i, kind))
    last = sightings[-1].at if sightings else 0.0
    for k, (start, kind) in open_.items():
        out.append(Episode(k, kind, last - sightings[start].at, None, False, start == 0))
    return out


def _closed(sightings: Sequence[Sighting], key: str, kind: str, start: int, end: int) -> Episode:
    t = [s.at for s in sightings]
    high = t[end] - t[start - 1] if start > 0 else None
    return Episode(key, kind, t[end - 1] - t[start], high, True, start == 0)
