"""Hostile octoDNS configs: what octoDNS itself logs or opens must not escape recon's rules (one line,
no traceback, bounded reads)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.providers.helpers import recon
from tests.sources.helpers import assert_plan_fails_naming
from tests.sources.test_octodns import files_loop, require_octodns

YAML_PROVIDER = {"class": "octodns.provider.yaml.YamlProvider", "directory": "./zones"}


def config(tmp: Path, **providers: object) -> None:
    (tmp / "zones").mkdir(exist_ok=True)
    (tmp / "zones" / "example.test.yaml").write_text("---\nwww:\n  type: A\n  value: 192.0.2.1\n")
    (tmp / "octodns.yaml").write_text(yaml.safe_dump({
        "providers": {"config": YAML_PROVIDER, **providers},
        "zones": {"example.test.": {"sources": ["config"], "targets": []}}}))


def test_what_octodns_logs_while_failing_is_not_printed(tmp_path: Path) -> None:
    # octoDNS logs a provider it cannot build with log.exception (ERROR, with a traceback) before raising.
    require_octodns()
    config(tmp_path, broken={"class": "octodns.provider.yaml.YamlProvider"})
    assert_plan_fails_naming(tmp_path, files_loop(tmp_path), "octoDNS config", "Incorrect provider config for broken")
    config(tmp_path, envp={**YAML_PROVIDER, "directory": "env/RECON_TEST_UNSET_VARIABLE"})
    os.environ.pop("RECON_TEST_UNSET_VARIABLE", None)
    assert_plan_fails_naming(tmp_path, files_loop(tmp_path), "missing env var RECON_TEST_UNSET_VARIABLE")


def test_a_fifo_octodns_would_open_is_refused_not_waited_on(tmp_path: Path) -> None:
    # octoDNS opens includes and zone files with a plain open(): a FIFO hung plan and watch.
    require_octodns()
    os.mkfifo(tmp_path / "pipe.yaml")
    config(tmp_path)
    cfg = yaml.safe_load((tmp_path / "octodns.yaml").read_text())
    (tmp_path / "octodns.yaml").write_text(yaml.safe_dump(cfg).replace("zones:\n", "extra: !include pipe.yaml\nzones:\n", 1))
    assert_plan_fails_naming(tmp_path, files_loop(tmp_path), "pipe.yaml", "!include in", "FIFO")
    config(tmp_path)
    (tmp_path / "zones" / "example.test.yaml").write_text("---\nwww: !include ../pipe.yaml\n")
    assert_plan_fails_naming(tmp_path, files_loop(tmp_path), "pipe.yaml", "example.test.yaml", "FIFO")


def test_a_huge_zone_file_is_refused_by_size_before_octodns_reads_it(tmp_path: Path) -> None:
    require_octodns()
    config(tmp_path)
    (tmp_path / "zones" / "example.test.yaml").write_text("---\n" + "# padding\n" * 2000 + "www:\n  type: A\n  value: 192.0.2.1\n")
    loop = files_loop(tmp_path)
    run = recon("plan", loop, cwd=tmp_path, env={"RECON_MAX_INPUT_BYTES": "10000"})
    assert run.code == 1 and "example.test.yaml" in run.stderr and "Traceback" not in run.stderr, run.stderr
