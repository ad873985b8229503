"""The octodns desired type against the test BIND: recon plan finds what octodns-sync (no --doit) finds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, missing
from tests.providers.helpers import keys, recon
from tests.servers.bind import BindZone
from tests.sources.helpers import assert_plan_fails_naming, assert_watch_aborts_on_desired_error

# The zone as octoDNS's YAML provider declares it, against the fixture's DEFAULT_RECORDS:
# www A: TTL 300 -> 60 (update), mail A: new address (update), www AAAA: left out (delete),
# api A, blog CNAME, a SRV, an apex CAA and a TXT with an escaped semicolon: new (creates); the apex
# NS, ns1, MX, TXT and docs stay as they are.
ZONE = """---
'':
  - type: CAA
    value: {{flags: 0, tag: issue, value: ca.example.net}}
  - type: MX
    value: {{exchange: mail.{zone}., preference: 10}}
  - type: NS
    value: ns1.{zone}.
  - type: TXT
    value: v=spf1 mx -all
_sip._tcp:
  type: SRV
  value: {{port: 5060, priority: 10, target: sip.{zone}., weight: 5}}
api:
  ttl: 300
  type: A
  value: 192.0.2.30
blog:
  type: CNAME
  value: www.{zone}.
docs:
  type: CNAME
  value: www.{zone}.
mail:
  type: A
  value: 192.0.2.26
notes:
  type: TXT
  values: ['k=v\\; more', plain]
ns1:
  type: A
  value: 127.0.0.1
www:
  ttl: 60
  type: A
  values: [192.0.2.10, 192.0.2.11]
