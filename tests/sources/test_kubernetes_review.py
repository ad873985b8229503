"""Hostile inputs for the Kubernetes manifests source and the kubernetes-export provider: partial
lists, split ownership, malformed metadata, fields the normaliser must not forgive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.providers.helpers import recon
from tests.sources.helpers import assert_plan_fails_naming

MINE = {"app": "web"}
OWNER = {"marker": "label", "key": "app", "value": "web"}


def cm(name: str, labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"},
            "metadata": {"name": name, "namespace": "apps", "labels": labels or MINE, **meta}}


def a_list(items: Any, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": "", **meta}}


def setup(tmp: Path, desired: list[dict[str, Any]], observed: dict[str, Any], owner: dict[str, Any] = OWNER) -> Path:
    (tmp / "desired").mkdir()
    (tmp / "desired" / "app.yaml").write_text(yaml.safe_dump_all(desired))
    (tmp / "cluster.yaml").write_text(yaml.safe_dump(observed))
    loop = tmp / "LOOP.yaml"
    loop.write_text(yaml.safe_dump({"name": "k8s", "provider": {"type": "kubernetes-export", "path": "cluster.yaml",
                                                                "owner": owner},
                                    "desired": {"type": "kubernetes", "path": "desired"},
                                    "guards": {"max_deletes": False, "desired_shrink": False}}))
    return loop


def plan(tmp: Path, loop: Path) -> dict[str, Any]:
    run = recon("plan", loop, "--json", cwd=tmp)
    assert run.code in (0, 2, 3) and "Traceback" not in run.stderr, (run.code, run.stderr)
    return run.json()


def fates(result: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["op"], c["name"]): c["fate"]["status"] for c in result["changes"]}


def assert_refused_on_either_side(tmp: Path, obj: dict[str, Any], field: str) -> None:
    """*obj* among the manifests, and then in the export: each time one error naming it and *field*."""
    as_desired, as_export = tmp / "desired-side", tmp / "export-side"
    as_desired.mkdir(parents=True), as_export.mkdir()
    assert_plan_fails_naming(as_desired, setup(as_desired, [cm("a"), obj], a_list([cm("a")])),
                             "app.yaml:", f"field {field}")
    assert_plan_fails_naming(as_export, setup(as_export, [cm("a")], a_list([cm("a"), obj])),
                             "provider kubernetes-export", "cluster.yaml:1: items.1", f"field {field}")


# A page of a chunked list (`kubectl get --chunk-size`, the API's `?limit=`): the rest is on the server.
PAGED = ({"continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ"}, {"remainingItemCount": 5},
         {"continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ", "remainingItemCount": 5})


def test_a_page_of_a_chunked_export_is_an_incomplete_observation_and_deletes_nothing(tmp_path: Path) -> None:
    for i, meta in enumerate(PAGED):
        tmp = tmp_path / str(i)
        tmp.mkdir()
        loop = setup(tmp, [cm("a"), cm("z")], a_list([cm("a"), cm("b")], **meta))
        result = plan(tmp, loop)
        assert result["observation"]["complete"] is False, result["observation"]
        assert "cluster.yaml" in result["observation"]["reason"], result["observation"]
        assert fates(result)[("delete", "apps/b")] != "apply", result["changes"]


def test_a_page_of_a_chunked_list_as_manifests_is_an_error(tmp_path: Path) -> None:
    loop = setup(tmp_path, [cm("a")], a_list([cm("a")]))
    (tmp_path / "desired" / "app.yaml").write_text(yaml.safe_dump(a_list([cm("a")], remainingItemCount=3)))
    assert_plan_fails_naming(tmp_path, loop, "app.yaml:1", "remainingItemCount")


def secret(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "apps", "labels": MINE}, **fields}


# Fields whose shape the source relies on: each not a mapping is one error line naming file:line and field.
MISSHAPEN = {
    "secret-data": (secret(data="abc"), "data"),
    "secret-stringdata": (secret(stringData=[1, 2]), "stringData"),
    "labels": (cm("z", labels=["app"]), "metadata.labels"),  # type: ignore[arg-type]
    "annotations": (cm("z", annotations="x"), "metadata.annotations"),
}


def test_misshapen_metadata_or_secret_fields_are_one_line_errors_naming_them(tmp_path: Path) -> None:
    for case, (obj, field) in MISSHAPEN.items():
        assert_refused_on_either_side(tmp_path / case, obj, field)


def tracking(app: str, name: str) -> dict[str, str]:
    return {"argocd.argoproj.io/tracking-id": f"{app}:/ConfigMap:apps/{name}"}


KAPP = {"kapp.k14s.io/app": "1700000000000000001"}
FLUX = {"kustomize.toolkit.fluxcd.io/name": "web", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
# owner settings -> (our marker's labels, and the labels and annotations another tool or method adds on b).
SPLIT = {
    "argocd-label-vs-annotation": ({"marker": "argocd", "tracking": "label", "value": "web"},
                                   {"app.kubernetes.io/instance": "web"}, {}, tracking("other", "b")),
    "kapp-vs-argocd": ({"marker": "kapp", "value": "1700000000000000001"}, KAPP, {}, tracking("web", "b")),
    "applyset-vs-flux": ({"marker": "applyset", "value": "applyset-x-v1"},
                         {"applyset.kubernetes.io/part-of": "applyset-x-v1"}, FLUX, {}),
    "label-vs-kapp": (OWNER, MINE, KAPP, {}),
}


def test_an_object_another_tool_also_claims_is_never_a_delete_candidate(tmp_path: Path) -> None:
    for case, (owner, labels, theirs, notes) in SPLIT.items():
        tmp = tmp_path / case
        tmp.mkdir()
        b = cm("b", {**labels, **theirs}, annotations=notes)
        result = plan(tmp, setup(tmp, [cm("a", labels)], a_list([cm("a", labels), b, cm("c", labels)]), owner))
        assert fates(result)[("delete", "apps/b")] == "excluded", (case, result["changes"])
        assert fates(result)[("delete", "apps/c")] == "apply", (case, result["changes"])


def test_argocd_label_tracking_with_an_annotation_naming_the_same_app_is_owned(tmp_path: Path) -> None:
    owner, labels, _, _ = SPLIT["argocd-label-vs-annotation"]
    result = plan(tmp_path, setup(tmp_path, [cm("a", labels)],
                                  a_list([cm("a", labels), cm("b", labels, annotations=tracking("web", "b"))]), owner))
    assert fates(result)[("delete", "apps/b")] == "apply", result["changes"]


def service(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "apps", "labels": MINE},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}, **spec}}


def test_a_headless_service_against_one_with_a_cluster_ip_is_an_update(tmp_path: Path) -> None:
    # clusterIP: None is what a manifest writes for a headless Service; the address the server assigns is not.
    served = {"clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"], "ipFamilies": ["IPv4"]}
    (tmp_path / "a").mkdir()
    result = plan(tmp_path / "a", setup(tmp_path / "a", [service(clusterIP="None")], a_list([service(**served)])))
    assert fates(result) == {("update", "apps/s"): "apply"}, result["changes"]
    headless = {"clusterIP": "None", "clusterIPs": ["None"], "ipFamilies": ["IPv4"]}
    (tmp_path / "b").mkdir()
    result = plan(tmp_path / "b", setup(tmp_path / "b", [service(clusterIP="None")], a_list([service(**headless)])))
    assert result["changes"] == [], result["changes"]
    (tmp_path / "c").mkdir()
    result = plan(tmp_path / "c", setup(tmp_path / "c", [service()], a_list([service(**served)])))
    assert result["changes"] == [], result["changes"]


# Names the API server refuses (path segment rules: no '/', no '%', not '.' or '..'; namespaces are DNS labels):
# in a key they would make `NS/NAME` ambiguous (namespace x, name a/b is namespace x/a, name b).
BAD_NAMES = {
    "slash-in-name": (cm("a/b"), "metadata.name"),
    "dotdot": (cm(".."), "metadata.name"),
    "percent": (cm("a%2fb"), "metadata.name"),
    "slash-in-namespace": ({**cm("b"), "metadata": {"name": "b", "namespace": "apps/a", "labels": MINE}},
                           "metadata.namespace"),
    "upper-namespace": ({**cm("b"), "metadata": {"name": "b", "namespace": "Apps", "labels": MINE}},
                        "metadata.namespace"),
}


def test_names_the_api_server_refuses_are_errors_on_either_side(tmp_path: Path) -> None:
    for case, (obj, field) in BAD_NAMES.items():
        assert_refused_on_either_side(tmp_path / case, obj, field)


def widget(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta = {"name": name, "labels": MINE, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta, "spec": {"size": 1}}


def test_a_cluster_scoped_custom_kind_missing_from_cluster_scoped_is_an_error_not_a_delete(tmp_path: Path) -> None:
    # The export shows Widget.example.com has no namespace; the manifests, not told, put it in `default`:
    # the plan created default/w1 and deleted the live w1 the manifests declare.
    loop = setup(tmp_path, [widget("w1")], a_list([widget("w1")]))
    assert_plan_fails_naming(tmp_path, loop, "cluster.yaml:1: items.0", "Widget.example.com", "cluster_scoped")
    cfg = yaml.safe_load(loop.read_text())
    cfg["desired"]["cluster_scoped"] = ["Widget.example.com"]
    loop.write_text(yaml.safe_dump(cfg))
    assert plan(tmp_path, loop)["changes"] == []


def test_a_secret_value_yaml_1_1_would_misread_is_not_quoted_in_the_error(tmp_path: Path) -> None:
    loop = setup(tmp_path, [cm("a")], a_list([cm("a")]))
    (tmp_path / "desired" / "app.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: apps}\nstringData:\n  password: 0x5EC12E7\n")
    error = assert_plan_fails_naming(tmp_path, loop, "app.yaml:5", "field stringData.password", "quote it")
    run = recon("plan", loop, cwd=tmp_path)
    assert "5EC12E7" not in error and "5EC12E7" not in run.stderr and "99357415" not in run.stderr, run.stderr


def test_kinds_groups_and_names_that_only_look_like_ascii_are_refused(tmp_path: Path) -> None:
    # A Cyrillic а or С reads as the Latin letter: the plan showed "create apps/а, delete apps/a", two
    # lines a reviewer sees as the same object, and the delete was the live one.
    look_alike = {"name": (cm("\u0430"), "metadata.name"),
                  "kind": ({**cm("b"), "kind": "\u0421onfigMap"}, "kind"),
                  "group": ({**cm("b"), "apiVersion": "\u0430pps/v1"}, "apiVersion")}
    for case, (obj, field) in look_alike.items():
        assert_refused_on_either_side(tmp_path / case, obj, field)
