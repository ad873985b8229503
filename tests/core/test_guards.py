"""Each guard's semantics, by example (the state machine checks them as properties)."""

from __future__ import annotations

from recon.core.approval import Approval, ApprovalRequest, keys_digest
from recon.core.decision import decide
from recon.core.guards import GUARD_ORDER, GuardContext
from recon.core.model import Resource
from recon.core.plan import Op, diff
from recon.core.policy import Convergence, Guards, Outcome, Policy, Selector


def world(n: int, prefix: str = "r", owner: str | None = None) -> dict:
    return {("A", f"{prefix}{i}"): Resource("A", f"{prefix}{i}", {"v": i}, owner) for i in range(n)}


def ctx(desired: dict, observed: dict, **kw) -> GuardContext:
    return GuardContext(loop="t", desired_count=len(desired), observed_count=len(observed), **kw)


def run(desired: dict, observed: dict, policy: Policy = Policy(), approval=None, now=0.0, **kw):
    return decide(diff(desired, observed), ctx(desired, observed, approval=approval, now=now, **kw), policy)


def verdict(d, name):
    return next(v for v in d.verdicts if v.guard == name)


def test_every_guard_gives_a_verdict_in_order() -> None:
    d = run(world(3), world(3))
    assert tuple(v.guard for v in d.verdicts) == GUARD_ORDER
    assert all(v.reason for v in d.verdicts)


def test_kill_switch_pauses_everything() -> None:
    d = decide(None, GuardContext(now=0.0, loop="t", switch_engaged=True), Policy())
    assert d.paused and not d.batch and d.verdicts[0].outcome is Outcome.PAUSE


def test_desired_error_aborts() -> None:
    d = decide(None, GuardContext(now=0.0, observed_count=5, desired_error="OSError: boom"), Policy())
    assert d.aborted and not d.batch and verdict(d, "desired_error").outcome is Outcome.ABORT


def test_empty_desired_aborts_and_disabled_lets_it_through() -> None:
    obs = world(5)
    d = run({}, obs)
    assert d.aborted and not d.batch and verdict(d, "empty_desired").outcome is Outcome.ABORT
    unguarded = Policy(guards=Guards(empty_desired=False, max_deletes=False))
    d2 = run({}, obs, unguarded)
    assert sum(c.op is Op.DELETE for c in d2.batch) == 5


def test_desired_shrink_holds_deletes_but_lets_creates_through() -> None:
    obs = world(10)
    desired = dict(list(obs.items())[:4]) | world(1, "new")
    d = run(desired, obs, last_accepted_desired=10)
    assert verdict(d, "desired_shrink").outcome is Outcome.HOLD
    assert [c.op for c in d.batch] == [Op.CREATE]
    assert d.approval_request is not None and len(d.approval_request.keys) == 6
    assert not d.accept_desired
    abort = Policy(guards=Guards(desired_shrink={"action": "abort"}))
    assert run(desired, obs, abort, last_accepted_desired=10).aborted


def test_approval_releases_exactly_its_key_set() -> None:
    obs = world(20)
    desired = dict(list(obs.items())[:5])
    d = run(desired, obs)
    req = d.approval_request
    assert req is not None and verdict(d, "max_deletes").outcome is Outcome.HOLD
    ok = Approval(req.id, req.digest, True, "alice", 0, 100)
    d2 = run(desired, obs, approval=ok, now=10)
    assert sum(c.op is Op.DELETE for c in d2.batch) == 15 and d2.approved_by == "alice"
    # A changed set (one more delete) is not covered by the old approval.
    d3 = run(dict(list(obs.items())[:4]), obs, approval=ok, now=10)
    assert not any(c.op is Op.DELETE for c in d3.batch) and d3.approval_request.id != req.id
    # Expired approvals do not count.
    assert not any(c.op is Op.DELETE for c in run(desired, obs, approval=ok, now=100).batch)
    # A denial is recorded and no new request is raised for the same set.
    no = Approval(req.id, req.digest, False, "bob", 0, 100)
    d4 = run(desired, obs, approval=no, now=10)
    assert d4.approval_request is None and "denied by bob" in d4.blocked[0].reason


def test_incomplete_observation_suppresses_deletes_and_marks_upserts() -> None:
    obs = world(6)
    desired = dict(list(obs.items())[:4]) | world(1, "new")
    d = run(desired, obs, observation_complete=False, observation_reason="page 2 timed out")
    assert verdict(d, "incomplete_observation").outcome is Outcome.SUPPRESS_DELETES
    assert "page 2 timed out" in verdict(d, "incomplete_observation").reason
    assert not any(c.op is Op.DELETE for c in d.batch) and {c.key for c in d.batch if c.op is Op.CREATE} == {("A", "new0")}
    assert not d.accept_observation


