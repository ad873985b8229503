"""The git source's other formats: Kubernetes manifests and an octoDNS config at a ref (issue 14 item 1).

The repositories are made with the git CLI, the manifests by `kubectl create --dry-run=client`, and
the octoDNS config is read by octoDNS itself; the same files read from disk by the format's own
source type must give the same desired state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from recon.config import load_loop_config
from recon.sources.git import GitSource, desired_history
from tests.providers.helpers import recon
from tests.sources.gitrepos import Repo, git
from tests.sources.helpers import assert_fails_as_desired_error, plan_json, source_loop
from tests.sources.test_kubernetes import app_manifests
from tests.sources.test_octodns import require_octodns

NO_NAME = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {app: web}\ndata: {a: b}\n"


@pytest.fixture
def manifests(tmp_path: Path) -> dict[str, str]:
    return app_manifests(tmp_path)


@pytest.fixture
def app_repo(tmp_path: Path, manifests: dict[str, str]) -> Repo:
    r = Repo(tmp_path / "inv")
    r.commit({f"apps/web/{n}.yaml": text for n, text in manifests.items()} | {"apps/web/README.md": "docs\n"},
             "the web app")
    return r


def private_tmp(tmp_path: Path) -> dict[str, str]:
    """An environment whose temporary folder is empty and the test's own, to see what recon leaves there."""
    d = tmp_path / "tmpdir"
    d.mkdir(exist_ok=True)
    return {"TMPDIR": str(d)}


def k8s(**settings: Any) -> dict[str, Any]:
    return {"type": "git", "repo": "../inv", "ref": "main", "path": "apps/web", "format": "kubernetes", **settings}


def test_manifests_at_a_ref_plan_as_the_kubernetes_source_reads_them(tmp_path: Path, app_repo: Repo,
                                                                     manifests: dict[str, str]) -> None:
    first = git(app_repo.path, "rev-parse", "HEAD")
    second = app_repo.commit({"apps/web/svc.yaml": None}, "no service")
    (app_repo.path / "apps" / "web" / "deploy.yaml").write_text(NO_NAME)  # the work tree is not read
    env = private_tmp(tmp_path)
    at_first = plan_json(source_loop(tmp_path / "first", k8s(ref="main~1", namespace="apps"), observed=[]), env)
    assert at_first["desired"]["version"] == first and at_first["desired"]["count"] == 4
    assert at_first["desired"]["source"] == f"git ../inv@main~1:apps/web (commit {first[:12]})"
    created = {(c["kind"], c["name"]) for c in at_first["changes"]}
    assert created == {("Deployment.apps", "apps/web"), ("Service", "apps/web"), ("ConfigMap", "apps/web-config"),
                       ("Secret", "apps/web-creds")}
    at_main = plan_json(source_loop(tmp_path / "main", k8s(), observed=[]), env)
    assert at_main["desired"]["version"] == second and at_main["desired"]["count"] == 3
    assert os.listdir(env["TMPDIR"]) == []  # every export folder was removed

    # The same files on disk, read by desired: {type: kubernetes}: the same resources.
    on_disk = tmp_path / "disk"
    on_disk.mkdir()
    for n in ("deploy", "cm", "secret"):
        (on_disk / f"{n}.yaml").write_text(manifests[n])
    disk = plan_json(source_loop(tmp_path / "diskloop", {"type": "kubernetes", "path": "../disk"}, observed=[]))
    assert at_main["changes"] == disk["changes"]

    one_file = plan_json(source_loop(tmp_path / "file", k8s(path="apps/web/cm.yaml"), observed=[]))
    assert [(c["kind"], c["name"]) for c in one_file["changes"]] == [("ConfigMap", "default/web-config")]


def test_a_bad_manifest_at_the_ref_is_a_desired_error_naming_repo_ref_and_file(tmp_path: Path, app_repo: Repo) -> None:
    app_repo.commit({"apps/web/cm.yaml": NO_NAME}, "a config map without a name")
    env = private_tmp(tmp_path)
    line = assert_fails_as_desired_error(source_loop(tmp_path / "loop", k8s()), "git ../inv@main:apps/web/cm.yaml:1:",
                                         "field metadata.name", env=env)
    assert "tmpdir" not in line and "recon-git-" not in line, line
    assert os.listdir(env["TMPDIR"]) == []
    # The commit before it still reads: the error belongs to the ref, not to the repository.
    assert plan_json(source_loop(tmp_path / "before", k8s(ref="main~1"), observed=[]))["desired"]["count"] == 4


