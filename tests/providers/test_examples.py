"""Every provider example in examples/ is a valid loop: config, provider settings and desired inventory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from recon.config import build_loop, load_loop_config
from recon.providers.base import build_observer
from recon.store.sqlite import StateStore
from tests.conftest import ROOT
from tests.providers.helpers import keys, recon
from tests.servers.bind import BindZone

EXAMPLES = sorted(p for d in ("dns", "postgres", "nftables", "aws", "files", "kubernetes", "octodns")
                  for p in (ROOT / "examples" / d).glob("LOOP*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_loop_is_valid(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "example")
    cfg, base = load_loop_config(path)
    observer = build_observer(cfg.provider.model_dump(), base)
    assert observer.name.startswith(cfg.provider.type.split("-")[0])
    assert len(build_loop(cfg, base, StateStore(":memory:")).source.load()) > 0


def test_every_real_provider_has_an_example() -> None:
    types = {yaml.safe_load(p.read_text())["provider"]["type"] for p in EXAMPLES}
    assert types == {"dns", "postgres", "nftables", "aws-security-group", "aws-route53", "files", "kubernetes-export"}


def test_kubernetes_example_plans_offline(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "kubernetes", tmp_path / "kubernetes")
    run = recon("plan", tmp_path / "kubernetes" / "LOOP.yaml", "--json", cwd=tmp_path)
    assert run.code == 2, run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 0, "update": 1, "delete": 2}
    assert keys(plan["batch"], "delete") == {("ConfigMap", "apps/web-config-old")}
    assert keys(plan["blocked"], "delete") == {("ConfigMap", "apps/kube-root-ca.crt")}


def test_files_example_plans_offline(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "files", tmp_path / "files")
    run = recon("plan", tmp_path / "files" / "LOOP.yaml", "--json", cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert keys(run.json()["changes"], "create") == {("file", "conf.d/metrics.conf")}


@pytest.mark.server
def test_dns_example_plans_against_a_real_zone(bind_zone_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    z: BindZone = bind_zone_factory(zone="example.test")
    for rtype, name in (("A", "www"), ("AAAA", "www"), ("CNAME", "docs"), ("MX", ""), ("A", "mail")):
        z.add(f"_owner.{rtype.lower()}.{name}".rstrip("."), "TXT", 300,
              '"heritage=external-dns,external-dns/owner=dns-loop"')
    shutil.copytree(ROOT / "examples" / "dns", tmp_path / "dns")
    cfg = yaml.safe_load((tmp_path / "dns" / "LOOP.yaml").read_text())
    cfg["provider"].update(server=z.server, port=z.port)
    (tmp_path / "dns" / "LOOP.yaml").write_text(yaml.safe_dump(cfg))
    run = recon("plan", tmp_path / "dns" / "LOOP.yaml", "--json", cwd=tmp_path)
    plan = run.json()
    # The zone holds an SPF TXT record nobody declares and no marker claims: never deleted by this loop.
    assert plan["counts"]["create"] == 0 and keys(plan["batch"], "delete") == set()
    assert {(c["kind"], c["name"]) for c in plan["changes"] if c["op"] == "update"} == {("NS", "@"), ("A", "ns1")}