def test_unexplained_count_drop_suppresses_deletes_but_own_deletes_explain() -> None:
    obs = world(6)
    desired = dict(list(obs.items())[:5])
    assert verdict(run(desired, obs, last_observed=10), "incomplete_observation").outcome is Outcome.SUPPRESS_DELETES
    assert verdict(run(desired, obs, last_observed=10, own_deletes_last=4),
                   "incomplete_observation").outcome is Outcome.ALLOW


def test_ownership_excludes_unowned_and_says_so_without_owner_id() -> None:
    obs = world(3, owner="loop") | world(2, "hand")
    desired = {k: r for k, r in obs.items() if k[1] == "r0"}
    p = Policy(owner_id="loop")
    d = run({k: r.with_owner("loop") for k, r in desired.items()}, obs, p)
    deleted = {c.key[1] for c in d.batch if c.op is Op.DELETE}
    assert deleted == {"r1", "r2"}
    assert verdict(d, "ownership").outcome is Outcome.EXCLUDE
    assert "every resource in scope counts as managed" in verdict(run(desired, obs), "ownership").reason


def test_protected_resources_are_never_touched() -> None:
    obs = world(3) | world(2, "prod-db")
    desired = {("A", "prod-db0"): Resource("A", "prod-db0", {"v": 99})}
    p = Policy(guards=Guards(protected={"selectors": [Selector(kind="*", name="prod-*")]}, max_deletes=False))
    d = run(desired, obs, p)
    assert not any(c.key[1].startswith("prod-") for c in d.batch)
    assert {c.key[1] for c in d.batch} == {"r0", "r1", "r2"}


def test_max_deletes_fraction_applies_only_from_a_minimum_size() -> None:
    p = Policy(guards=Guards(max_deletes={"max": 100, "max_fraction": 0.25}))
    obs = world(4)
    assert verdict(run(dict(list(obs.items())[:2]), obs, p), "max_deletes").outcome is Outcome.ALLOW
    obs = world(20)
    assert verdict(run(dict(list(obs.items())[:14]), obs, p), "max_deletes").outcome is Outcome.HOLD
    assert run(dict(list(obs.items())[:14]), obs, Policy(guards=Guards(max_deletes={"action": "abort"}))).aborted


def test_max_changes_defers_in_deterministic_order_deletes_last() -> None:
    obs = world(4, "old")
    desired = world(4, "new") | {("A", "old0"): Resource("A", "old0", {"v": 42})}
    p = Policy(guards=Guards(max_changes={"max": 4}))
    d = run(desired, obs, p)
    assert [(c.op, c.key[1]) for c in d.batch] == [(Op.CREATE, f"new{i}") for i in range(4)]
    assert [x.change.op for x in d.deferred] == [Op.UPDATE, Op.DELETE, Op.DELETE, Op.DELETE]
    assert verdict(d, "max_changes").outcome is Outcome.DEFER


def test_policy_modes() -> None:
    obs = world(3)
    desired = {("A", "r0"): Resource("A", "r0", {"v": 7}), ("A", "x"): Resource("A", "x", {})}
    up = run(desired, obs, Policy(convergence=Convergence.UPSERT_ONLY))
    assert {c.op for c in up.batch} == {Op.CREATE, Op.UPDATE}
    co = run(desired, obs, Policy(convergence=Convergence.CREATE_ONLY))
    assert {c.op for c in co.batch} == {Op.CREATE}
    assert all(b.guard == "mode" for b in co.blocked)


def test_backoff_defers_a_failing_resource() -> None:
    d = run(world(1, "new"), {}, backoff={("A", "new0"): 50.0}, now=10)
    assert not d.batch and "backoff" in d.deferred[0].reason


def test_delete_spike_alert() -> None:
    p = Policy(alerts={"delete_spike": 5})
    aborted = run({}, world(6), p)
    assert aborted.aborted and aborted.alerts, "a wipe stopped by a guard still pages"
    d = run(world(1), world(7), p)
    assert d.alerts and "6 deletes" in d.alerts[0]


def test_guards_accept_booleans_for_set_overrides() -> None:
    g = Guards.model_validate({"empty_desired": False, "max_deletes": "false", "desired_shrink": True})
    assert not g.empty_desired.enabled and not g.max_deletes.enabled and g.desired_shrink.enabled


def test_approval_request_id_depends_only_on_loop_and_key_set() -> None:
    a = ApprovalRequest.make("l", [("A", "b"), ("A", "a")], "max_deletes", "r", 1)
    b = ApprovalRequest.make("l", [("A", "a"), ("A", "b")], "max_deletes", "other", 2)
    assert a.id == b.id and a.digest == keys_digest([("A", "a"), ("A", "b")])
    assert ApprovalRequest.make("m", [("A", "a"), ("A", "b")], "g", "r", 1).id != a.id