@pytest.mark.parametrize("change, words", [
    ({"apps/web/kustomization.yaml": "resources: [deploy.yaml]\n"},
     ["git ../inv@main:apps/web/kustomization.yaml", "render it with `kubectl kustomize"]),
    ({"apps/web/run.sh": "echo\n"}, ["git ../inv@main:apps/web/run.sh", "not an inventory file"]),
    ({"apps/web/deploy.yaml": "kind: [\n"}, ["git ../inv@main:apps/web/deploy.yaml:", "malformed YAML"]),
    ({"apps/web/big.yaml": "# " + "x" * 3000 + "\n"}, ["git ../inv@main:apps/web", "apps/web/big.yaml", "over the input limit"]),
])
def test_each_failure_of_the_format_names_the_file_in_the_repository(tmp_path: Path, app_repo: Repo,
                                                                      change: dict[str, str], words: list[str]) -> None:
    app_repo.commit(change, "break it")
    env = {**private_tmp(tmp_path), "RECON_MAX_INPUT_BYTES": "2500"}
    assert_fails_as_desired_error(source_loop(tmp_path / "loop", k8s()), *words, env=env)
    assert os.listdir(env["TMPDIR"]) == []


def test_a_symlink_among_the_manifests_is_refused(tmp_path: Path, app_repo: Repo) -> None:
    (app_repo.path / "apps" / "web" / "link.yaml").symlink_to("/etc/passwd")
    git(app_repo.path, "add", "apps/web/link.yaml")
    app_repo.commit({}, "a link out of the repository")
    assert_fails_as_desired_error(source_loop(tmp_path / "loop", k8s()), "git ../inv@main:apps/web",
                                  "apps/web/link.yaml: is a symlink in the repository")


def test_desired_history_counts_manifest_changes(tmp_path: Path, app_repo: Repo, manifests: dict[str, str]) -> None:
    scaled = manifests["deploy"].replace("replicas: 2", "replicas: 5")
    assert scaled != manifests["deploy"]
    app_repo.commit({"apps/web/deploy.yaml": scaled, "apps/web/svc.yaml": None}, "scale up, drop the service")
    app_repo.commit({"apps/web/cm.yaml": NO_NAME}, "a typo")
    cfg, base = load_loop_config(source_loop(tmp_path / "loop", k8s()))
    got = [(c.subject, c.creates, c.updates, c.deletes, c.resources) for c in desired_history(GitSource(cfg.desired, base))]
    assert got[1:] == [("scale up, drop the service", 0, 1, 1, 3), ("the web app", 4, 0, 0, 4)]
    changes = desired_history(GitSource(cfg.desired, base))
    assert changes[0].creates is None and "../inv@" in changes[0].error and "apps/web/cm.yaml:1:" in changes[0].error
    r = recon("desired-history", tmp_path / "loop" / "loop.yaml", "--json", cwd=tmp_path / "loop")
    assert r.code == 0 and [c["deletes"] for c in r.json()["commits"]] == [None, 1, 0], r.stderr


ZONE = "---\n'':\n  type: TXT\n  value: v=spf1 -all\napi:\n  type: A\n  value: 192.0.2.30\nwww:\n  ttl: 60\n  type: A\n  values: [192.0.2.10, 192.0.2.11]\n"


def octodns_files(zone_text: str = ZONE) -> dict[str, str]:
    config = {"providers": {"config": {"class": "octodns.provider.yaml.YamlProvider", "directory": "./zones"}},
              "zones": {"example.test.": {"sources": ["config"], "targets": []}}}
    return {"dns/octodns.yaml": yaml.safe_dump(config), "dns/zones/example.test.yaml": zone_text}


def octo(**settings: Any) -> dict[str, Any]:
    return {"type": "git", "repo": "../inv", "ref": "main", "path": "dns", "format": "octodns",
            "config": "octodns.yaml", "zone": "example.test", **settings}


def test_an_octodns_config_at_a_ref_plans_as_the_octodns_source_reads_it(tmp_path: Path) -> None:
    require_octodns()
    repo = Repo(tmp_path / "inv")
    head = repo.commit(octodns_files(), "the zone")
    env = private_tmp(tmp_path)
    plan = plan_json(source_loop(tmp_path / "loop", octo(), observed=[]), env)
    assert plan["desired"]["version"] == head and plan["desired"]["count"] == 3
    assert os.listdir(env["TMPDIR"]) == []
    disk = plan_json(source_loop(tmp_path / "disk", {"type": "octodns", "config": "../inv/dns/octodns.yaml",
                                                     "zone": "example.test", "workdir": "../inv/dns"}, observed=[]))
    assert plan["changes"] == disk["changes"]
    assert {(c["op"], c["kind"], c["name"]) for c in plan["changes"]} == {
        ("create", "TXT", "@"), ("create", "A", "api"), ("create", "A", "www")}


