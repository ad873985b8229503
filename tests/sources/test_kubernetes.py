"""Kubernetes manifests (desired) against a kubectl export (observed), made offline by kubectl itself.

The manifests come from `kubectl create --dry-run=client` and `kubectl kustomize`. The export is
what `kubectl get -o yaml` prints after `kubectl apply`: the same objects as the API server returns
them, with the fields it sets written out here literally, as a real server writes them (no cluster
is started: `served` is the API server's part, from its documented behaviour).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, require_binary
from tests.providers.helpers import keys, recon
from tests.sources.helpers import assert_plan_fails_naming, assert_watch_aborts_on_desired_error

# marker -> (the owner: settings, what the tool writes on an object it applies, the same for another owner)
MARKERS: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "argocd": ({"marker": "argocd", "value": "web"},
               lambda gk, nsname: {"annotations": {"argocd.argoproj.io/tracking-id": f"web:{gk}:{nsname}"}},
               lambda gk, nsname: {"annotations": {"argocd.argoproj.io/tracking-id": f"other:{gk}:{nsname}"}}),
    "argocd-label": ({"marker": "argocd", "tracking": "label", "value": "web"},
                     lambda gk, nsname: {"labels": {"app.kubernetes.io/instance": "web"}},
                     lambda gk, nsname: {"labels": {"app.kubernetes.io/instance": "other"}}),
    "flux": ({"marker": "flux", "value": "flux-system/web"},
             lambda gk, nsname: {"labels": {"kustomize.toolkit.fluxcd.io/name": "web",
                                            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
             lambda gk, nsname: {"labels": {"kustomize.toolkit.fluxcd.io/name": "other",
                                            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}),
    "kapp": ({"marker": "kapp", "value": "1700000000000000001"},
             lambda gk, nsname: {"labels": {"kapp.k14s.io/app": "1700000000000000001",
                                            "kapp.k14s.io/association": "v1.5ba8a84b5a4e9e1c3b2dfa6a3b8f0c1d"}},
             lambda gk, nsname: {"labels": {"kapp.k14s.io/app": "1700000000000000002"}}),
    "applyset": ({"marker": "applyset", "value": "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1"},
                 lambda gk, nsname: {"labels": {"applyset.kubernetes.io/part-of":
                                                "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1"}},
                 lambda gk, nsname: {"labels": {"applyset.kubernetes.io/part-of": "applyset-other-v1"}}),
}


def kubectl(tmp: Path, *args: str) -> str:
    """Run kubectl offline: an empty kubeconfig, and only commands that never contact a server."""
    binary = require_binary("kubectl", "/usr/bin/kubectl")
    (tmp / "no-cluster").write_text("")
    run = subprocess.run([binary, *args], cwd=tmp, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "KUBECONFIG": str(tmp / "no-cluster")})
    assert run.returncode == 0, run.stderr
    return run.stdout


def app_manifests(tmp: Path, output: str = "yaml") -> dict[str, str]:
    """The app's manifests as `kubectl create --dry-run=client -o OUTPUT` prints them, by file name."""
    dry = ("--dry-run=client", "-o", output)
    return {
        "deploy": kubectl(tmp, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80", *dry),
        "svc": kubectl(tmp, "create", "service", "clusterip", "web", "--tcp=80:8080", *dry),
        "cm": kubectl(tmp, "create", "configmap", "web-config", "--from-literal=mode=blue", *dry),
        "secret": kubectl(tmp, "create", "secret", "generic", "web-creds", "--from-literal=password=s3cr3t", *dry),
    }


def kustomized(tmp: Path, manifests: dict[str, str]) -> Path:
    """`kubectl kustomize` of the manifests into namespace apps: one multi-document file in desired/."""
    base = tmp / "base"
    base.mkdir(exist_ok=True)
    for name, text in manifests.items():
        (base / f"{name}.yaml").write_text(text)
    (base / "kustomization.yaml").write_text(yaml.safe_dump(
        {"namespace": "apps", "resources": [f"{n}.yaml" for n in manifests]}))
    out = tmp / "desired"
    out.mkdir(exist_ok=True)
    (out / "app.yaml").write_text(kubectl(tmp, "kustomize", "base"))
    return out


def served(obj: dict[str, Any], marks: dict[str, dict[str, str]], n: int) -> dict[str, Any]:
    """*obj* as the API server returns it after `kubectl apply` of it: system metadata, the
    last-applied annotation, the defaulted fields, a status, and the tool's owner *marks*."""
    live = copy.deepcopy(obj)
    meta = live["metadata"]
    meta.update({"uid": f"5b2c4c3e-0000-4000-8000-{n:012d}", "resourceVersion": str(40000 + n),
                 "creationTimestamp": "2026-11-30T09:12:44Z",
                 "managedFields": [{"apiVersion": live["apiVersion"], "fieldsType": "FieldsV1",
                                    "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}},
                                    "manager": "kubectl-client-side-apply", "operation": "Update",
                                    "time": "2026-11-30T09:12:44Z"}]})
    notes = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(obj, separators=(",", ":")) + "\n"}
    meta.setdefault("annotations", {}).update(notes | marks.get("annotations", {}))
    if marks.get("labels"):
        meta.setdefault("labels", {}).update(marks["labels"])
    kind = live["kind"]
    if kind == "Deployment":
        meta["generation"] = 1
        meta["annotations"]["deployment.kubernetes.io/revision"] = "1"
        spec = live["spec"]
        spec.update({"progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
                     "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}})
        tmpl = spec["template"]
        tmpl["metadata"].pop("creationTimestamp", None)
        tmpl["spec"].update({"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                             "securityContext": {}, "terminationGracePeriodSeconds": 30})
        for c in tmpl["spec"]["containers"]:
            c.update({"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                      "terminationMessagePolicy": "File"})
            for p in c.get("ports", []):
                p["protocol"] = "TCP"
        live["status"] = {"availableReplicas": 2, "observedGeneration": 1, "readyReplicas": 2, "replicas": 2,
                          "updatedReplicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    elif kind == "Service":
        live["spec"].update({"clusterIP": f"10.96.{n}.12", "clusterIPs": [f"10.96.{n}.12"], "ipFamilies": ["IPv4"],
                             "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
                             "sessionAffinity": "None"})
        live["status"] = {"loadBalancer": {}}
    elif kind == "Secret":
        live["type"] = "Opaque"
    if kind in ("ConfigMap", "Secret"):
        live.pop("status", None)  # kinds without a status
    return live


def objects_of(path: Path) -> list[dict[str, Any]]:
    return [d for f in sorted(path.iterdir()) for d in yaml.safe_load_all(f.read_text()) if d]


def export(tmp: Path, objs: list[dict[str, Any]], mark: Any, extra: tuple[dict[str, Any], ...] = (),
           name: str = "cluster.yaml") -> Path:
    """`kubectl get ... -o yaml` of *objs* (each carrying *mark*) and *extra* (as they are): a List."""
    items = []
    for i, o in enumerate(objs):
        gk = f"{o['apiVersion'].rpartition('/')[0]}/{o['kind']}"
        items.append(served(o, mark(gk, f"{o['metadata']['namespace']}/{o['metadata']['name']}"), i))
    items.extend(extra)
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    p = tmp / name
    p.write_text(json.dumps(doc, indent=4) if name.endswith(".json") else yaml.safe_dump(doc, sort_keys=True))
    return p


def loop(tmp: Path, owner: dict[str, Any], desired: str = "desired", observed: str = "cluster.yaml",
         **extra: Any) -> Path:
    p = tmp / "LOOP.yaml"
    p.write_text(yaml.safe_dump({"name": "k8s", "provider": {"type": "kubernetes-export", "path": observed, "owner": owner},
                                 "desired": {"type": "kubernetes", "path": desired}, **extra}))
    return p


def plan(tmp: Path, loop_path: Path) -> dict[str, Any]:
    run = recon("plan", loop_path, "--json", cwd=tmp)
    assert run.code in (0, 2, 3), (run.code, run.stderr)
    return run.json()


def configmap(tmp: Path, name: str, marks: dict[str, dict[str, str]], n: int) -> dict[str, Any]:
    obj = yaml.safe_load(kubectl(tmp, "create", "configmap", name, "-n", "apps", "--from-literal=k=v",
                                 "--dry-run=client", "-o", "yaml"))
    return served(obj, marks, n)


def test_kustomize_output_keys_kind_group_and_namespace_and_hides_secret_values(tmp_path: Path) -> None:
    from recon.sources.kubernetes import KubernetesSource

    state = KubernetesSource(kustomized(tmp_path, app_manifests(tmp_path))).load()
    assert set(state.resources) == {("Deployment.apps", "apps/web"), ("Service", "apps/web"),
                                    ("ConfigMap", "apps/web-config"), ("Secret", "apps/web-creds")}
    secret = state.resources[("Secret", "apps/web-creds")].spec
    assert secret["data"]["password"].startswith("sha256:") and "czNjcjN0" not in json.dumps(dict(secret["data"]))
    assert state.version and state.source.startswith("kubernetes:")


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_export_plans_in_sync_and_only_marked_objects_are_delete_candidates(tmp_path: Path, marker: str) -> None:
    owner, mine, theirs = MARKERS[marker]
    desired = kustomized(tmp_path, app_manifests(tmp_path))
    extra = (configmap(tmp_path, "old-config", mine("/ConfigMap", "apps/old-config"), 7),      # ours, gone: a delete
             configmap(tmp_path, "kube-root-ca.crt", {}, 8),                                 # no marker at all
             configmap(tmp_path, "their-config", theirs("/ConfigMap", "apps/their-config"), 9))  # another owner's
    export(tmp_path, objects_of(desired), mine, extra)
    p = plan(tmp_path, loop(tmp_path, owner))
    # Server-set fields (uid, resourceVersion, managedFields, last-applied, status, defaults, the
    # assigned clusterIP, the owner marker itself) are not updates.
    assert p["counts"] == {"create": 0, "update": 0, "delete": 3}, p["changes"]
    assert keys(p["batch"], "delete") == {("ConfigMap", "apps/old-config")}
    never = {("ConfigMap", "apps/kube-root-ca.crt"), ("ConfigMap", "apps/their-config")}
    for section in ("batch", "deferred"):
        assert not keys(p[section], "delete") & never, (section, p[section])
    assert {(c["kind"], c["name"]) for c in p["blocked"] if c["guard"] == "ownership"} == never
    ownership = next(g for g in p["guards"] if g["name"] == "ownership")
    assert ownership["outcome"] == "exclude", ownership


def test_the_owner_comes_from_the_marker_settings_and_is_required(tmp_path: Path) -> None:
    """The owner id comes from the provider's owner value: a loop config need not repeat it, and one
    that names another is refused rather than guessed."""
    owner, mine, _ = MARKERS["argocd"]
    desired = kustomized(tmp_path, app_manifests(tmp_path))
    export(tmp_path, objects_of(desired), mine)
    run = recon("plan", loop(tmp_path, owner, owner_id="someone-else"), cwd=tmp_path)
    assert run.code == 1 and "owner_id 'someone-else' differs from the provider's owner value 'web'" in run.stderr
    run = recon("plan", loop(tmp_path, owner, guards={"ownership": False}), cwd=tmp_path, env={"COLUMNS": "1000"})
    assert run.code == 1 and "guards.ownership cannot be disabled for it" in run.stderr, run.stderr
    run = recon("plan", loop(tmp_path, {"marker": "label", "value": "web"}), cwd=tmp_path)
    assert run.code == 1 and "key is given with marker: label" in run.stderr
    bare = tmp_path / "LOOP.yaml"
    bare.write_text(yaml.safe_dump({"provider": {"type": "kubernetes-export", "path": "cluster.yaml"},
                                    "desired": {"type": "kubernetes", "path": "desired"}}))
    run = recon("plan", bare, cwd=tmp_path)
    assert run.code == 1 and "provider kubernetes-export: field owner" in run.stderr, run.stderr


def test_real_changes_show_as_exactly_those_fields(tmp_path: Path) -> None:
    owner, mine, _ = MARKERS["flux"]
    desired = kustomized(tmp_path, app_manifests(tmp_path))
    export(tmp_path, objects_of(desired), mine)
    text = (desired / "app.yaml").read_text()
    (desired / "app.yaml").write_text(text.replace("replicas: 2", "replicas: 3").replace("nginx:1.27", "nginx:1.28")
                                      .replace("mode: blue", "mode: green"))
    p = plan(tmp_path, loop(tmp_path, owner))
    assert p["counts"] == {"create": 0, "update": 2, "delete": 0}
    fields = {(c["kind"], c["name"]): {f["path"] for f in c["fields"]} for c in p["changes"]}
    assert fields == {("Deployment.apps", "apps/web"): {"spec.replicas", "spec.template.spec.containers"},
                      ("ConfigMap", "apps/web-config"): {"data.mode"}}


def test_json_manifests_and_a_json_export(tmp_path: Path) -> None:
    owner, mine, _ = MARKERS["kapp"]
    desired = tmp_path / "desired"
    desired.mkdir()
    objs = []
    for name, text in app_manifests(tmp_path, "json").items():
        obj = json.loads(text)
        obj["metadata"]["namespace"] = "apps"
        (desired / f"{name}.json").write_text(json.dumps(obj))
        objs.append(obj)
    export(tmp_path, objs, mine, name="cluster.json")
    p = plan(tmp_path, loop(tmp_path, owner, observed="cluster.json"))
    assert p["in_sync"] is True, p["changes"]


def test_a_manifest_without_namespace_is_in_the_source_namespace(tmp_path: Path) -> None:
    from recon.sources.kubernetes import KubernetesSource

    (tmp_path / "m.yaml").write_text(app_manifests(tmp_path)["cm"] + "---\napiVersion: v1\nkind: Namespace\n"
                                     "metadata: {name: apps}\n")
    state = KubernetesSource(tmp_path / "m.yaml", namespace="apps").load()
    assert set(state.resources) == {("ConfigMap", "apps/web-config"), ("Namespace", "apps")}


# What a broken manifest folder or export must never become: an empty or a partial desired state.
BROKEN = {
    "missing": (None, ["cannot read Kubernetes manifests", "no such file or folder"]),
    "malformed": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n", ["app.yaml:", "malformed YAML"]),
    "empty": ("", ["app.yaml", "holds no Kubernetes object"]),
    "no-name": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: apps}\n", ["app.yaml:1", "metadata.name"]),
    "duplicate": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", ["app.yaml:4", "duplicate object ConfigMap"]),
    "cut-list": ("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
                 ["app.yaml:1", "field kind"]),
    "yes-no": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {enabled: yes}\n", ["app.yaml:4", "quote it"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_manifest_is_an_error_in_plan_and_a_desired_error_in_watch(tmp_path: Path, case: str) -> None:
    text, words = BROKEN[case]
    owner, mine, _ = MARKERS["applyset"]
    desired = kustomized(tmp_path, app_manifests(tmp_path))
    export(tmp_path, objects_of(desired), mine)
    if text is None:
        (desired / "app.yaml").unlink()
        desired.rmdir()
    else:
        (desired / "app.yaml").write_text(text)
    cfg = loop(tmp_path, owner, guards={"max_deletes": False})
    assert_plan_fails_naming(tmp_path, cfg, str(desired), *words)
    assert_watch_aborts_on_desired_error(tmp_path, cfg, str(desired), *words)


@pytest.mark.parametrize("text", ["apiVersion: v1\nitems: [\n", "", "apiVersion: v1\nkind: List\nitems: {a: 1}\n"])
def test_a_broken_export_is_an_observation_error_naming_the_provider(tmp_path: Path, text: str) -> None:
    owner, _, _ = MARKERS["kapp"]
    kustomized(tmp_path, app_manifests(tmp_path))
    (tmp_path / "cluster.yaml").write_text(text)
    assert_plan_fails_naming(tmp_path, loop(tmp_path, owner), "provider kubernetes-export: ", "cluster.yaml")


@pytest.mark.slow
def test_the_loop_console_notebook_takes_the_kubernetes_example(tmp_path: Path) -> None:
    import nbformat
    import papermill as pm

    shutil.copytree(ROOT / "examples" / "kubernetes", tmp_path / "k8s")
    console = ROOT / "notebooks" / "explore" / "loop-console.ipynb"
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(console), str(out), parameters={"loop_config": str(tmp_path / "k8s" / "LOOP.yaml")},
                        cwd=str(console.parent), progress_bar=False, kernel_name="python3",
                        extra_arguments=["--IPKernelApp.log_level=ERROR"])
    nb = nbformat.read(out, as_version=4)
    assert [o.get("ename") for c in nb.cells for o in c.get("outputs", ()) if o.output_type == "error"] == []
    shown = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "loop kubernetes-example: state store" in shown  # the plan itself is in widgets
