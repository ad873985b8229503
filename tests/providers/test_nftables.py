"""The nftables provider inside a network namespace made by the test: exact plans, zero writes, faults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recon.providers.nftables import NftablesObserver
from tests.providers.helpers import keys, recon, verdict, write_loop
from tests.servers.nft import Netns

pytestmark = pytest.mark.server

RULESET = """
table inet recon {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 accept comment "fw-loop:allow-ssh"
    tcp dport 80 accept comment "fw-loop:allow-http"
    tcp dport 8080 drop comment "legacy"
    ip saddr 10.0.0.0/8 accept
  }
}
"""


def provider(ns: Netns, **kw: object) -> dict[str, object]:
    return {"type": "nftables", "table": "recon", "chain": "input", "netns": ns.name, **kw}


def snapshot(ns: Netns, d: Path) -> list[dict]:
    loop = write_loop(d, provider(ns), [])
    assert recon("snapshot", loop, "--out", d / "snap.yaml", cwd=d).code == 0
    return yaml.safe_load((d / "snap.yaml").read_text())["resources"]


def test_rules_are_named_by_comment_with_owner_prefix(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    obs = NftablesObserver.from_config(provider(netns), tmp_path).observe()
    named = {r.name: r.owner for r in obs.resources.values()}
    assert named.pop("allow-ssh") == "fw-loop" and named.pop("allow-http") == "fw-loop"
    assert named.pop("legacy") is None
    (anon,) = named
    assert anon.startswith("handle-")
    assert obs.resources[("rule", "allow-ssh")].spec["expr"][-1] == {"accept": None}


def test_plan_reports_exactly_the_known_changes_and_in_sync_after_snapshot(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    current = snapshot(netns, tmp_path / "a")
    assert recon("plan", write_loop(tmp_path / "b", provider(netns), current), "--json", cwd=tmp_path).code == 0
    desired = [r for r in current if r["name"] != "legacy"]                                # delete
    http = next(r for r in desired if r["name"] == "allow-http")
    http["spec"]["expr"][0]["match"]["right"] = 443                                      # update
    desired.append({"kind": "rule", "name": "allow-dns", "owner": "fw-loop",              # create
                    "spec": {"expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}},
                                                 "right": 53}}, {"accept": None}]}})
    run = recon("plan", write_loop(tmp_path / "c", provider(netns), desired), "--json", cwd=tmp_path)
    assert run.code == 2, run.stdout + run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}
    assert keys(plan["changes"], "create") == {("rule", "allow-dns")}
    assert keys(plan["changes"], "update") == {("rule", "allow-http")}
    assert keys(plan["changes"], "delete") == {("rule", "legacy")}


def test_plan_snapshot_and_watch_leave_the_ruleset_unchanged(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    before = netns.ruleset()
    loop = write_loop(tmp_path, provider(netns), [{"kind": "rule", "name": "x", "spec": {"expr": []}}],
                      owner_id="fw-loop")
    assert recon("plan", loop, cwd=tmp_path).code in (2, 3)
    assert recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path).code == 0
    w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "3", cwd=tmp_path)
    assert w.code == 0 and w.stdout.count("would create 1") == 3, w.stdout + w.stderr
    assert netns.ruleset() == before


def test_ownership_guard_keeps_rules_of_other_owners(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    loop = write_loop(tmp_path, provider(netns), [], owner_id="fw-loop",
                      guards={"empty_desired": False, "max_deletes": {"max": 100, "max_fraction": 1}})
    plan = recon("plan", loop, "--json", cwd=tmp_path).json()
    assert keys(plan["batch"], "delete") == {("rule", "allow-ssh"), ("rule", "allow-http")}
    assert verdict(plan, "ownership")["outcome"] == "exclude"


def test_missing_namespace_table_or_binary_is_an_error(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    gone = write_loop(tmp_path / "a", {**provider(netns), "netns": netns.name + "-gone"},
                      [{"kind": "rule", "name": "x", "spec": {"expr": []}}])
    run = recon("plan", gone, cwd=tmp_path)
    assert run.code == 1 and f"in netns {netns.name}-gone: listing failed" in run.stderr
    assert "Cannot open network namespace" in run.stderr
    no_table = write_loop(tmp_path / "b", {**provider(netns), "table": "nope"}, [])
    run = recon("plan", no_table, cwd=tmp_path)
    assert run.code == 1 and "nftables:inet nope input" in run.stderr and "listing failed" in run.stderr
    absent = "/usr/local/sbin/nft"  # allow-listed, and not installed here
    assert not Path(absent).exists()
    no_nft = write_loop(tmp_path / "c", {**provider(netns), "nft": absent}, [])
    run = recon("plan", no_nft, cwd=tmp_path)
    assert run.code == 1 and "listing failed" in run.stderr
    no_path = write_loop(tmp_path / "d", {k: v for k, v in provider(netns).items() if k != "netns"}, [])
    run = recon("plan", no_path, cwd=tmp_path, env={"PATH": str(tmp_path)})
    assert run.code == 1 and "cannot run nft: not found on PATH" in run.stderr, run.stderr
