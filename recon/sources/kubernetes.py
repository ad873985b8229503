"""Kubernetes objects as resources: manifests as desired state, and the reader an export shares.

``desired: {type: kubernetes, path: DIR_OR_FILE}`` reads every ``.yaml``, ``.yml`` and ``.json`` file
of a folder (or one file): multi-document YAML as ``kubectl kustomize`` and ``helm template`` print
it, ``List`` objects as ``kubectl get -o yaml`` prints them, through the bounded readers.

The key of an object is ``(KIND, NAME)``: KIND is ``Kind.group`` as kubectl spells a resource
(``Deployment.apps``, ``Ingress.networking.k8s.io``; the core group has none: ``ConfigMap``), so a
version change (``v1beta1`` to ``v1``) is the same object; NAME is ``namespace/name``, or ``name``
for a cluster-scoped kind. A manifest without a namespace is in the source's ``namespace``
(``default``, as kubectl applies it), unless its kind is cluster-scoped (a built-in one, or one
listed in ``cluster_scoped``). The spec is the object less ``kind``, ``metadata.name`` and
``metadata.namespace``. A Secret's values are replaced by their digests (``stringData`` merged
into ``data`` as the API server does), so no plan, record or log ever holds one.

Every failure (unreadable, malformed, an object without kind or name, a duplicate, a file that
holds no object) raises :class:`KubernetesError` naming ``file:line``; none is an empty state.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Resource
from recon.sources import jsonread, yamlread
from recon.sources.digest import digest_files
from recon.sources.listing import inventory_files
from recon.sources.readfile import read_text_input
from recon.sources.validation import value_kind

SUFFIXES = (".yaml", ".yml", ".json")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Built-in kinds without a namespace (`kubectl api-resources --namespaced=false`), keyed as above.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ComponentStatus",
    "ClusterRole.rbac.authorization.k8s.io", "ClusterRoleBinding.rbac.authorization.k8s.io",
    "StorageClass.storage.k8s.io", "CSIDriver.storage.k8s.io", "CSINode.storage.k8s.io",
    "VolumeAttachment.storage.k8s.io", "CustomResourceDefinition.apiextensions.k8s.io",
    "APIService.apiregistration.k8s.io", "PriorityClass.scheduling.k8s.io", "RuntimeClass.node.k8s.io",
    "IngressClass.networking.k8s.io", "CertificateSigningRequest.certificates.k8s.io",
    "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
    "MutatingWebhookConfiguration.admissionregistration.k8s.io",
    "ValidatingAdmissionPolicy.admissionregistration.k8s.io",
    "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io",
    "FlowSchema.flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io",
})


# Inputs of tools that render manifests: reading them as objects would plan nonsense.
_RENDER_FIRST = {
    **dict.fromkeys(("kustomization.yaml", "kustomization.yml"),
                    "a kustomization, not manifests: render it with `kubectl kustomize DIR > FILE`"),
    **dict.fromkeys(("Chart.yaml", "values.yaml"), "a Helm chart file, not manifests: render the chart with "
                                                   "`helm template RELEASE CHART > FILE`"),
}


class KubernetesError(ReconError):
    """A manifest or export could not be read or mapped; the message names the file and line."""


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def _namespace(v: str) -> str:
    if not _DNS_LABEL.fullmatch(v):
        raise ValueError("not a Kubernetes namespace: lower-case letters, digits and '-', starting and ending "
                         "with a letter or digit, at most 63")
    return v


Namespace = Annotated[str, AfterValidator(_namespace)]


class KubernetesDesired(BaseModel):
    """``desired:`` of a loop whose desired state is a folder or file of Kubernetes manifests."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["kubernetes"]
    path: str = Field(min_length=1, description="manifest file or folder (.yaml, .yml, .json), relative to the loop config")
    namespace: Namespace = Field("default", description="namespace of manifests that name none, "
                                                        "as `kubectl apply -n` would give")
    cluster_scoped: tuple[str, ...] = Field((), description="further cluster-scoped kinds as Kind.group "
                                                            "(custom resources), besides the built-in ones")


def key_kind(api_version: str, kind: str) -> str:
    """``Kind.group`` from an object's apiVersion and kind; the core group (``v1``) adds nothing."""
    group = api_version.rpartition("/")[0]
    return f"{kind}.{group}" if group else kind


def read_objects(path: Path, what: str) -> tuple[list[tuple[str, dict[str, Any]]], str]:
    """Every object under *path* as (``file:line`` it starts at, object), Lists expanded, and the
    version (digest of the files' bytes). A file holding no object at all is an error."""
    read: list[tuple[Path, bytes]] = []
    out: list[tuple[str, dict[str, Any]]] = []
    for f in inventory_files(path, SUFFIXES, KubernetesError, what):
        if f.name in _RENDER_FIRST:
            raise KubernetesError(f"{f}: {_RENDER_FIRST[f.name]}; point path at the rendered manifests")
        text, raw = read_text_input(f, what, KubernetesError)
        read.append((f, raw))
        found = False
        for line, doc in _documents(f, text):
            if doc is None:
                continue  # an empty document between two `---`, as helm template prints them
            found = True
            out.extend(_expand(doc, f"{f}:{line}"))
        if not found:
            raise KubernetesError(f"{f}: holds no Kubernetes object; an empty file is not an empty state "
                                  "(write `{apiVersion: v1, kind: List, items: []}` for none)")
    return out, digest_files(read).version


