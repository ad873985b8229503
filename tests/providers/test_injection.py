"""Hostile names in provider settings, against the real servers: refused at settings time, and the
server shows that nothing changed.

Each case writes a loop config whose provider setting holds a name built to break out of its
tool's grammar (an nft command after ``;``, a libpq connection string in ``dbname``, a path out of
/run/netns, a shell as the nft binary). ``recon plan LOOP.yaml`` must exit 1 with one line naming
the config file and the setting, and the server's own view (``nft -j list ruleset`` in the
namespace, the zone by AXFR, the role catalogue, moto's state) must be identical before and after.
"""

from __future__ import annotations

from pathlib import Path
import json
from collections.abc import Callable
from typing import Any

import pytest

from recon.providers.nftables import NftablesObserver
from tests.providers.helpers import Run, recon, write_loop
from tests.providers.test_aws import make_group, make_zone
from tests.providers.test_nftables import RULESET
from tests.servers.bind import BindZone
from tests.servers.moto import MotoServer
from tests.servers.nft import Netns
from tests.servers.postgres import PgCluster, RoleSet

pytestmark = pytest.mark.server

def refused(run: Run, loop: Path, setting: str) -> None:
    """Exit 1, one line on stderr naming the loop config and the setting, no traceback, no stdout."""
    lines = run.stderr.strip().splitlines()
    assert run.code == 1, (run.code, run.stdout, run.stderr)
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert str(loop) in lines[0] and f"field {setting}" in lines[0], lines[0]
    assert run.stdout == ""


def plan_each(tmp_path: Path, base: dict[str, Any], cases: list[tuple[str, Any]],
              server_view: Callable[[], Any] = lambda: None) -> None:
    """Run `recon plan` on a loop config per (setting, hostile value): after each, the server's view
    must equal its view before the first, and the plan must have been refused."""
    before = server_view()
    for i, (setting, value) in enumerate(cases):
        loop = write_loop(tmp_path / f"case{i}", {**base, setting: value}, [])
        run = recon("plan", loop, cwd=tmp_path)
        assert server_view() == before, f"{setting}={value!r} changed the server; plan said: {run.stdout}{run.stderr}"
        refused(run, loop, setting)


def test_nft_names_and_binaries_cannot_run_commands(netns: Netns, tmp_path: Path) -> None:
    netns.load(RULESET)
    before = netns.ruleset()
    # A stand-in binary that would empty the chain if recon ever ran it.
    evil = tmp_path / "nft"
    evil.write_text(f"#!/bin/sh\nexec {netns.nft_bin} flush chain inet recon input\n")
    evil.chmod(0o755)
    base = {"type": "nftables", "table": "recon", "chain": "input", "netns": netns.name}
    plan_each(tmp_path, base, [
        ("chain", "input; flush chain inet recon input"),
        ("chain", "input; add rule inet recon input tcp dport 9 drop"),
        ("chain", "input\nflush ruleset"),
        ("chain", 'input" ; flush ruleset ; "'),
        ("chain", "-f"),
        ("table", "recon; delete table inet recon"),
        ("table", "recon input; flush ruleset;"),
        ("family", "inet; flush ruleset;"),
        ("netns", "../../proc/1/ns/net"),
        ("netns", f"{netns.name} nft flush ruleset"),
        ("netns", "-all"),
        ("nft", str(evil)),
        ("nft", "/bin/sh"),
        ("nft", "./nft"),
        ("ip", "/bin/sh"),
    ], netns.ruleset)
    # The listing itself still works, and sends no setting through nft's command-line parser.
    ok = write_loop(tmp_path / "ok", base, [])
    assert recon("plan", ok, cwd=tmp_path).code in (2, 3)
    assert netns.ruleset() == before


def test_dns_names_are_refused_and_the_zone_is_unchanged(bind_zone: BindZone, tmp_path: Path) -> None:
    before, serial = bind_zone.axfr(), bind_zone.serial()
    base = {"type": "dns", "zone": bind_zone.zone, "server": bind_zone.server, "port": bind_zone.port, "timeout": 3}
    plan_each(tmp_path, base, [
        ("zone", f"{bind_zone.zone}; update delete www"),
        ("zone", f"{bind_zone.zone}\n"),
        ("zone", "a..b"),
        ("zone", "x" * 64 + ".test"),
        ("server", "127.0.0.1; rm -rf /"),
        ("port", "53; x"),
        ("tsig_key_name", "key name with spaces"),
        ("tsig_algorithm", "hmac-sha256; x"),
    ], lambda: (bind_zone.axfr(), bind_zone.serial()))
    assert bind_zone.axfr() == before and bind_zone.serial() == serial


