"""The state machine's own model of what the engine may do, independent of the engine's LoopState.

The machine feeds every cycle its desired state, observation, kill switch and approvals, so it can say
on its own what a safe loop may delete and write: ``Model.allowed`` judges one cycle from what was fed
in, and ``Model.advance`` moves the model's baselines the way the guards' contract says they move.
``Ledger`` is the machine's approver: it knows which key sets it granted and until when.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recon.core.approval import Approval, ApprovalRequest, keys_digest
from recon.core.model import Key, Observation, Resource

# Every guard by name; a policy of the machine enables a subset of them.
GUARDS: tuple[str, ...] = (
    "kill_switch", "desired_error", "empty_desired", "desired_shrink", "incomplete_observation",
    "ownership", "protected", "max_deletes", "max_changes",
)
MAX_DELETES = 3
MAX_CHANGES = 5
SHRINK = 0.3
DROP = 0.3
CONFIRM = 3  # complete observations below the count baseline that confirm a real fall
# The windows across cycles, for the machines that turn them on: at most WINDOW_MAX unapproved
# deletes in any DELETE_WINDOW seconds (ten periods; one cycle at the per-cycle cap overruns it),
# and a shrink measured from the largest desired count accepted in the last SHRINK_WINDOW seconds.
DELETE_WINDOW = 600.0
WINDOW_MAX = 2
SHRINK_WINDOW = 600.0


def is_protected(key: Key) -> bool:
    """The machine's protected set, written independently of the policy's selector ``A/prot-*``."""
    return key[0] == "A" and key[1].startswith("prot-")


@dataclass(frozen=True, slots=True)
class Grant:
    keys: frozenset[Key]
    expires: float


@dataclass
class Ledger:
    """The human approver, as the machine's record of requests filed and key sets granted until when."""

    requests: dict[str, ApprovalRequest] = field(default_factory=dict)
    answers: dict[str, Approval] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    auto_ttl: float | None = None  # once set (teardown), every request is granted on filing

    def file(self, req: ApprovalRequest, now: float) -> None:
        assert req.digest == keys_digest(req.keys), f"request {req.id}: digest does not match its keys"
        self.requests[req.id] = req
        done = self.answers.get(req.id)
        if self.auto_ttl is not None and not (done is not None and done.granted):
            self.answer(req.id, True, now, self.auto_ttl)

    def pending(self) -> list[str]:
        """Unanswered requests, oldest first."""
        return [rid for rid in self.requests if rid not in self.answers]

    def answer(self, rid: str, granted: bool, now: float, ttl: float) -> None:
        req = self.requests[rid]
        self.answers[rid] = Approval(rid, req.digest, granted, "test-human", now, now + ttl)
        if granted:
            self.grants.append(Grant(frozenset(req.keys), now + ttl))

    def grant_everything(self, now: float, ttl: float) -> None:
        """Teardown: the human approves whatever was asked, overriding earlier denials."""
        self.auto_ttl = ttl
        for rid in self.requests:
            self.answer(rid, True, now, ttl)

    def lookup(self, rid: str) -> Approval | None:
        return self.answers.get(rid)

    def covers(self, keys: frozenset[Key], now: float) -> bool:
        """Some grant not yet expired was for a key set that contains *keys*."""
        return bool(keys) and any(keys <= g.keys and now < g.expires for g in self.grants)


@dataclass(frozen=True, slots=True)
class Allowed:
    """What a cycle may do, judged by the model from what the machine fed in."""

    halt: str | None             # why no write at all is allowed, or None
    intended: dict[Key, Resource]  # the desired state the loop should converge to (stamped)
    candidates: frozenset[Key]   # deletes left after the enabled exclusions
    hold: str | None             # why the candidates may not be deleted, or None
    approved: bool = False       # a grant not yet expired covers the candidates (judged before the cycle)


