"""Each guard's semantics, by example (the state machine checks them as properties)."""

from __future__ import annotations

from recon.core.approval import Approval, ApprovalRequest, keys_digest
from recon.core.baseline import CountBaseline
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
    assert d.count_baseline == CountBaseline(), "a flagged-incomplete list never becomes the count baseline"


def test_unexplained_count_drop_suppresses_deletes_but_own_deletes_explain() -> None:
    obs = world(6)
    desired = dict(list(obs.items())[:5])
    ten = CountBaseline(10)
    assert verdict(run(desired, obs, count_baseline=ten), "incomplete_observation").outcome is Outcome.SUPPRESS_DELETES
    explained = run(desired, obs, count_baseline=ten, own_deletes_last=4)
    assert verdict(explained, "incomplete_observation").outcome is Outcome.ALLOW
    assert explained.count_baseline == CountBaseline(6), "a fall the loop's own deletes explain moves the baseline"
    assert run(desired, world(12), count_baseline=ten).count_baseline == CountBaseline(12), "up moves freely"


def cut(n: int, baseline: CountBaseline, confirm: int = 3, own: int = 0):
    """One cycle whose complete observation holds *n* of the resources the baseline counted."""
    obs = world(n)
    p = Policy(guards=Guards(incomplete_observation={"confirm_cycles": confirm}))
    d = run(dict(list(obs.items())[: max(n - 1, 0)]), obs, p, count_baseline=baseline, own_deletes_last=own)
    return verdict(d, "incomplete_observation"), d.count_baseline


def test_a_second_cut_list_right_after_a_first_is_still_caught() -> None:
    first, after = cut(100, CountBaseline(400))
    assert first.outcome is Outcome.SUPPRESS_DELETES
    assert after.count == 400, "a tripped observation must not become the count baseline"
    second, after = cut(150, after)
    assert second.outcome is Outcome.SUPPRESS_DELETES and "fell from 400 to 150" in second.reason
    assert "2 of 3 consecutive observations" in second.reason
    # A complete list ends the run: the next cut starts counting afresh.
    assert cut(400, after)[1] == CountBaseline(400)


def test_a_small_unexplained_fall_does_not_ratchet_the_baseline_down() -> None:
    small, after = cut(350, CountBaseline(400))
    assert small.outcome is Outcome.ALLOW and after.count == 400
    assert cut(250, after)[0].outcome is Outcome.SUPPRESS_DELETES, "250 is 37% below 400, not 29% below 350"


def test_a_real_fall_clears_after_confirm_cycles_with_a_reason() -> None:
    b = CountBaseline(400)
    for _ in range(2):
        v, b = cut(240, b)
        assert v.outcome is Outcome.SUPPRESS_DELETES
    v, b = cut(240, b)
    assert v.outcome is Outcome.ALLOW and b == CountBaseline(240)
    assert "3 consecutive complete observations below the baseline 400 confirm the fall" in v.reason
    assert cut(240, b)[0].reason == "observation complete"
    # confirm_cycles is a setting; the lowered baseline is the highest count of the run.
    v, b = cut(150, cut(240, CountBaseline(400), confirm=2)[1], confirm=2)
    assert b == CountBaseline(240) and v.outcome is Outcome.SUPPRESS_DELETES, "a deep cut in the run stays caught"


def test_own_deletes_stay_explained_across_a_cycle_that_observed_nothing() -> None:
    paused = decide(None, GuardContext(now=0.0, switch_engaged=True, count_baseline=CountBaseline(10),
                                       own_deletes_last=4), Policy())
    assert paused.count_baseline == CountBaseline(6)
    failed = decide(None, GuardContext(now=0.0, observe_error="boom", count_baseline=CountBaseline(10, 8, 1),
                                       own_deletes_last=4), Policy())
    assert failed.count_baseline == CountBaseline(6, 4, 1)


def test_an_aborted_cycle_moves_the_baseline_by_the_same_rule() -> None:
    d = run({}, world(100), count_baseline=CountBaseline(400))
    assert d.aborted and d.count_baseline == CountBaseline(400, 100, 1)


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


def test_cycles_catch_a_second_cut_list_and_clear_a_real_fall_across_restarts(tmp_path) -> None:
    """The story through run_cycle, with the loop's state saved and loaded between cycles."""
    from recon.core.cycle import run_cycle
    from recon.core.effects import CheckKillSwitch, LoadDesired, Observe, WriteResult
    from recon.core.model import DesiredState, Observation
    from recon.core.policy import RunMode
    from recon.core.record import LoopState
    from recon.drivers.loop import drive
    from recon.store import StateStore

    items = sorted(world(40).items())
    desired = DesiredState.of([r for _, r in items[:38]])

    def cycle(n: int | None) -> tuple[Outcome, str]:
        """One cycle that observes the first *n* resources (the world never changes), or whose list
        fails (None): its verdict."""
        def answer(effect):
            if isinstance(effect, CheckKillSwitch):
                return False
            if isinstance(effect, LoadDesired):
                return desired
            if isinstance(effect, Observe):
                return ConnectionError("refused") if n is None else Observation.of([r for _, r in items[:n]])
            return WriteResult(True)

        store = StateStore(tmp_path / "loop.db")  # a restart before every cycle
        result = drive(run_cycle("t", Policy(), store.load_state("t"), 0.0, mode=RunMode.ENFORCE), answer)
        store.save_state("t", result.state)
        v = verdict(result.decision, "incomplete_observation")
        return v.outcome, v.reason

    cut, allowed = Outcome.SUPPRESS_DELETES, Outcome.ALLOW
    assert cycle(38)[0] is allowed  # the first observation is the baseline
    assert cycle(10)[0] is cut
    assert cycle(None)[0] is Outcome.ABORT  # a failed list in between keeps the baseline
    assert cycle(15)[0] is cut, "a second cut list right after a first passed"
    assert cycle(38)[0] is allowed
    # Someone really deleted 40% by hand: two cycles wait, the third clears the fall.
    assert [cycle(22)[0] for _ in range(2)] == [cut, cut]
    outcome, reason = cycle(22)
    assert outcome is allowed and "confirm the fall: the baseline is now 22" in reason
    assert cycle(22)[0] is allowed
    assert StateStore(tmp_path / "loop.db").load_state("t").count_baseline.count == 22
