"""The AWS providers against moto_server: exact plans, paging, page-two faults, zero writes, secrets."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from recon.providers.aws import Route53Observer, SecurityGroupObserver
from tests.providers.helpers import assert_no_delete_proposed, keys, recon, scan_for, verdict, write_loop
from tests.servers.moto import AwsFaultProxy, MotoServer

pytestmark = pytest.mark.server
_n = itertools.count(1)


def make_group(m: MotoServer) -> str:
    ec2 = m.client("ec2")
    g = ec2.create_security_group(GroupName=f"recon-{next(_n)}", Description="test")["GroupId"]
    rule = lambda port, cidr, desc: {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,  # noqa: E731
                                     "IpRanges": [{"CidrIp": cidr, "Description": desc}]}
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[rule(22, "10.0.0.0/8", "ssh"),
                                                                   rule(443, "0.0.0.0/0", "https")],
                                         TagSpecifications=[{"ResourceType": "security-group-rule",
                                                             "Tags": [{"Key": "recon-owner", "Value": "sg-loop"}]}])
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[rule(8080, "10.1.0.0/16", "legacy")])
    return g


def make_zone(m: MotoServer) -> tuple[str, str]:
    r53 = m.client("route53")
    name = f"z{next(_n)}.example.test"
    zid = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"].split("/")[-1]
    rr = lambda n, t, ttl, *v: {"Action": "CREATE", "ResourceRecordSet": {  # noqa: E731
        "Name": f"{n}.{name}" if n != "@" else name, "Type": t, "TTL": ttl, "ResourceRecords": [{"Value": x} for x in v]}}
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        rr("www", "A", 300, "192.0.2.10", "192.0.2.11"), rr("mail", "A", 300, "192.0.2.25"),
        rr("old", "A", 300, "192.0.2.99"), rr("@", "MX", 300, f"10 mail.{name}."),
        rr("_owner.a.www", "TXT", 300, '"heritage=external-dns,external-dns/owner=r53-loop"')]})
    return zid, name


def sg(m: MotoServer, g: str, endpoint: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": "aws-security-group", "group_id": g, "endpoint_url": endpoint or m.endpoint, **kw}


def r53(m: MotoServer, zid: str, endpoint: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": "aws-route53", "hosted_zone_id": zid, "endpoint_url": endpoint or m.endpoint, **kw}


def test_security_group_plan_reports_exactly_the_known_changes(moto_server: MotoServer, tmp_path: Path) -> None:
    g = make_group(moto_server)
    obs = SecurityGroupObserver.from_config(sg(moto_server, g), tmp_path).observe()
    assert {(*k, r.owner) for k, r in obs.resources.items()} == {
        ("ingress", "tcp:22:10.0.0.0/8", "sg-loop"), ("ingress", "tcp:443:0.0.0.0/0", "sg-loop"),
        ("ingress", "tcp:8080:10.1.0.0/16", None), ("egress", "all:all:0.0.0.0/0", None)}
    desired = [{"kind": "ingress", "name": "tcp:22:10.0.0.0/8", "owner": "sg-loop", "spec": {"description": "ssh"}},
               {"kind": "ingress", "name": "tcp:443:0.0.0.0/0", "owner": "sg-loop",
                "spec": {"description": "https (public)"}},                                           # update
               {"kind": "ingress", "name": "tcp:80:0.0.0.0/0", "spec": {"description": "http"}},      # create
               {"kind": "egress", "name": "all:all:0.0.0.0/0", "spec": {}}]                           # 8080: delete
    run = recon("plan", write_loop(tmp_path, sg(moto_server, g), desired), "--json", cwd=tmp_path)
    assert run.code == 2, run.stdout + run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}
    assert keys(plan["changes"], "update") == {("ingress", "tcp:443:0.0.0.0/0")}
    assert keys(plan["changes"], "create") == {("ingress", "tcp:80:0.0.0.0/0")}
    assert keys(plan["changes"], "delete") == {("ingress", "tcp:8080:10.1.0.0/16")}


def test_route53_plan_reports_exactly_the_known_changes_and_in_sync(moto_server: MotoServer, tmp_path: Path) -> None:
    zid, name = make_zone(moto_server)
    loop = write_loop(tmp_path / "a", r53(moto_server, zid), [])
    assert recon("snapshot", loop, "--out", tmp_path / "a" / "desired.yaml", cwd=tmp_path).code == 0
    assert recon("plan", loop, "--json", cwd=tmp_path).code == 0
    obs = Route53Observer.from_config(r53(moto_server, zid), tmp_path).observe()
    assert set(obs.resources) == {("A", "www"), ("A", "mail"), ("A", "old"), ("MX", "@")}
    assert obs.resources[("A", "www")].owner == "r53-loop"
    desired = [{"kind": "A", "name": "www", "owner": "r53-loop", "spec": {"ttl": 300, "values": ["192.0.2.11", "192.0.2.10"]}},
               {"kind": "A", "name": "mail", "spec": {"ttl": 60, "values": ["192.0.2.25"]}},           # update
               {"kind": "MX", "name": "@", "spec": {"values": ["10 mail"]}},                            # same, relative
               {"kind": "AAAA", "name": "www", "spec": {"ttl": 300, "values": ["2001:db8::1"]}}]       # create; old: delete
    run = recon("plan", write_loop(tmp_path / "b", r53(moto_server, zid, zone=name), desired), "--json", cwd=tmp_path)
    assert run.code == 2, run.stdout + run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}
    assert (keys(plan["changes"], "create"), keys(plan["changes"], "update"), keys(plan["changes"], "delete")) == (
        {("AAAA", "www")}, {("A", "mail")}, {("A", "old")})


def test_paging_is_followed_to_the_end(moto_server: MotoServer, tmp_path: Path) -> None:
    g = make_group(moto_server)
    zid, _ = make_zone(moto_server)
    with AwsFaultProxy(moto_server.endpoint, page_size=1) as proxy:
        # The proxy pages by one rule whatever MaxResults (min 5) asks: moto itself answers in one page.
        paged = SecurityGroupObserver.from_config(sg(moto_server, g, proxy.endpoint, page_size=5), tmp_path).observe()
        assert sum(1 for r in proxy.requests if r[1] == "DescribeSecurityGroupRules") == 4
        paged53 = Route53Observer.from_config(r53(moto_server, zid, proxy.endpoint, page_size=2), tmp_path).observe()
    assert paged.complete and paged.resources == SecurityGroupObserver.from_config(sg(moto_server, g), tmp_path).observe().resources
    assert paged53.complete and paged53.resources == Route53Observer.from_config(r53(moto_server, zid), tmp_path).observe().resources


@pytest.mark.parametrize("code", ["InternalError", "Throttling"])
def test_a_failing_second_page_is_incomplete_and_proposes_no_delete(moto_server: MotoServer, tmp_path: Path,
                                                                   code: str) -> None:
    g = make_group(moto_server)
    zid, _ = make_zone(moto_server)
    with AwsFaultProxy(moto_server.endpoint, page_size=1, fail_page=2, fail_code=code) as proxy:
        for name, prov in (("sg", sg(moto_server, g, proxy.endpoint, page_size=5, max_attempts=2)),
                           ("r53", r53(moto_server, zid, proxy.endpoint, page_size=2, max_attempts=2))):
            # Desired holds one unrelated resource: a loop trusting page one would delete the rest.
            loop = write_loop(tmp_path / name, prov, [{"kind": "A", "name": "other", "spec": {}}],
                              guards={"max_deletes": {"max": 100, "max_fraction": 1}})
            run = recon("plan", loop, "--json", cwd=tmp_path)
            assert run.code == 3, run.stdout + run.stderr
            plan = run.json()
            assert plan["observation"]["complete"] is False
            v = verdict(plan, "incomplete_observation")
            assert v["outcome"] == "suppress_deletes"
            assert "page 2 failed" in v["reason"] and code in v["reason"]
            assert_no_delete_proposed(plan)


def test_plan_snapshot_and_watch_leave_moto_unchanged(moto_server: MotoServer, tmp_path: Path) -> None:
    g = make_group(moto_server)
    zid, _ = make_zone(moto_server)
    before = moto_server.state()
    for name, prov in (("sg", sg(moto_server, g)), ("r53", r53(moto_server, zid))):
        loop = write_loop(tmp_path / name, prov, [{"kind": "A", "name": "other", "spec": {}}])
        assert recon("plan", loop, cwd=tmp_path).code in (2, 3)
        assert recon("snapshot", loop, "--out", tmp_path / name / "snap.yaml", cwd=tmp_path).code == 0
        w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "3", cwd=tmp_path)
        assert w.code == 0 and w.stdout.count("would create 1") == 3, w.stdout + w.stderr
    assert moto_server.state() == before
    moto_server.client("ec2").revoke_security_group_ingress(  # the comparison does see a real write
        GroupId=g, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                   "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    assert moto_server.state() != before


def test_missing_group_zone_or_credentials_are_errors(moto_server: MotoServer, tmp_path: Path) -> None:
    loop = write_loop(tmp_path / "a", sg(moto_server, "sg-0000000000000dead"), [])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and "aws-security-group:sg-0000000000000dead" in run.stderr and "NotFound" in run.stderr
    loop = write_loop(tmp_path / "b", r53(moto_server, "ZNOSUCHZONE"), [])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and "GetHostedZone: NoSuchHostedZone" in run.stderr
    g = make_group(moto_server)
    no_creds = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
    run = recon("plan", write_loop(tmp_path / "c", sg(moto_server, g), []), cwd=tmp_path, env=no_creds)
    assert run.code == 1 and "no AWS credentials" in run.stderr
    with pytest.raises(Exception, match="field 'aws_secret_access_key' would put a credential"):
        SecurityGroupObserver.from_config({"group_id": g, "aws_secret_access_key": "x"}, tmp_path)


def test_canary_credentials_appear_nowhere(moto_server: MotoServer, tmp_path: Path) -> None:
    g = make_group(moto_server)
    zid, _ = make_zone(moto_server)
    canary = "CANARYawsSECRETb7d1e0"
    env = {"AWS_SECRET_ACCESS_KEY": canary, "AWS_SESSION_TOKEN": canary + "TOKEN"}
    texts: list[str] = []
    for name, prov in (("sg", sg(moto_server, g)), ("r53", r53(moto_server, zid))):
        loop = write_loop(tmp_path / name, prov, [{"kind": "A", "name": "other", "spec": {}}])
        for args in (("plan", loop), ("plan", loop, "--json"), ("snapshot", loop, "--out", tmp_path / name / "s.yaml"),
                     ("watch", loop, "--interval", "0.05", "--max-cycles", "2")):
            r = recon(*args, cwd=tmp_path, env=env)
            assert r.code in (0, 2, 3), r.stderr
            texts += [r.stdout, r.stderr]
    assert scan_for(canary, *texts, paths=[tmp_path]) == []