"""


def octodns_config(tmp: Path, z: BindZone, zone_text: str = ZONE) -> Path:
    """An octoDNS config: the YAML provider as the source, octodns-bind's RFC 2136 provider on the test
    BIND as the target, and a JSON plan output written to plan.json."""
    (tmp / "zones").mkdir(exist_ok=True)
    (tmp / "zones" / f"{z.zone}.yaml").write_text(zone_text.format(zone=z.zone))
    cfg = {"manager": {"plan_outputs": {"json": {"class": "octodns.provider.plan.PlanJson",
                                                 "output_filename": str(tmp / "plan.json")}}},
           "providers": {"config": {"class": "octodns.provider.yaml.YamlProvider", "directory": str(tmp / "zones")},
                         "bind": {"class": "octodns_bind.Rfc2136Provider", "host": z.server, "port": z.port}},
           "zones": {f"{z.zone}.": {"sources": ["config"], "targets": ["bind"]}}}
    p = tmp / "octodns.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return p


def require_octodns() -> str:
    try:
        import octodns  # noqa: F401
        import octodns_bind  # noqa: F401
    except ImportError:
        missing("needs octoDNS and octodns-bind (the dev extra: pip install -e '.[dev]')")
    sync = shutil.which("octodns-sync") or str(Path(sys.executable).with_name("octodns-sync"))
    if not Path(sync).exists():
        missing("needs octodns-sync (installed with octoDNS by the dev extra)")
    return sync


def octodns_plan(config: Path) -> set[tuple[str, str, str]]:
    """(op, type, relative name) of each change `octodns-sync` (without --doit), run in the config's
    folder, plans; its JSON plan output is plan.json there."""
    run = subprocess.run([require_octodns(), "--config-file", config.name], cwd=config.parent, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads((config.parent / "plan.json").read_text())
    return {(c["type"], c["record_type"], c["name"] or "@") for zones in data.values() for plan in zones.values()
            for c in plan["changes"]}


def loop(tmp: Path, z: BindZone, config: Path, **desired: Any) -> Path:
    p = tmp / "LOOP.yaml"
    p.write_text(yaml.safe_dump({
        "name": "octo", "provider": {"type": "dns", "zone": z.zone, "server": z.server, "port": z.port, "timeout": 3},
        "desired": {"type": "octodns", "config": config.name, "zone": z.zone, **desired},
        "guards": {"max_deletes": False, "max_changes": False}}))
    return p


def recon_plan(tmp: Path, loop_path: Path) -> dict[str, Any]:
    run = recon("plan", loop_path, "--json", cwd=tmp)
    assert run.code in (0, 2), run.stderr
    return run.json()


@pytest.mark.server
def test_recon_plan_finds_the_changes_octodns_sync_plans(bind_zone: BindZone, tmp_path: Path) -> None:
    config = octodns_config(tmp_path, bind_zone)
    expected = octodns_plan(config)
    assert expected == {("create", "A", "api"), ("create", "CNAME", "blog"), ("create", "SRV", "_sip._tcp"),
                        ("create", "CAA", "@"), ("create", "TXT", "notes"),
                        ("update", "A", "www"), ("update", "A", "mail"), ("delete", "AAAA", "www")}
    plan = recon_plan(tmp_path, loop(tmp_path, bind_zone, config))
    found = {(c["op"], c["kind"], c["name"]) for c in plan["changes"]}
    assert found == expected
    assert plan["desired"]["source"].startswith("octodns:")


def files_loop(tmp: Path, config: str = "octodns.yaml", zone: str = "example.test") -> Path:
    """A loop over an octoDNS zone observing an empty folder: what matters here is the source."""
    (tmp / "tree").mkdir(exist_ok=True)
    p = tmp / "LOOP.yaml"
    p.write_text(yaml.safe_dump({"name": "octo", "provider": {"type": "files", "path": "tree"},
                                 "desired": {"type": "octodns", "config": config, "zone": zone}}))
    return p


def yaml_only_config(tmp: Path, zone_text: str | None = "---\nwww:\n  type: A\n  value: 192.0.2.1\n") -> None:
    (tmp / "zones").mkdir(exist_ok=True)
    if zone_text is not None:
        (tmp / "zones" / "example.test.yaml").write_text(zone_text)
    (tmp / "octodns.yaml").write_text(yaml.safe_dump({
        "providers": {"config": {"class": "octodns.provider.yaml.YamlProvider", "directory": "./zones"}},
        "zones": {"example.test.": {"sources": ["config"], "targets": []}}}))


# Each way an octoDNS config fails: never an empty or partial zone, always an error naming config and zone.
BROKEN = {
    "missing-config": (lambda tmp: None, ["octodns.yaml", "cannot read octoDNS config", "no such file"]),
    "malformed-config": (lambda tmp: (tmp / "octodns.yaml").write_text("providers: [\n"), ["octoDNS:", "zone example.test."]),
    "undeclared-zone": (lambda tmp: yaml_only_config(tmp), ["declares no such zone", "zones: example.test."]),
    "missing-zone-file": (lambda tmp: yaml_only_config(tmp, None), ["no YAMLs found for example.test"]),
    "invalid-record": (lambda tmp: yaml_only_config(tmp, "---\nwww:\n  type: A\n  value: not-an-address\n"),
                       ["octoDNS: ValidationError", "www.example.test"]),
    "keys-out-of-order": (lambda tmp: yaml_only_config(tmp, "---\nwww:\n  value: 192.0.2.1\n  type: A\n"),
                          ["keys out of order"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_octodns_config_is_an_error_in_plan_and_a_desired_error_in_watch(tmp_path: Path, case: str) -> None:
    require_octodns()
    make, words = BROKEN[case]
    make(tmp_path)
    loop_path = files_loop(tmp_path, zone="other.test" if case == "undeclared-zone" else "example.test")
    assert_plan_fails_naming(tmp_path, loop_path, "octoDNS config", str(tmp_path / "octodns.yaml"), *words)
    assert_watch_aborts_on_desired_error(tmp_path, loop_path, "octodns.yaml", *words)


def test_without_octodns_installed_the_error_says_to_install_the_extra(tmp_path: Path) -> None:
    yaml_only_config(tmp_path)
    shadow = tmp_path / "shadow" / "octodns"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('octoDNS is not installed here')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")])}
    run = recon("plan", files_loop(tmp_path), cwd=tmp_path, env=env)
    assert run.code == 1, run.stderr
    assert "needs octoDNS; install the octodns extra: pip install 'recon[octodns]'" in " ".join(run.stderr.split())
    assert "Traceback" not in run.stderr


@pytest.mark.server
def test_the_example_plans_what_octodns_sync_plans(bind_zone_factory: Any, tmp_path: Path) -> None:
    z: BindZone = bind_zone_factory(zone="example.test")
    shutil.copytree(ROOT / "examples" / "octodns", tmp_path / "ex")
    ex = tmp_path / "ex"
    cfg = yaml.safe_load((ex / "config.yaml").read_text())
    cfg["providers"]["bind"]["port"] = z.port
    cfg["manager"] = {"plan_outputs": {"json": {"class": "octodns.provider.plan.PlanJson",
                                                "output_filename": str(ex / "plan.json")}}}
    (ex / "config.yaml").write_text(yaml.safe_dump(cfg))
    loop_cfg = yaml.safe_load((ex / "LOOP.yaml").read_text())
    loop_cfg["provider"]["port"] = z.port
    (ex / "LOOP.yaml").write_text(yaml.safe_dump(loop_cfg))
    expected = octodns_plan(ex / "config.yaml")
    assert expected == {("create", "A", "api")}
    plan = recon_plan(ex, ex / "LOOP.yaml")
    assert {(c["op"], c["kind"], c["name"]) for c in plan["changes"]} == expected


@pytest.mark.server
def test_once_octodns_applied_the_zone_both_plan_nothing(bind_server: Any, bind_zone: BindZone, tmp_path: Path) -> None:
    """octoDNS writes the records (TXT escapes, CAA, SRV) its own way; recon reads them back as in sync."""
    from tests.servers.bind import UPDATE_KEY

    config = octodns_config(tmp_path, bind_zone)
    cfg = yaml.safe_load(config.read_text())
    cfg["providers"]["bind"].update(key_name=UPDATE_KEY, key_secret=bind_server.update_secret,
                                    key_algorithm="hmac-sha256")
    config.write_text(yaml.safe_dump(cfg))
    run = subprocess.run([require_octodns(), "--config-file", config.name, "--doit"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert octodns_plan(config) == set()
    run = recon("plan", loop(tmp_path, bind_zone, config), "--json", cwd=tmp_path)
    assert run.code == 0 and run.json()["in_sync"] is True, run.stdout