def _documents(f: Path, text: str) -> list[tuple[int, Any]]:
    try:
        if f.suffix == ".json":
            return [(1, jsonread.parse_json(text))] if text.strip() else []
        return yamlread.parse_yaml_documents(text)
    except yamlread.ParseError as e:
        raise KubernetesError(f"{f}:{e.line}: {e.message}" if e.line else f"{f}: {e.message}") from None


def _expand(doc: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """*doc* itself, or the items of a List (``kind: List`` or a typed ``FooList``)."""
    if not isinstance(doc, dict):
        raise KubernetesError(f"{where}: expected a Kubernetes object (a mapping), got {value_kind(doc)}")
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = doc["items"]
        if not isinstance(items, list):
            raise KubernetesError(f"{where}: field items: expected a list of objects, got {value_kind(items)}")
        item_kind = kind[:-4] if kind != "List" else None
        for i, item in enumerate(items):
            if isinstance(item, dict) and item_kind and "kind" not in item:  # a typed list's items omit it
                item = {"apiVersion": doc.get("apiVersion"), "kind": item_kind, **item}
            yield from _expand(item, f"{where}: items.{i}")
        return
    yield where, doc


def to_resource(obj: dict[str, Any], where: str, namespace: str | None,
                cluster_scoped: frozenset[str] = CLUSTER_SCOPED) -> Resource:
    """The resource of one object. *namespace* is given to namespaced kinds that name none (None: an
    object without one is cluster-scoped, as in an export, where the server always names it)."""
    api, kind = obj.get("apiVersion"), obj.get("kind")
    meta = obj.get("metadata")
    for field, v in (("apiVersion", api), ("kind", kind)):
        if not isinstance(v, str) or not v:
            raise KubernetesError(f"{where}: field {field}: every Kubernetes object needs one (text)")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise KubernetesError(f"{where}: {kind}: field metadata.name: needed to key the object "
                              "(generateName alone cannot be compared)")
    kk = key_kind(api, kind)
    ns = meta.get("namespace")
    if kk in cluster_scoped:
        ns = None
    elif ns is None:
        ns = namespace
    if ns is not None and not isinstance(ns, str):
        raise KubernetesError(f"{where}: {kind} {meta['name']}: field metadata.namespace: expected text")
    rest = {k: v for k, v in meta.items() if k not in ("name", "namespace")}
    spec = {k: v for k, v in obj.items() if k not in ("kind", "metadata")}
    if rest:
        spec["metadata"] = rest
    if kk == "Secret":
        spec = _secret_digests(spec)
    name = f"{ns}/{meta['name']}" if ns else meta["name"]
    try:
        return Resource(kk, name, spec)
    except ValueError as e:
        raise KubernetesError(f"{where}: {e}") from None


def _secret_digests(spec: dict[str, Any]) -> dict[str, Any]:
    """A Secret's spec with each value as ``sha256:`` of its bytes, and its last-applied copy dropped."""
    data = dict(spec.get("data") or {})
    for k, v in (spec.get("stringData") or {}).items():  # the server merges stringData into data
        data[k] = base64.b64encode(str(v).encode()).decode()
    out = {k: v for k, v in spec.items() if k != "stringData"}
    if data or "data" in spec:
        out["data"] = {k: "sha256:" + hashlib.sha256(_decoded(v)).hexdigest()[:16] for k, v in data.items()}
    meta = out.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict) and LAST_APPLIED in meta["annotations"]:
        notes = {k: v for k, v in meta["annotations"].items() if k != LAST_APPLIED}
        out["metadata"] = {**meta, "annotations": notes}
    return out


def _decoded(v: Any) -> bytes:
    try:
        return base64.b64decode(str(v), validate=True)
    except ValueError:
        return str(v).encode()  # not base64: digest the text as written, so it still shows as a change


def index_objects(objects: list[tuple[str, dict[str, Any]]], namespace: str | None,
                  cluster_scoped: frozenset[str]) -> list[Resource]:
    """The resources of *objects*; a key met twice is an error naming both places."""
    seen: dict[tuple[str, str], str] = {}
    out = []
    for where, obj in objects:
        r = to_resource(obj, where, namespace, cluster_scoped)
        if r.key in seen:
            raise KubernetesError(f"{where}: duplicate object {r.kind} {r.name} (first at {seen[r.key]})")
        seen[r.key] = where
        out.append(r)
    return out


class KubernetesSource:
    """Loads the manifests under one path on every call."""

    def __init__(self, path: Path, namespace: str = "default", cluster_scoped: frozenset[str] = frozenset()) -> None:
        """*cluster_scoped* adds kinds (custom resources) to the built-in cluster-scoped ones."""
        self.path, self.namespace, self.cluster_scoped = path, namespace, CLUSTER_SCOPED | cluster_scoped
        self.name = f"kubernetes:{path}"

    def load(self) -> DesiredState:
        objects, version = read_objects(self.path, "Kubernetes manifests")
        resources = index_objects(objects, self.namespace, self.cluster_scoped)
        return DesiredState.of(resources, source=self.name, version=version, loaded_at=time.time())


def build(cfg: KubernetesDesired, base: Path) -> KubernetesSource:
    """The source a loop config's ``desired: {type: kubernetes, ...}`` describes; paths relative to *base*."""
    p = Path(os.path.expanduser(cfg.path))
    return KubernetesSource(p if p.is_absolute() else base / p, cfg.namespace, frozenset(cfg.cluster_scoped))
