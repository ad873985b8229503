"""What the Kubernetes API server adds to an object, so that a plan against an export ignores it.

Applied to both sides of a comparison, the normaliser removes what the server or its controllers
set (:data:`SERVER_SET`, the annotations in :data:`SERVER_ANNOTATIONS`, ``status``, the owner
markers, compared as the resource's owner instead) and fills in the defaults the API documents
for the fields a manifest may leave out (:data:`DEFAULTS` and :func:`_pod_spec`), so an object
applied from a manifest compares equal to its manifest. Only what is listed here is forgiven: any
other field the server holds and the manifest lacks shows as a change, as it should.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from recon.core.model import freeze, thaw
from recon.core.normalize import Normalizer, SpecFn

# metadata fields the server owns (ObjectMeta: "Populated by the system. Read-only.").
SERVER_SET = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
              "deletionTimestamp", "deletionGracePeriodSeconds")
SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")
SERVER_LABELS = ("kubernetes.io/metadata.name",)  # set on every Namespace since 1.21

_ROLLING = {"type": "RollingUpdate"}
# Field defaults per kind, from the API reference (`kubectl explain KIND.spec`), at the top of spec.
DEFAULTS: dict[str, dict[str, Any]] = {
    "Deployment.apps": {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                        "strategy": {**_ROLLING, "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}},
    "StatefulSet.apps": {"replicas": 1, "revisionHistoryLimit": 10, "podManagementPolicy": "OrderedReady",
                         "updateStrategy": {**_ROLLING, "rollingUpdate": {"partition": 0}},
                         "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}},
    "DaemonSet.apps": {"revisionHistoryLimit": 10,
                       "updateStrategy": {**_ROLLING, "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
    "ReplicaSet.apps": {"replicas": 1},
    "Service": {"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack"},
    "Namespace": {"finalizers": ["kubernetes"]},
}
# Service fields the server assigns from its address ranges: never in a manifest that means to keep them.
SERVICE_ASSIGNED = ("clusterIP", "clusterIPs", "ipFamilies")
POD_DEFAULTS = {"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "schedulerName": "default-scheduler", "securityContext": {}}
CONTAINER_DEFAULTS = {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                      "resources": {}}
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
# Where each workload keeps its pod template's spec.
POD_SPEC_AT: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",), "Deployment.apps": ("spec", "template", "spec"), "StatefulSet.apps": ("spec", "template", "spec"),
    "DaemonSet.apps": ("spec", "template", "spec"), "ReplicaSet.apps": ("spec", "template", "spec"),
    "Job.batch": ("spec", "template", "spec"), "CronJob.batch": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _fill(target: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    """Set each default *target* lacks, and fill nested defaults into mappings it has (`strategy: {}`)."""
    for k, v in defaults.items():
        if target.get(k) is None:
            target[k] = thaw(freeze(v))
        elif isinstance(v, Mapping) and isinstance(target[k], dict):
            if k.endswith("Strategy") or k == "strategy":
                if target[k].get("type", "RollingUpdate") != "RollingUpdate":
                    continue  # Recreate / OnDelete: no rollingUpdate block
            _fill(target[k], v)


def _image_pull_policy(image: Any) -> str:
    """The documented default: Always for `:latest` or no tag (and no digest), IfNotPresent otherwise."""
    ref = str(image or "")
    if "@" in ref:
        return "IfNotPresent"
    tag = ref.rsplit("/", 1)[-1].partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for field in ("initContainers", "containers"):
        for c in pod.get(field) or ():
            if isinstance(c, dict):
                yield c


def _pod_spec(pod: dict[str, Any]) -> None:
    _fill(pod, POD_DEFAULTS)
    for c in _containers(pod):
        _fill(c, CONTAINER_DEFAULTS)
        c.setdefault("imagePullPolicy", _image_pull_policy(c.get("image")))
        for port in c.get("ports") or ():
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            p = c.get(probe)
            if isinstance(p, dict):
                _fill(p, PROBE_DEFAULTS)
                if isinstance(p.get("httpGet"), dict):
                    p["httpGet"].setdefault("scheme", "HTTP")


def _at(spec: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = spec
    for k in path:
        node = node.get(k) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _metadata(meta: Any, drop_labels: tuple[str, ...], drop_annotations: tuple[str, ...]) -> Any:
    if not isinstance(meta, dict):
        return meta
    out = {k: v for k, v in meta.items() if k not in SERVER_SET}
    for field, dropped in (("labels", SERVER_LABELS + drop_labels), ("annotations", SERVER_ANNOTATIONS + drop_annotations)):
        if isinstance(out.get(field), dict):
            out[field] = {k: v for k, v in out[field].items() if k not in dropped}
        if not out.get(field):
            out.pop(field, None)  # an empty or null map is no map
    return out


def kubernetes_hook(kind: str, drop_labels: tuple[str, ...] = (), drop_annotations: tuple[str, ...] = ()) -> SpecFn:
    """The normaliser hook for objects of *kind*; *drop_labels* and *drop_annotations* are the owner markers."""

    def hook(frozen: Mapping[str, Any]) -> Mapping[str, Any]:
        spec = thaw(frozen)
        spec.pop("status", None)
        meta = _metadata(spec.pop("metadata", None), drop_labels, drop_annotations)
        if meta:
            spec["metadata"] = meta
        body = spec.get("spec")
        if isinstance(body, dict):
            _fill(body, DEFAULTS.get(kind, {}))
            if kind == "Service":
                for k in SERVICE_ASSIGNED:
                    body.pop(k, None)
                for port in body.get("ports") or ():
                    if isinstance(port, dict):
                        port.setdefault("protocol", "TCP")
                        port.setdefault("targetPort", port.get("port"))
        if kind == "Secret":
            spec.setdefault("type", "Opaque")
        pod_at = POD_SPEC_AT.get(kind)
        pod = _at(spec, pod_at) if pod_at else None
        if pod is not None:
            _pod_spec(pod)
            template = _at(spec, pod_at[:-1])
            if template is not None and isinstance(template.get("metadata"), dict):
                template["metadata"].pop("creationTimestamp", None)  # `null` in every kubectl --dry-run output
                if not template["metadata"]:
                    template.pop("metadata")
        return freeze(spec)

    return hook


class _EveryKind(Mapping[str, SpecFn]):
    """Hooks for any kind, each made once: custom resources have kinds no table can list."""

    def __init__(self, make: Callable[[str], SpecFn]) -> None:
        self.make = make
        self.made: dict[str, SpecFn] = {}

    def __getitem__(self, kind: str) -> SpecFn:
        if kind not in self.made:
            self.made[kind] = self.make(kind)
        return self.made[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self.made)

    def __len__(self) -> int:
        return len(self.made)


def kubernetes_normalizer(drop_labels: tuple[str, ...] = (), drop_annotations: tuple[str, ...] = ()) -> Normalizer:
    """The normaliser of objects read from an export, ignoring the given owner-marker keys too."""
    return Normalizer(unordered=frozenset(),
                      hooks=_EveryKind(lambda kind: kubernetes_hook(kind, drop_labels, drop_annotations)))
