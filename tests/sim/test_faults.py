"""Fault models of the fake provider, failing desired sources, drift and humans, each on its own."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from recon.core.approval import ApprovalRequest
from recon.core.model import Resource
from recon.sim import load_scenario, simulate
from recon.sim.humans import HumanApprover, KillSwitches, OnCall
from recon.sim.provider import ApiError, ApiServer, SimProvider
from recon.sim.scenario import ApproverSpec, DesiredEvent, OnCallSpec, ProviderSpec
from recon.sim.sources import SimSource, SourceError
from recon.sim.world import World

ITEMS = [Resource("rule", f"fw-{i:03d}", {"port": i}) for i in range(250)]


def _provider(**faults: Any) -> tuple[simpy.Environment, World, SimProvider]:
    env = simpy.Environment()
    world = World(ITEMS, ITEMS, clock=lambda: env.now)
    api = ApiServer(env, ProviderSpec.model_validate(faults))
    return env, world, SimProvider(env, world, api, np.random.default_rng(0), "p", lambda k: True)


def _run(env: simpy.Environment, gen: Generator[simpy.Event, Any, Any]) -> Any:
    proc = env.process(gen)
    env.run(until=proc)
    return proc.value


def test_throttling_answers_429_with_retry_after_then_gives_up() -> None:
    env, _, p = _provider(throttle={"rate": 1.0, "burst": 2, "max_retries": 1})
    for _ in range(3):
        _run(env, p.apply_process(ITEMS[0]))
    assert env.now == pytest.approx(1.0)  # two from the bucket, the third after Retry-After
    assert p.api.throttled == 1 and p.api.calls["apply"] == 4
    # Three clients at once against an empty bucket: all retry after 1 s, one token, two give up.
    errors: list[str] = []

    def client() -> Generator[simpy.Event, Any, None]:
        try:
            yield from p.apply_process(ITEMS[0])
        except ApiError as e:
            errors.append(str(e))

    for _ in range(3):
        env.process(client())
    env.run(until=10)
    assert errors == ["p: apply: 429 Too Many Requests after 1 retries"] * 2


@pytest.mark.parametrize("how", ["silent", "flag"])
def test_a_truncated_list_is_silent_or_flagged(how: str) -> None:
    env, _, p = _provider(pages={"size": 100, "truncate_p": 1.0, "on_truncate": how})
    obs = _run(env, p.observe_process())
    assert len(obs) in (100, 200) and p.api.calls["list"] == len(obs) // 100
    if how == "flag":
        assert not obs.complete and "list stopped after page" in obs.reason
    else:
        assert obs.complete and obs.reason is None


def test_an_expired_continuation_token_flags_the_list() -> None:
    env, _, p = _provider(list_latency=3.0, pages={"size": 100, "token_ttl": 2.0})
    obs = _run(env, p.observe_process())
    assert not obs.complete and "continuation token expired before page 2 of 3 (410 Gone)" == obs.reason
    assert len(obs) == 100


def test_errors_and_timeouts_fail_the_call() -> None:
    env, _, p = _provider(error_p=1.0)
    with pytest.raises(ApiError, match="500"):
        _run(env, p.observe_process())
    env, _, p = _provider(timeout_p=1.0, timeout=7.0)
    with pytest.raises(ApiError, match="timed out after 7s"):
        _run(env, p.delete_process(ITEMS[0]))
    assert env.now == 7.0


def test_stale_reads_and_read_after_write_lag() -> None:
    env, world, p = _provider(stale_p=1.0, stale_lag=60.0)
    first = _run(env, p.observe_process())
    env.run(until=100)
    world.remove(ITEMS[0].key, "drift-delete")
    stale = _run(env, p.observe_process())
    assert ITEMS[0].key in stale.resources and stale.resources is first.resources

    env, world, p = _provider(visibility_lag=30.0)
    p.delete(ITEMS[1])
    assert ITEMS[1].key not in world.items
    assert ITEMS[1].key in _run(env, p.observe_process()).resources
    env.run(until=31)
    assert ITEMS[1].key not in _run(env, p.observe_process()).resources


def test_failing_desired_sources() -> None:
    env = simpy.Environment()
    world = World(ITEMS, ITEMS, clock=lambda: env.now)
    src = SimSource(world, "cfg", lambda k: True, {r.key for r in ITEMS})
    rng = np.random.default_rng(0)
    assert len(src.load()) == 250
    partial = DesiredEvent(at=0, kind="partial", fraction=0.6)
    src.start(partial, rng)
    a, b = src.load(), src.load()
    assert len(a) == 150 and a.resources.keys() == b.resources.keys()  # the same wrong answer each time
    src.stop(partial)
    err = DesiredEvent(at=0, kind="error")
    src.start(err, rng)
    with pytest.raises(SourceError, match="cfg: desired source failed to load"):
        src.load()
    src.stop(err)
    src.start(DesiredEvent(at=0, kind="rename", typo="prod-", scope={"name": "fw-00*"}), rng)
    names = {k[1] for k in src.load().resources}
    assert "prod-fw-001" in names and "fw-001" not in names and "fw-100" in names and len(names) == 250


def test_the_human_approves_legitimate_sets_and_denies_bogus_ones() -> None:
    env = simpy.Environment()
    world = World(ITEMS[:5], ITEMS, clock=lambda: env.now)
    events: list[tuple[str, dict[str, Any]]] = []
    human = HumanApprover(env, world, ApproverSpec(latency=120.0, p_approve_legit=1.0, p_approve_bogus=0.0),
                          np.random.default_rng(0), lambda what, **f: events.append((what, f)))
    legit = ApprovalRequest.make("fw", [r.key for r in ITEMS[5:9]], "max_deletes", "cap", 0.0)
    bogus = ApprovalRequest.make("fw", [r.key for r in ITEMS[:9]], "max_deletes", "cap", 0.0)
    for req in (legit, bogus, legit):
        human.request(req, 0.0)
    assert human.lookup(legit.id, legit.digest, 0.0) is None
    env.run(until=121)
    assert human.lookup(legit.id, legit.digest, 121.0).granted  # type: ignore[union-attr]
    assert not human.lookup(bogus.id, bogus.digest, 121.0).granted  # type: ignore[union-attr]
    assert [w for w, _ in events].count("approval_requested") == 2


def test_the_on_call_engages_and_releases_the_kill_switch() -> None:
    env = simpy.Environment()
    switches = KillSwitches()
    oncall = OnCall(env, OnCallSpec(delay=300.0, release_after=600.0), switches, np.random.default_rng(0),
                    lambda *a, **k: None)
    reader = switches.reader("fw")
    oncall.page("fw", "delete spike")
    oncall.page("fw", "delete spike again")
    env.run(until=299)
    assert not reader()
    env.run(until=301)
    assert reader() and oncall.pages == 2
    env.run(until=901)
    assert not reader()


def test_clean_only_drift_never_hits_a_drifted_resource() -> None:
    sc = load_scenario({"duration": 3600, "world": {"resources": 10},
                        "drift": {"edit_rate": 1 / 60, "only_clean": True}})
    r = simulate(sc, seed=4)
    drift = r.events[r.events["event"] == "drift"]
    assert len(drift) == r.summary["drift_episodes"] > 100


def test_foreign_resources_survive_only_with_an_owner_id() -> None:
    base = {"duration": 600, "world": {"resources": 20, "foreign": 5}}
    owned = simulate(load_scenario(base, ["loop.owner_id=fw-loop"]), seed=0).summary
    naive = simulate(load_scenario(base), seed=0).summary
    assert owned["wrongful_deletes"] == 0 and owned["guard_trips"]["ownership"] > 0
    assert naive["wrongful_deletes"] == 5


def test_watch_observation_lists_only_on_resync_and_lost_events_wait_for_it() -> None:
    base = {"duration": 3600, "world": {"resources": 50}, "loop": {"period": 60},
            "drift": {"edit_rate": 1 / 1800}}
    listing = simulate(load_scenario(base), seed=8).summary
    watch = simulate(load_scenario({**base, "provider": {"watch": {"resync": 600}}}), seed=8).summary
    assert listing["api_calls_by_op"]["list"] == 60 and watch["api_calls_by_op"]["list"] == 6
    assert watch["drift_dwell_mean"] == listing["drift_dwell_mean"]  # nothing lost: same heals, same times
    lossy = simulate(load_scenario({**base, "provider": {"watch": {"resync": 600, "drop_p": 1.0}}}), seed=8)
    s = lossy.summary
    assert s["drift_dwell_mean"] > 2 * listing["drift_dwell_mean"]
    healed = lossy.episodes.dropna(subset=["end"])
    assert (healed["end"] % 600 == 0).mean() > 0.7  # most heals waited for a resync
    # The loop's own writes are lost from the cache too: it keeps re-applying what it already healed
    # (which heals the rest, when a healed resource drifts again unseen).
    assert s["redundant_writes"] > 0 and listing["redundant_writes"] == 0


def test_event_triggered_loops_heal_drift_at_once() -> None:
    base = {"duration": 3600, "world": {"resources": 50}, "loop": {"period": 600},
            "drift": {"edit_rate": 1 / 3600, "delete_rate": 1 / 3600}}
    ticking = simulate(load_scenario(base), seed=9).summary
    triggered = simulate(load_scenario(base, ["loop.triggered=true"]), seed=9).summary
    assert ticking["drift_dwell_mean"] > 100
    assert triggered["drift_dwell_mean"] == 0.0 and triggered["cycles"] > ticking["cycles"]


def test_the_progress_bar_does_not_change_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    sc = load_scenario({"duration": 7200, "world": {"resources": 30}, "loop": {"jitter": 0.3},
                        "drift": {"edit_rate": 1e-3}})
    quiet = simulate(sc, seed=3)
    shown = simulate(sc, seed=3, progress=True)
    assert quiet.summary == shown.summary and quiet.cycles.equals(shown.cycles)
    assert "simulating" in capsys.readouterr().err