@pytest.mark.parametrize("settings, zone_text, words", [
    ({}, "---\nwww:\n  type: A\n  value: not-an-address\n",
     ["octoDNS config ../inv@main:dns/octodns.yaml zone example.test.", "ValidationError"]),
    ({"config": "nosuch.yaml"}, ZONE, ["../inv@main:dns/nosuch.yaml", "cannot read octoDNS config"]),
    ({"zone": "other.test"}, ZONE, ["../inv@main:dns/octodns.yaml", "declares no such zone"]),
    ({"path": "dns/octodns.yaml"}, ZONE, ["git ../inv@main:dns/octodns.yaml", "format octodns reads a folder"]),
])
def test_a_broken_octodns_config_at_the_ref_is_a_desired_error(tmp_path: Path, settings: dict[str, Any],
                                                              zone_text: str, words: list[str]) -> None:
    require_octodns()
    Repo(tmp_path / "inv").commit(octodns_files(zone_text), "the zone")
    env = private_tmp(tmp_path)
    line = assert_fails_as_desired_error(source_loop(tmp_path / "loop", octo(**settings)), *words, env=env)
    assert "tmpdir" not in line, line
    assert os.listdir(env["TMPDIR"]) == []


@pytest.mark.parametrize("settings, words", [
    ({"format": "kubernetes", "zone": "example.test"}, ["zone is a setting of format octodns"]),
    ({"namespace": "apps"}, ["namespace is a setting of format kubernetes", "format is inventory"]),
    ({"format": "octodns", "config": "octodns.yaml"}, ["format octodns needs config", "and zone"]),
    ({"format": "octodns", "config": "../o.yaml", "zone": "a"}, ["field desired.config", "inside the repository"]),
    ({"format": "helm"}, ["field desired.format"]),
])
def test_settings_of_another_format_are_refused(tmp_path: Path, settings: dict[str, Any], words: list[str]) -> None:
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", **settings})
    r = recon("plan", cfg, cwd=cfg.parent, env={"COLUMNS": "1000"})
    assert r.code == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert all(w in r.stderr for w in words), r.stderr


def test_recon_schema_loop_shows_the_git_formats() -> None:
    import json
    schema = json.loads(recon("schema", "loop", cwd=Path.cwd()).stdout)
    props = schema["$defs"]["GitDesired"]["properties"]
    assert props["format"]["enum"] == ["inventory", "kubernetes", "octodns"] and props["format"]["default"] == "inventory"
    assert {"namespace", "cluster_scoped", "config", "zone"} <= set(props)


def test_desired_history_reads_an_octodns_config_per_commit(tmp_path: Path) -> None:
    require_octodns()
    repo = Repo(tmp_path / "inv")
    repo.commit(octodns_files(), "the zone")
    repo.commit({"dns/zones/example.test.yaml": ZONE.replace("192.0.2.30", "192.0.2.31")}, "api moves")
    cfg, base = load_loop_config(source_loop(tmp_path / "loop", octo()))
    got = [(c.subject, c.creates, c.updates, c.deletes, c.resources) for c in desired_history(GitSource(cfg.desired, base))]
    assert got == [("api moves", 0, 1, 0, 3), ("the zone", 3, 0, 0, 3)]


def test_a_full_temporary_folder_is_an_error_naming_the_file_and_removes_the_export(
        tmp_path: Path, app_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    import recon.sources.gittree as gittree
    from recon.sources.git import GitSourceError
    made: list[Path] = []
    real_mkdtemp, real_open = gittree.tempfile.mkdtemp, os.open

    def mkdtemp(**kw: Any) -> str:
        made.append(Path(real_mkdtemp(dir=tmp_path, **kw)))
        return str(made[-1])

    def full(path: Any, *args: Any, **kw: Any) -> int:
        if str(path).endswith("secret.yaml"):
            raise OSError(28, "No space left on device")
        return real_open(path, *args, **kw)

    monkeypatch.setattr(gittree.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(gittree.os, "open", full)
    cfg, base = load_loop_config(source_loop(tmp_path / "loop", k8s()))
    with pytest.raises(GitSourceError) as e:
        GitSource(cfg.desired, base).load()
    assert str(e.value) == ("git ../inv@main:apps/web: apps/web/secret.yaml: cannot export it into a temporary "
                            "folder: No space left on device")
    assert len(made) == 1 and not made[0].exists()
