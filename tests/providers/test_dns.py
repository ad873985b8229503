"""The dns provider against a real BIND: exact plans, zero writes, broken transfers, ownership markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from recon.providers.base import ProviderError
from recon.providers.dns import DnsObserver, dns_normalizer
from recon.core.plan import diff
from recon.core.model import Resource
from tests.providers.helpers import assert_no_delete_proposed, keys, recon, verdict, write_loop
from tests.servers.bind import BindZone
from tests.servers.dns_faults import BrokenAxfrServer

pytestmark = pytest.mark.server


def provider(z: BindZone, **kw: object) -> dict[str, object]:
    return {"type": "dns", "zone": z.zone, "server": z.server, "port": z.port, "timeout": 3, **kw}


def desired_from(z: BindZone) -> list[dict[str, object]]:
    """The zone as it is (minus the SOA), as inventory entries."""
    return [{"kind": t, "name": n, "spec": {"ttl": ttl, "values": list(v)}}
            for (t, n), (ttl, v) in z.axfr().items() if t != "SOA"]


def test_plan_reports_exactly_the_known_creates_updates_and_deletes(bind_zone: BindZone, tmp_path: Path) -> None:
    desired = [r for r in desired_from(bind_zone) if (r["kind"], r["name"]) != ("AAAA", "www")]   # 1 delete
    for r in desired:
        if (r["kind"], r["name"]) == ("A", "www"):
            r["spec"] = {"ttl": 60, "values": ["192.0.2.11", "192.0.2.10"]}                       # TTL update
        if (r["kind"], r["name"]) == ("A", "mail"):
            r["spec"] = {"ttl": 3600, "values": ["192.0.2.26"]}                                   # value update
    desired += [{"kind": "A", "name": "api", "spec": {"ttl": 300, "values": ["192.0.2.30"]}},    # 2 creates
                {"kind": "CNAME", "name": "blog", "spec": {"ttl": 300, "values": ["www"]}}]
    run = recon("plan", write_loop(tmp_path, provider(bind_zone), desired), "--json", cwd=tmp_path)
    assert run.code == 2, run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 2, "update": 2, "delete": 1}
    assert keys(plan["changes"], "create") == {("A", "api"), ("CNAME", "blog")}
    assert keys(plan["changes"], "update") == {("A", "www"), ("A", "mail")}
    assert keys(plan["changes"], "delete") == {("AAAA", "www")}
    www = next(c for c in plan["changes"] if (c["kind"], c["name"]) == ("A", "www"))
    assert www["fields"] == [{"path": "ttl", "old": 300, "new": 60}]
    assert plan["observation"] == {"count": 8, "complete": True, "reason": None}


def test_unchanged_zone_plans_in_sync_through_a_snapshot(bind_zone: BindZone, tmp_path: Path) -> None:
    loop = write_loop(tmp_path, provider(bind_zone), [])
    snap = recon("snapshot", loop, "--out", tmp_path / "desired.yaml", cwd=tmp_path)
    assert snap.code == 0, snap.stderr
    run = recon("plan", loop, "--json", cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert run.json()["in_sync"] is True


def test_spelling_order_and_default_ttl_do_not_count_as_changes(bind_zone: BindZone, tmp_path: Path) -> None:
    desired = desired_from(bind_zone)
    for r in desired:
        r["spec"]["values"] = list(reversed(r["spec"]["values"]))
        if r["kind"] == "CNAME":
            r["spec"]["values"] = ["WWW"]                            # relative, upper case: same target
        if r["kind"] == "MX":
            del r["spec"]["ttl"]                                     # the zone default, 3600
    run = recon("plan", write_loop(tmp_path, provider(bind_zone), desired), "--json", cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr


def test_normalizer_still_sees_real_differences() -> None:
    n = dns_normalizer("example.test", 3600)
    d = Resource("AAAA", "x", {"values": ["2001:DB8:0:0::1"]})
    o = Resource("AAAA", "x", {"ttl": 3600, "values": ["2001:db8::1"]})
    assert diff({d.key: d}, {o.key: o}, n).in_sync
    o2 = Resource("AAAA", "x", {"ttl": 3600, "values": ["2001:db8::2"]})
    assert len(diff({d.key: d}, {o2.key: o2}, n).updates) == 1


def test_plan_snapshot_and_watch_never_write_to_the_zone(bind_zone: BindZone, tmp_path: Path) -> None:
    before, serial = bind_zone.axfr(), bind_zone.serial()
    desired = desired_from(bind_zone)[:2] + [{"kind": "A", "name": "new", "spec": {"ttl": 60, "values": ["192.0.2.1"]}}]
    loop = write_loop(tmp_path, provider(bind_zone), desired, guards={"max_deletes": {"max": 100, "max_fraction": 1}})
    assert recon("plan", loop, cwd=tmp_path).code == 2
    assert recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path).code == 0
    w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "4", cwd=tmp_path)
    assert w.code == 0, w.stderr
    assert w.stdout.count("would create 1") == 4
    assert bind_zone.axfr() == before and bind_zone.serial() == serial


def test_ownership_markers_set_owners_and_are_not_resources(bind_zone: BindZone, tmp_path: Path) -> None:
    bind_zone.add("_owner.a.www", "TXT", 300, '"heritage=external-dns,external-dns/owner=dns-loop"')
    bind_zone.add("_owner.mx", "TXT", 300, '"heritage=external-dns,external-dns/owner=dns-loop"')
    bind_zone.add("_owner.a.mail", "TXT", 300, '"heritage=external-dns,external-dns/owner=someone-else"')
    obs = DnsObserver.from_config(provider(bind_zone), tmp_path).observe()
    owners = {k: r.owner for k, r in obs.resources.items()}
    assert owners[("A", "www")] == "dns-loop" and owners[("MX", "@")] == "dns-loop"
    assert owners[("A", "mail")] == "someone-else" and owners[("AAAA", "www")] is None
    assert not any(k[1].startswith("_owner") for k in obs.resources)
    # The loop owns A/www and MX/@: the unowned and foreign records it would delete are kept.
    desired = [{"kind": "A", "name": "www", "spec": {"ttl": 300, "values": ["192.0.2.10", "192.0.2.11"]}},
               {"kind": "MX", "name": "@", "spec": {"ttl": 3600, "values": [f"10 mail.{bind_zone.zone}."]}}]
    loop = write_loop(tmp_path, provider(bind_zone), desired, owner_id="dns-loop",
                      guards={"max_deletes": {"max": 100, "max_fraction": 1}})
    plan = recon("plan", loop, "--json", cwd=tmp_path).json()
    assert keys(plan["changes"], "update") == set() and keys(plan["changes"], "create") == set()
    assert keys(plan["batch"], "delete") == set()
    assert verdict(plan, "ownership")["outcome"] == "exclude"


def test_registry_template_and_heritage_are_configurable(bind_zone: BindZone, tmp_path: Path) -> None:
    bind_zone.add("a-www", "TXT", 300, '"heritage=recon,recon/owner=team-a"')
    bind_zone.add("a-mail", "TXT", 300, '"heritage=external-dns,external-dns/owner=other"')  # other heritage
    reg = {"template": "{type}-{name}", "heritage": "recon", "owner_key": "recon/owner"}
    obs = DnsObserver.from_config(provider(bind_zone, registry=reg), tmp_path).observe()
    assert obs.resources[("A", "www")].owner == "team-a"
    assert ("TXT", "a-www") not in obs.resources and ("TXT", "a-mail") in obs.resources
    assert obs.resources[("A", "mail")].owner is None


def test_refused_transfer_is_an_error_naming_the_server(bind_zone_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    z = bind_zone_factory(allow_transfer=False)
    run = recon("plan", write_loop(tmp_path, provider(z), desired_from_records()), "--json", cwd=tmp_path)
    message = f"AXFR of {z.zone} from 127.0.0.1 port {z.port}: refused by the server (REFUSED)"
    # --json readers get the failure as a record with no changes in it, and people get it on stderr.
    assert run.code == 1 and json.loads(run.stdout) == {"exit_code": 1, "error": message}
    assert message in run.stderr


def desired_from_records() -> list[dict[str, object]]:
    return [{"kind": "A", "name": "www", "spec": {"ttl": 300, "values": ["192.0.2.10"]}}]


def test_server_down_is_an_error_and_watch_records_incomplete_observation(tmp_path: Path) -> None:
    from tests.servers.process import free_port

    port = free_port()
    loop = write_loop(tmp_path, {"type": "dns", "zone": "down.test", "port": port, "timeout": 1},
                      desired_from_records())
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and f"port {port}: cannot connect" in run.stderr
    w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "2", "--events", tmp_path / "ev.jsonl",
              cwd=tmp_path)
    # Each cycle is recorded; a watch in which no cycle could observe anything exits 1 for the scheduler.
    assert w.code == 1 and "every one of 2 cycles failed to observe" in w.stderr
    events = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert len(events) == 2
    text = json.dumps(events)
    assert "incomplete_observation" in text and "cannot connect" in text


@pytest.mark.parametrize("mode", ["cut", "no-closing-soa", "stall"])
def test_broken_transfer_is_incomplete_and_proposes_no_delete(bind_zone: BindZone, tmp_path: Path, mode: str) -> None:
    # The desired state lacks most records: a loop trusting a short list would delete them.
    with BrokenAxfrServer(bind_zone, mode) as broken:
        loop = write_loop(tmp_path, {"type": "dns", "zone": bind_zone.zone, "server": broken.server,
                                     "port": broken.port, "timeout": 1}, desired_from_records())
        run = recon("plan", loop, "--json", cwd=tmp_path)
        assert run.code == 3, run.stdout + run.stderr
        plan = run.json()
        assert plan["observation"]["complete"] is False
        v = verdict(plan, "incomplete_observation")
        assert v["outcome"] == "suppress_deletes" and f"AXFR of {bind_zone.zone}" in v["reason"]
        assert ("closing SOA" in v["reason"]) if mode != "stall" else ("timed out" in v["reason"])
        assert_no_delete_proposed(plan)
        snap = recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path)
        assert snap.code == 1 and "incomplete" in snap.stderr and not (tmp_path / "snap.yaml").exists()


def test_bad_settings_and_missing_tsig_secret_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="provider dns: field zone"):
        DnsObserver.from_config({"port": 53}, tmp_path)
    with pytest.raises(ProviderError, match="field 'tsig_secret' would put a credential"):
        DnsObserver.from_config({"zone": "x.test", "tsig_secret": "abc"}, tmp_path)
    with pytest.raises(ProviderError, match=r"\$RECON_TEST_UNSET_TSIG, which is not set"):
        DnsObserver.from_config({"zone": "x.test", "tsig_key_name": "k", "tsig_secret_env": "RECON_TEST_UNSET_TSIG"},
                                tmp_path)
    loop = write_loop(tmp_path, {"type": "dns", "zone": "x.test", "prot": 53}, [])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and "provider dns: field prot: unknown field (did you mean port?); known: zone, server, port," in run.stderr


def test_snapshot_is_a_valid_inventory_of_the_zone(bind_zone: BindZone, tmp_path: Path) -> None:
    loop = write_loop(tmp_path, provider(bind_zone), [])
    assert recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path).code == 0
    items = yaml.safe_load((tmp_path / "snap.yaml").read_text())["resources"]
    www = next(r for r in items if (r["kind"], r["name"]) == ("A", "www"))
    assert www["spec"] == {"ttl": 300, "values": ["192.0.2.10", "192.0.2.11"]}
    assert {r["kind"] for r in items} == {"A", "AAAA", "CNAME", "MX", "NS", "TXT"}
