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