def test_postgres_settings_cannot_become_a_connection_string(pg_cluster: PgCluster, pg_roles: RoleSet,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pg_roles.make_auditor("pw-inj")
    monkeypatch.setenv("RECON_TEST_PG_PASSWORD", "pw-inj")
    before = pg_cluster.catalogue()
    base = {"type": "postgres", "host": pg_cluster.host, "port": pg_cluster.port, "user": pg_roles.auditor,
            "password_env": "RECON_TEST_PG_PASSWORD", "prefix": pg_roles.prefix, "connect_timeout": 3}
    plan_each(tmp_path, base, [
        ("dbname", "postgres options='-c default_transaction_read_only=off'"),
        ("dbname", "dbname=postgres options=-cdefault_transaction_read_only=off"),
        ("dbname", f"postgresql://{pg_cluster.host}:{pg_cluster.port}/postgres?options=-c%20x=1"),
        ("user", f"{pg_roles.auditor} options=-cx=1"),
        ("host", f"{pg_cluster.host} sslmode=disable"),
        ("sslmode", "disable options=-cx=1"),
        ("prefix", "app\nresult: in sync (exit 0)"),
    ], pg_cluster.catalogue)
    # A prefix is data, bound as a query parameter: SQL in it is never run.
    sneaky = f"{pg_roles.prefix}'; CREATE ROLE {pg_roles.prefix}injected; --"
    loop = write_loop(tmp_path / "prefix", {**base, "prefix": sneaky}, [])
    assert recon("plan", loop, cwd=tmp_path).code == 0
    assert pg_cluster.catalogue() == before


def test_aws_ids_regions_and_endpoints_are_refused(moto_server: MotoServer, tmp_path: Path) -> None:
    g = make_group(moto_server)
    zid, _ = make_zone(moto_server)
    before = moto_server.state()
    sg = {"type": "aws-security-group", "group_id": g, "endpoint_url": moto_server.endpoint}
    plan_each(tmp_path / "sg", sg, [
        ("group_id", f"{g},sg-0123456789abcdef0"),
        ("group_id", f"{g} --dry-run"),
        ("group_id", "sg-*"),
        ("region", "us-east-1/../../x"),
        ("endpoint_url", "file:///etc/passwd"),
        ("endpoint_url", f"{moto_server.endpoint}/?Action=RevokeSecurityGroupIngress"),
    ])
    r53 = {"type": "aws-route53", "hosted_zone_id": zid, "endpoint_url": moto_server.endpoint}
    plan_each(tmp_path / "r53", r53, [
        ("hosted_zone_id", f"{zid}/rrset?x=1"),
        ("hosted_zone_id", "../../hostedzone"),
        ("zone", "example.test; x"),
    ])
    assert moto_server.state() == before


def test_file_paths_with_control_characters_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    plan_each(tmp_path, {"type": "files", "path": "tree"}, [
        ("path", "tree\x00/etc"),
        ("exclude", ["*.swp\n"]),
        ("owner_xattr", "user.recon.owner\x00"),
        ("owner_xattr", "recon-owner"),
    ])
    plan_each(tmp_path / "snap", {"type": "snapshot", "path": "x.yaml"}, [("path", "obs\x00.yaml")])


def test_nft_names_travel_only_as_json_strings(tmp_path: Path) -> None:
    """Even a valid identifier that is an nft keyword never reaches nft's command-line parser."""
    obs = NftablesObserver.from_config({"table": "flush", "chain": "ruleset", "netns": "ns1"}, tmp_path)
    argv = obs.argv()
    assert argv[1:4] == ["netns", "exec", "ns1"] and argv[5:] == ["-j", "-f", "-"]
    assert "flush" not in argv and "ruleset" not in argv
    assert json.loads(obs._request()) == {"nftables": [{"list": {"chain": {"family": "inet", "table": "flush",
                                                                           "name": "ruleset"}}}]}
