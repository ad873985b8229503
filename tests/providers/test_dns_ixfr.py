"""The dns provider under watch: IXFR against a real BIND, drifted by RFC 2136 updates between cycles.

Each cycle must report exactly the keys the updates touched and the serial they made, hold the same
resources as a fresh AXFR (so plan the same), fall back to AXFR when the server cannot answer
incrementally, and turn a broken IXFR into an incomplete observation that deletes nothing.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recon.config import build_loop, load_loop_config
from recon.core.model import Key, Observation, Resource
from recon.core.plan import Plan, diff
from recon.drivers.loop import plan_once
from recon.providers.dns import DnsObserver, dns_normalizer
from recon.store.sqlite import StateStore
from tests.providers.helpers import RECON, recon, write_loop
from tests.servers.bind import UPDATE_KEY, BindServer, BindZone, zone_text
from tests.servers.dns_faults import BrokenIxfrServer

pytestmark = pytest.mark.server

MARKER = '"heritage=external-dns,external-dns/owner=dns-loop"'


def provider(z: BindZone | BrokenIxfrServer, zone: str, **kw: object) -> dict[str, object]:
    return {"type": "dns", "zone": zone, "server": z.server, "port": z.port, "timeout": 3, **kw}


def observer(z: BindZone | BrokenIxfrServer, tmp_path: Path, **kw: object) -> DnsObserver:
    settings = provider(z, z.upstream.zone if isinstance(z, BrokenIxfrServer) else z.zone, **kw)
    del settings["type"]
    return DnsObserver.from_config(settings, tmp_path)


def fresh(z: BindZone, tmp_path: Path, **kw: object) -> Observation:
    """What a one-shot AXFR of the zone sees now."""
    return observer(z, tmp_path, **kw).observe()


def plan_view(plan: Plan) -> tuple[set[Any], list[Key]]:
    """A plan without the order the observation happened to list its keys in."""
    return {(c.op, c.key, c.desired, c.observed, c.fields) for c in plan.changes}, sorted(plan.unchanged)


DESIRED = [Resource("A", "www", {"ttl": 300, "values": ["192.0.2.10", "192.0.2.11"]}),
           Resource("A", "api", {"ttl": 300, "values": ["192.0.2.30"]}),
           Resource("MX", "@", {"values": ["10 mail"]})]


def assert_same_as_axfr(obs: Observation, z: BindZone, tmp_path: Path, **kw: object) -> None:
    full = fresh(z, tmp_path, **kw)
    assert obs.complete and full.complete
    assert dict(obs.resources) == dict(full.resources)
    assert {k: r.owner for k, r in obs.resources.items()} == {k: r.owner for k, r in full.resources.items()}
    desired = {r.key: r for r in DESIRED}
    n = dns_normalizer(z.zone, 3600)
    assert plan_view(diff(desired, obs.resources, n)) == plan_view(diff(desired, full.resources, n))


def test_each_cycle_sees_exactly_the_updated_keys_at_the_new_serial(bind_zone: BindZone, bind_server: BindServer,
                                                                    tmp_path: Path) -> None:
    o = observer(bind_zone, tmp_path)
    first = o.observe()
    assert (first.version, first.since, first.changed) == (str(bind_zone.serial()), None, None)  # an AXFR
    cycles: list[tuple[list[tuple[str, ...]], set[Key]]] = [
        ([("add", "api", "A", "300", "192.0.2.30"), ("replace", "www", "A", "60", "192.0.2.10", "192.0.2.11"),
          ("delete", "www", "AAAA")],
         {("A", "api"), ("A", "www"), ("AAAA", "www")}),
        # A marker changes the owner of the record it names: both keys changed.
        ([("add", "_owner.a.api", "TXT", "300", MARKER), ("add", "mail", "A", "3600", "192.0.2.26"),
          ("delete", "docs", "CNAME")],
         {("TXT", "_owner.a.api"), ("A", "api"), ("A", "mail"), ("CNAME", "docs")}),
        ([("delete", "_owner.a.api", "TXT"), ("add", "api", "A", "300", "192.0.2.31")],
         {("TXT", "_owner.a.api"), ("A", "api")}),
        ([], set()),
    ]
    previous = first
    for updates, expected in cycles:
        for op, name, rtype, *rest in updates:
            if op == "delete":
                bind_zone.delete(name, rtype)
            else:
                getattr(bind_zone, op)(name, rtype, int(rest[0]), *rest[1:])
        obs = o.observe()
        assert obs.changed == frozenset(expected)
        assert obs.version == str(bind_zone.serial()) and obs.since == previous.version
        assert_same_as_axfr(obs, bind_zone, tmp_path)
        previous = obs
    assert obs.resources[("A", "api")].owner is None
    # One AXFR to start, then an IXFR per cycle, each followed by the check's own AXFR; BIND logs
    # no transfer for an IXFR already up to date.
    assert bind_server.transfers(bind_zone.zone) == ["AXFR"] + ["IXFR", "AXFR"] * 3 + ["AXFR"]


def test_a_marker_for_every_type_at_a_name_changes_all_of_them(bind_zone: BindZone, tmp_path: Path) -> None:
    reg = {"template": "owner-{name}"}
    o = observer(bind_zone, tmp_path, registry=reg)
    o.observe()
    bind_zone.add("owner-www", "TXT", 300, MARKER)
    obs = o.observe()
    assert obs.changed == frozenset({("TXT", "owner-www"), ("A", "www"), ("AAAA", "www")})
    assert obs.resources[("AAAA", "www")].owner == "dns-loop"
    assert_same_as_axfr(obs, bind_zone, tmp_path, registry=reg)
    bind_zone.delete("www")  # every RRset at www, the marker's targets
    obs = o.observe()
    assert obs.changed == frozenset({("A", "www"), ("AAAA", "www")})
    assert_same_as_axfr(obs, bind_zone, tmp_path, registry=reg)


def test_a_server_without_the_journal_answers_in_full_and_ixfr_resumes(bind_zone: BindZone, bind_server: BindServer,
                                                                       tmp_path: Path) -> None:
    o = observer(bind_zone, tmp_path)
    o.observe()
    bind_zone.add("api", "A", 300, "192.0.2.30")
    bind_server.drop_journal(bind_zone.zone)       # the server can no longer say what changed since then
    bind_zone.add("blog", "CNAME", 300, "www")
    obs = o.observe()
    assert obs.changed is None and obs.since is None and obs.version == str(bind_zone.serial())
    assert_same_as_axfr(obs, bind_zone, tmp_path)
    bind_zone.delete("blog", "CNAME")               # the new journal reaches back to the full answer
    obs = o.observe()
    assert obs.changed == frozenset({("CNAME", "blog")})
    assert_same_as_axfr(obs, bind_zone, tmp_path)
    assert bind_server.transfers(bind_zone.zone) == ["AXFR", "AXFR-style IXFR", "AXFR", "IXFR", "AXFR"]


def test_a_serial_that_went_backwards_falls_back_to_axfr(bind_zone: BindZone, bind_server: BindServer,
                                                         tmp_path: Path) -> None:
    o = observer(bind_zone, tmp_path)
    bind_zone.add("api", "A", 300, "192.0.2.30")
    bind_zone.add("api", "A", 300, "192.0.2.31")
    assert o.observe().version == "3"
    # An operator restores an older zone file: serial 2, other records.
    bind_server.reload_zone(bind_zone, zone_text(bind_zone.zone, {("A", "old"): (60, ["192.0.2.99"])}, serial=2), 2)
    obs = o.observe()
    assert obs.changed is None and obs.version == "2"
    assert ("A", "old") in obs.resources and ("A", "api") not in obs.resources
    assert_same_as_axfr(obs, bind_zone, tmp_path)
    assert bind_server.transfers(bind_zone.zone)[-1] == "AXFR"


def test_resync_and_ixfr_false_transfer_the_whole_zone(bind_zone: BindZone, bind_server: BindServer,
                                                       tmp_path: Path) -> None:
    for settings in ({"resync": 0.001}, {"ixfr": False}):
        o = observer(bind_zone, tmp_path, **settings)
        o.observe()
        time.sleep(0.002)
        bind_zone.add("api", "A", 300, f"192.0.2.{len(settings) + 40}")
        obs = o.observe()
        assert obs.changed is None and obs.version == str(bind_zone.serial())
        assert_same_as_axfr(obs, bind_zone, tmp_path)
    assert "IXFR" not in bind_server.transfers(bind_zone.zone)


@pytest.mark.parametrize("mode, reason", [("cut", "connection closed midway"),
                                          ("serial-mismatch", "IXFR base serial mismatch"),
                                          ("unknown-deletion", "deletes A never '192.0.2.254'"),
                                          ("garbage", "broken transfer")])
def test_a_broken_ixfr_is_incomplete_and_deletes_nothing(bind_zone: BindZone, tmp_path: Path, mode: str,
                                                         reason: str) -> None:
    # The desired state lacks most records: a loop trusting the IXFR's result would delete them.
    desired = [r.to_dict() for r in DESIRED]
    with BrokenIxfrServer(bind_zone, mode) as broken:
        cfg, base = load_loop_config(write_loop(tmp_path, provider(broken, bind_zone.zone), desired))
        loop = build_loop(cfg, base, store=StateStore(":memory:"))
        first = loop.observer.observe()
        assert plan_once(loop, time.time(), observation=first).record.to_delete == 6
        seen = dict(first.resources)
        bind_zone.add("api", "A", 300, "192.0.2.30")
        bind_zone.delete("www", "AAAA")
        bind_zone.add("mail", "A", 3600, "192.0.2.26")
        obs = loop.observer.observe()
        assert not obs.complete and f"IXFR of {bind_zone.zone}" in obs.reason and reason in obs.reason
        assert dict(obs.resources) == seen and obs.changed is None  # the zone as last seen, no delta
        r = plan_once(loop, time.time(), observation=obs).record
        v = next(v for v in r.verdicts if v.guard == "incomplete_observation")
        assert v.outcome.value == "suppress_deletes" and r.would_delete == 0
        again = loop.observer.observe()  # the next observation starts over with an AXFR
        assert again.complete and again.changed is None
        assert_same_as_axfr(again, bind_zone, tmp_path)


def _wait_for_cycles(events: Path, n: int, proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
        if len(rows) >= n:
            return rows
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"no cycle {n} in {events}")


def test_recon_watch_follows_the_zone_by_ixfr(bind_zone: BindZone, bind_server: BindServer, tmp_path: Path) -> None:
    # Desired: the zone without AAAA www, plus A api: cycle 1 would create 1 and delete 1.
    current = fresh(bind_zone, tmp_path)
    desired = [r.to_dict() for k, r in current.resources.items() if k != ("AAAA", "www")]
    desired.append(DESIRED[1].to_dict())
    loop = write_loop(tmp_path, provider(bind_zone, bind_zone.zone), desired,
                      guards={"max_deletes": {"max": 100, "max_fraction": 1}})
    plan = recon("plan", loop, cwd=tmp_path)
    assert plan.code == 2 and bind_server.transfers(bind_zone.zone)[-1] == "AXFR", plan.stderr  # a plan: one AXFR
    events = tmp_path / "ev.jsonl"
    proc = subprocess.Popen([*RECON, "watch", str(loop), "--interval", "1.5", "--jitter", "0", "--max-cycles", "3",
                             "--events", str(events)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        _wait_for_cycles(events, 1, proc)
        bind_zone.delete("www", "AAAA")                 # the delete is done by someone else
        _wait_for_cycles(events, 2, proc)
        bind_zone.add("api", "A", 300, "192.0.2.30")    # and so is the create
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    rows = _wait_for_cycles(events, 3, proc)
    assert [(r["observed_count"], r["would_create"], r["would_delete"], r["observation_complete"]) for r in rows] == [
        (8, 1, 1, True), (7, 1, 0, True), (8, 0, 0, True)]
    assert "would create 0 update 0 delete 0" in out.splitlines()[-1]
    assert bind_server.transfers(bind_zone.zone)[-3:] == ["AXFR", "IXFR", "IXFR"]


def test_recon_watch_records_a_broken_ixfr_as_incomplete_and_exits_as_before(bind_zone: BindZone,
                                                                             tmp_path: Path) -> None:
    desired = [r.to_dict() for r in DESIRED]
    with BrokenIxfrServer(bind_zone, "cut") as broken:
        loop = write_loop(tmp_path, provider(broken, bind_zone.zone), desired)
        events = tmp_path / "ev.jsonl"
        proc = subprocess.Popen([*RECON, "watch", str(loop), "--interval", "1.5", "--jitter", "0", "--max-cycles",
                                 "2", "--events", str(events)], cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            _wait_for_cycles(events, 1, proc)
            bind_zone.add("blog", "CNAME", 300, "www")
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    # An incomplete observation is a cycle that observed: the watch succeeds, and deletes nothing.
    assert proc.returncode == 0, err
    rows = _wait_for_cycles(events, 2, proc)
    assert [r["observation_complete"] for r in rows] == [True, False]
    assert "IXFR of" in rows[1]["observation_reason"] and rows[1]["would_delete"] == 0
    assert "incomplete_observation" in rows[1]["guards_tripped"]


def test_an_ixfr_answered_with_an_error_code_is_followed_by_an_axfr(bind_zone: BindZone, tmp_path: Path) -> None:
    with BrokenIxfrServer(bind_zone, "notimp") as server:
        o = observer(server, tmp_path)
        o.observe()
        bind_zone.add("api", "A", 300, "192.0.2.30")
        obs = o.observe()
    assert obs.complete and obs.changed is None and obs.version == str(bind_zone.serial())
    assert_same_as_axfr(obs, bind_zone, tmp_path)


def test_ixfr_is_signed_like_the_axfr_when_the_server_demands_tsig(bind_zone_factory: Callable[..., BindZone],
                                                                   bind_server: BindServer, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    z = bind_zone_factory(allow_transfer="tsig")
    monkeypatch.setenv("RECON_TEST_TSIG", bind_server.update_secret)
    o = observer(z, tmp_path, tsig_key_name=UPDATE_KEY, tsig_secret_env="RECON_TEST_TSIG")
    o.observe()
    z.add("api", "A", 300, "192.0.2.30")
    obs = o.observe()
    assert obs.complete and obs.changed == frozenset({("A", "api")})
    assert dict(obs.resources) == dict(observer(z, tmp_path, tsig_key_name=UPDATE_KEY,
                                                tsig_secret_env="RECON_TEST_TSIG").observe().resources)
    assert bind_server.transfers(z.zone) == ["AXFR", "IXFR", "AXFR"]
