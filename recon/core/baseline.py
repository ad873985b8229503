"""The observed-count baseline that the incomplete_observation guard's drop check compares with.

The rule (docs/design.md, "Observed-count baseline"): the baseline moves up freely and down by the
loop's own deletes; a complete observation that came in lower, unexplained, never becomes the
baseline by itself. Only ``confirm_cycles`` consecutive such observations move it down, to the
highest count among them. Pure data and arithmetic: this module judges nothing and creates no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CountBaseline:
    """What the next complete observation is compared with, and a lower count waiting to be confirmed.

    *count* is the last trusted observed count (None before the first observation); *lower* is the
    highest count of the current run of complete observations that came in below it unexplained, and
    *seen* how many observations that run has had (0 and None when there is no run)."""

    count: int | None = None
    lower: int | None = None
    seen: int = 0

    def judge(self, observed: int, own_deletes: int, confirm_cycles: int) -> CountJudgement:
        """Judge a complete observation of *observed* resources, made after the loop itself deleted
        *own_deletes*; a run of *confirm_cycles* observations below the baseline lowers it."""
        if self.count is None:
            return CountJudgement(None, 0, False, CountBaseline(observed))
        expected = max(self.count - own_deletes, 0)
        if observed >= expected:  # up freely, or down no further than the loop's own deletes explain
            return CountJudgement(self.count, own_deletes, False, CountBaseline(observed))
        # The run's counts are lowered by the same own deletes, so they stay comparable.
        high = observed if self.lower is None else max(self.lower - own_deletes, observed)
        if self.seen + 1 >= confirm_cycles:
            # Confirmed: this observation is judged against the lowered baseline, which is never lower
            # than the highest count of the run (so one deep cut in the run cannot drag it down).
            return CountJudgement(high, 0, True, CountBaseline(high))
        return CountJudgement(self.count, own_deletes, False, CountBaseline(expected, high, self.seen + 1))

    def unobserved(self, own_deletes: int) -> CountBaseline:
        """The baseline after a cycle that observed nothing trustworthy (paused, failed or flagged
        incomplete): the loop's own deletes of the cycle before stay explained."""
        if self.count is None or not own_deletes:
            return self
        lower = None if self.lower is None else max(self.lower - own_deletes, 0)
        return CountBaseline(max(self.count - own_deletes, 0), lower, self.seen)


@dataclass(frozen=True, slots=True)
class CountJudgement:
    """One complete observation against the baseline: the *reference* count it is compared with
    (None: nothing to compare), the own deletes *explained* of a fall from it, whether it *confirmed*
    a lower count, and the baseline *after* it."""

    reference: int | None
    explained: int
    confirmed: bool
    after: CountBaseline


@dataclass(frozen=True, slots=True)
class Window:
    """Counts stamped with the time they happened, as ``(time, count)`` pairs, oldest first.

    An entry made at *t* is inside a window of *seconds* at *now* while ``now - t < seconds``: it
    counts for exactly *seconds* after it happened (the window is half-open, ``(now - seconds, now]``)."""

    entries: tuple[tuple[float, int], ...] = ()

    def within(self, now: float, seconds: float) -> Window:
        """Only the entries still inside the window at *now*."""
        return Window(tuple(e for e in self.entries if now - e[0] < seconds))

    def total(self, now: float, seconds: float) -> int:
        return sum(n for _, n in self.within(now, seconds).entries)

    def largest(self, now: float, seconds: float) -> int | None:
        return max((n for _, n in self.within(now, seconds).entries), default=None)

    def plus(self, now: float, seconds: float, count: int) -> Window:
        """The window at *now* with *count* more (nothing added for 0): a sum over at most as many
        entries as the window's budget lets through, so it stays small."""
        live = self.within(now, seconds).entries
        return Window(live + ((now, count),) if count else live)

    def plus_peak(self, now: float, seconds: float, count: int) -> Window:
        """The window at *now* with *count* added, for :meth:`largest` alone: an older entry no larger
        than *count* can never be the largest again (the new one outlives it), so it is dropped, and
        the entries that remain fall strictly from the oldest to the newest."""
        live = tuple(e for e in self.within(now, seconds).entries if e[1] > count)
        return Window(live + ((now, count),))


@dataclass(frozen=True, slots=True)
class Windows:
    """The guards' memory across cycles: *deletes* holds the unapproved deletes the loop made, for
    ``max_deletes.window``; *desired* the accepted desired counts that may still be the largest,
    for ``desired_shrink.window``. Both stay empty while their window is off."""

    deletes: Window = Window()
    desired: Window = Window()