@dataclass
class Model:
    enabled: frozenset[str]
    owner: str | None
    desired_baseline: int | None = None   # desired count of the last cycle whose desired was accepted
    observed_baseline: int | None = None  # the last trusted observed count (see ``_dropped``)
    below: list[int] = field(default_factory=list)  # complete counts since, all below it, own deletes taken off
    own_deletes: int = 0                  # deletes the loop itself made last cycle
    windows: bool = False                 # the machine's policy sets the windows (DELETE_WINDOW, SHRINK_WINDOW)
    accepted: list[tuple[float, int]] = field(default_factory=list)  # (time, desired count) of accepted cycles
    unapproved: list[tuple[float, int]] = field(default_factory=list)  # (time, deletes) made without a grant

    def excluded(self, key: Key, observed: Resource | None) -> bool:
        """Whether the loop may never write *key* (protected, or observed without this loop's marker)."""
        on = self.enabled
        if "protected" in on and is_protected(key):
            return True
        return ("ownership" in on and self.owner is not None and observed is not None
                and observed.owner != self.owner)

    def allowed(self, engaged: bool, desired: dict[Key, Resource] | BaseException,
                obs: Observation | BaseException, ledger: Ledger, now: float) -> Allowed:
        on = self.enabled
        if isinstance(desired, BaseException):
            # A loop without the desired_error guard reads a failed load as empty, by design.
            intended: dict[Key, Resource] = {}
        else:
            intended = {k: r.with_owner(self.owner) if self.owner is not None else r for k, r in desired.items()}
        observed = {} if isinstance(obs, BaseException) else dict(obs.resources)
        cands = frozenset(k for k, r in observed.items() if k not in intended and not self.excluded(k, r))
        halt = None
        if engaged and "kill_switch" in on:
            halt = "kill switch engaged"
        elif isinstance(obs, BaseException):
            halt = "observation failed"
        elif isinstance(desired, BaseException) and "desired_error" in on:
            halt = "desired state failed to load"
        elif "empty_desired" in on and not intended and observed:
            halt = "desired state empty"
        hold = None
        approved = ledger.covers(cands, now)
        if isinstance(obs, Observation) and "incomplete_observation" in on and self._dropped(obs):
            hold = "observation incomplete or fell unexplained"
        elif self.shrunk(len(intended), now) and not approved:
            hold = f"desired fell from {self.shrink_baseline(now)} to {len(intended)} without approval"
        elif "max_deletes" in on and len(cands) > MAX_DELETES and not approved:
            hold = f"{len(cands)} deletes > cap {MAX_DELETES} without approval"
        return Allowed(halt, intended, cands, hold, approved)

    def shrink_baseline(self, now: float) -> int | None:
        """The last accepted desired count, or with the window the largest accepted within it if larger."""
        peak = [n for t, n in self.accepted if now - t < SHRINK_WINDOW] if self.windows else []
        return max([b for b in (self.desired_baseline,) if b is not None] + peak, default=None)

    def shrunk(self, n: int, now: float) -> bool:
        b = self.shrink_baseline(now)
        return "desired_shrink" in self.enabled and bool(b) and (b - n) / b > SHRINK  # type: ignore[operator]

    def unapproved_within(self, now: float) -> int:
        """Unapproved deletes made in the DELETE_WINDOW seconds up to *now*."""
        return sum(n for t, n in self.unapproved if now - t < DELETE_WINDOW)

    def _dropped(self, obs: Observation) -> bool:
        """The documented rule: a complete observation is compared with the trusted count less the
        loop's own deletes, except the one completing CONFIRM in a row below it, which is compared
        with the highest of those CONFIRM counts (the baseline it confirms)."""
        if not obs.complete:
            return True
        last = self.observed_baseline
        if not last:
            return False
        n, own = len(obs), self.own_deletes
        if n < last - own and len(self.below) + 1 >= CONFIRM:
            confirmed = max([b - own for b in self.below] + [n])
            return confirmed > 0 and (confirmed - n) / confirmed > DROP
        expected = last - own
        return expected > 0 and (expected - n) / last > DROP

    def _forget_own_deletes(self) -> None:
        """Take last cycle's own deletes off every remembered count: they explain that much fall."""
        own = self.own_deletes
        if self.observed_baseline is not None:
            self.observed_baseline = max(self.observed_baseline - own, 0)
        self.below = [max(b - own, 0) for b in self.below]

    def _observe_count(self, n: int) -> None:
        """Move the count baseline for a complete observation of *n* (own deletes already taken off)."""
        if self.observed_baseline is None or n >= self.observed_baseline:
            self.observed_baseline, self.below = n, []
            return
        self.below.append(n)
        if len(self.below) >= CONFIRM:
            self.observed_baseline, self.below = max(self.below), []

    def advance(self, a: Allowed, obs: Observation | BaseException, deleted: int, ledger: Ledger,
                now: float) -> None:
        """Move the baselines as the guards' contract says, from this cycle's inputs and the model's verdicts."""
        self._forget_own_deletes()
        if a.halt in ("kill switch engaged", "observation failed"):
            self.own_deletes = 0
            return
        assert isinstance(obs, Observation)
        if obs.complete:
            self._observe_count(len(obs))
        held_shrink = self.shrunk(len(a.intended), now) and a.candidates and not ledger.covers(a.candidates, now)
        if a.halt is None and not held_shrink:
            self.desired_baseline = len(a.intended)
            # An approved delete set restarts the shrink window at the state approved with it.
            self.accepted = ([] if a.approved else self.accepted) + [(now, len(a.intended))]
        if deleted and not a.approved:
            self.unapproved.append((now, deleted))
        self.own_deletes = deleted
