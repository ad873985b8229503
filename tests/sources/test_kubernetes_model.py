"""The pieces under the Kubernetes source and export, without kubectl: keys, Lists, markers, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon.core.model import Resource
from recon.core.plan import diff
from recon.providers.kubernetes_export import OwnerMarker
from recon.providers.kubernetes_normalize import kubernetes_normalizer
from recon.sources.kubernetes import KubernetesError, KubernetesSource
from recon.sources.yamlread import ParseError, parse_yaml, parse_yaml_documents


def test_multi_document_yaml_keeps_each_document_and_its_line() -> None:
    docs = parse_yaml_documents("a: 1\n---\nb: &x [1]\nc: *x\n---\n---\nd: 2\n")
    assert docs == [(1, {"a": 1}), (2, {"b": [1], "c": [1]}), (5, None), (6, {"d": 2})]
    with pytest.raises(ParseError, match="names no anchor"):  # an anchor belongs to its own document
        parse_yaml_documents("a: &x 1\n---\nb: *x\n")
    with pytest.raises(ParseError, match="a second YAML document"):  # other inputs still hold one
        parse_yaml("a: 1\n---\nb: 2\n")


def test_typed_lists_cluster_scoped_kinds_and_the_default_namespace(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleList\nitems:\n- metadata: {name: reader}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ns1}\n"
        "---\napiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n")
    src = KubernetesSource(tmp_path / "m.yaml", namespace="team", cluster_scoped=frozenset({"Gadget.example.com"}))
    assert set(src.load().resources) == {("ClusterRole.rbac.authorization.k8s.io", "reader"), ("ConfigMap", "team/c"),
                                         ("Widget.example.com", "ns1/w"), ("Gadget.example.com", "g")}


def test_an_object_without_kind_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                                     "apiVersion: v1\nmetadata: {name: b}\n")
    with pytest.raises(KubernetesError, match=r"m\.yaml:4: field kind"):
        KubernetesSource(tmp_path / "m.yaml").load()


def owned(tracking_id: str, kind: str = "Deployment.apps", name: str = "apps/web") -> str | None:
    r = Resource(kind, name, {"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": tracking_id}}})
    return OwnerMarker(marker="argocd", value="web").owner_of(r)


def test_an_argocd_tracking_id_owns_only_the_object_it_names() -> None:
    assert owned("web:apps/Deployment:apps/web") == "web"
    assert owned("web:/ConfigMap:apps/cfg", "ConfigMap", "apps/cfg") == "web"
    assert owned("web:/Namespace:/apps", "Namespace", "apps") == "web"
    assert owned("web:apps/Deployment:apps/other") is None     # copied from another object: not tracked
    assert owned("web:apps/StatefulSet:apps/web") is None
    assert owned("garbage") is None


def deployment(**spec: object) -> dict[str, object]:
    pod = {"containers": [{"name": "c", "image": spec.pop("image", "nginx:1.27")}]}
    return {"apiVersion": "apps/v1", "spec": {"selector": {}, "template": {"spec": pod}, **spec}}


def test_defaults_are_forgiven_only_where_documented() -> None:
    n = kubernetes_normalizer()
    desired = Resource("Deployment.apps", "a/w", deployment(image="nginx"))
    live = deployment(image="nginx", replicas=1, strategy={"type": "Recreate"})
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"  # type: ignore[index]
    plan = diff({desired.key: desired}, {desired.key: Resource("Deployment.apps", "a/w", live)}, n)
    # No tag means :latest, whose default pull policy is Always; Recreate is not the default strategy.
    assert [f.path for c in plan.updates for f in c.fields] == ["spec.strategy.rollingUpdate", "spec.strategy.type"]
    live["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert diff({desired.key: desired}, {desired.key: Resource("Deployment.apps", "a/w", live)}, n).in_sync
    live["spec"]["minReadySeconds"] = 5  # not a default: a real difference
    assert diff({desired.key: desired}, {desired.key: Resource("Deployment.apps", "a/w", live)}, n).updates


def test_helm_template_output_reads_with_its_comments_and_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "out.yaml").write_text(
        "---\n# Source: web/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n"
        "  name: web\n  labels:\n    helm.sh/chart: web-0.1.0\n---\n# Source: web/templates/empty.yaml\n---\n"
        "# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
        "spec:\n  ports:\n    - port: 80\n")
    assert set(KubernetesSource(tmp_path / "out.yaml").load().resources) == {("ServiceAccount", "default/web"),
                                                                           ("Service", "default/web")}


@pytest.mark.parametrize("name", ["kustomization.yaml", "Chart.yaml"])
def test_a_folder_of_unrendered_sources_says_to_render_it(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("resources: [a.yaml]\n")
    with pytest.raises(KubernetesError, match="render"):
        KubernetesSource(tmp_path).load()


def test_an_object_a_controller_made_is_never_the_tools_to_prune() -> None:
    marker = OwnerMarker(marker="argocd", tracking="label", value="web")
    labels = {"app.kubernetes.io/instance": "web"}
    assert marker.owner_of(Resource("Deployment.apps", "apps/web", {"metadata": {"labels": labels}})) == "web"
    replica_set = {"metadata": {"labels": labels, "ownerReferences": [{"kind": "Deployment", "name": "web",
                                                                       "controller": True}]}}
    assert marker.owner_of(Resource("ReplicaSet.apps", "apps/web-5d8f", replica_set)) is None
