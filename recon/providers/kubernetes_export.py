"""Observe a Kubernetes cluster through an export: ``kubectl get ... -o yaml`` (or ``-o json``) output.

``provider: {type: kubernetes-export, path: FILE, owner: {marker: M, value: V}}`` reads the export
(one file or a folder, Lists and multi-document YAML) with the bounded readers, and keys each
object as the ``kubernetes`` desired source does (:mod:`recon.sources.kubernetes`). Its normaliser
(:mod:`recon.providers.kubernetes_normalize`) ignores what the API server sets.

Ownership comes from the marker the tool that applies the manifests writes, chosen by ``marker``:

- ``argocd``: annotation ``argocd.argoproj.io/tracking-id`` (``APP:GROUP/KIND:NS/NAME``, Argo CD's
  default tracking; an id naming another object is a copy, not owned), or with ``tracking: label``
  the label ``app.kubernetes.io/instance``;
- ``flux``: labels ``kustomize.toolkit.fluxcd.io/namespace`` and ``.../name``, the value ``NS/NAME``
  of the Kustomization; ``kapp``: label ``kapp.k14s.io/app``; ``applyset``: label
  ``applyset.kubernetes.io/part-of``; ``label``: any label ``key`` (``kubectl apply --prune -l``).

An object's owner is the marker's value; the loop's ``owner_id`` is ``value``, so an object without
the chosen marker, or with another value, is never a delete candidate; nor is one with
``ownerReferences`` (made by a controller, removed by the garbage collector, as Argo CD's prune
leaves it too). ``owner`` is required: an
export holds the whole cluster, and a prune without ownership would delete all of it. The export is
a file, so the observation is complete or an error: one that cannot be read or parsed raises
:class:`ProviderError` naming ``file:line``. This module reads a file; it never talks to a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recon.core.errors import ReconError
from recon.core.model import Observation, Resource
from recon.providers.base import ProviderError
from recon.providers.kubernetes_normalize import kubernetes_normalizer
from recon.providers.names import PlainText
from recon.providers.settings import ProviderSettings, parse_settings
from recon.sources.kubernetes import CLUSTER_SCOPED, index_objects, key_kind, read_objects

TRACKING_ID = "argocd.argoproj.io/tracking-id"
# marker -> (labels whose values make the owner, annotations) that tool writes on what it applies.
MARKERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "argocd": ((), (TRACKING_ID,)),
    "argocd-label": (("app.kubernetes.io/instance",), ()),
    "flux": (("kustomize.toolkit.fluxcd.io/namespace", "kustomize.toolkit.fluxcd.io/name"), ()),
    "kapp": (("kapp.k14s.io/app", "kapp.k14s.io/association"), ()),
    "applyset": (("applyset.kubernetes.io/part-of",), ()),
}


class OwnerMarker(BaseModel):
    """``owner:`` of the kubernetes-export provider: which tool's marker says an object is the loop's."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    marker: Literal["argocd", "flux", "kapp", "applyset", "label"]
    value: str = Field(min_length=1, description="the marker's value on the loop's objects: the Argo CD application, "
                                                 "the Flux Kustomization as NS/NAME, the kapp app id, the ApplySet id, "
                                                 "or the label's value")
    tracking: Literal["annotation", "label"] = Field("annotation", description="argocd only: Argo CD's tracking method")
    key: str | None = Field(None, description="label only: the label key, as in `kubectl apply --prune -l KEY=VALUE`")

    @model_validator(mode="after")
    def _key_for_label(self) -> OwnerMarker:
        if (self.marker == "label") != (self.key is not None):
            raise ValueError("key is given with marker: label, and only then")
        return self

    def keys(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (labels, annotations) this marker is made of; they are compared as the owner, not the spec."""
        if self.marker == "label":
            assert self.key is not None
            return (self.key,), ()
        return MARKERS["argocd-label" if self.marker == "argocd" and self.tracking == "label" else self.marker]

    def owner_of(self, r: Resource) -> str | None:
        """The owner the marker gives *r*, or None when it carries none."""
        meta = r.spec.get("metadata") or {}
        if meta.get("ownerReferences"):
            # Made by a controller (a Deployment's ReplicaSets and Pods copy its labels): its owner
            # object is what the tool applied, and the garbage collector, not a prune, removes it.
            return None
        labels, notes = meta.get("labels") or {}, meta.get("annotations") or {}
        if self.marker == "argocd" and self.tracking == "annotation":
            return _argocd_app(notes.get(TRACKING_ID), r)
        if self.marker == "flux":
            ns, name = (labels.get(k) for k in MARKERS["flux"][0])
            return f"{ns}/{name}" if ns and name else None
        value = labels.get(self.keys()[0][0])
        return str(value) if value else None


def _argocd_app(tracking_id: Any, r: Resource) -> str | None:
    """The application of an Argo CD tracking id, if the id names *r* itself (`APP:GROUP/KIND:NS/NAME`)."""
    if not isinstance(tracking_id, str) or tracking_id.count(":") != 2:
        return None
    app, gk, nsname = tracking_id.split(":")
    group, _, kind = gk.partition("/")
    ns, _, name = nsname.partition("/")
    if key_kind(f"{group}/v" if group else "v1", kind) != r.kind:
        return None
    return app if (f"{ns}/{name}" if ns else name) == r.name else None


class KubernetesExportSettings(ProviderSettings):
    path: PlainText = Field(min_length=1, description="export file or folder (kubectl get -o yaml|json), "
                                                      "relative to the loop config")
    owner: OwnerMarker = Field(description="the owner marker: {marker: argocd|flux|kapp|applyset|label, value: ...}")


class KubernetesExportObserver:
    """Lists the objects of an export, owners read from the chosen marker."""

    def __init__(self, settings: KubernetesExportSettings, path: Path) -> None:
        self.settings, self.path = settings, path
        self.name = f"kubernetes-export:{path}"
        self.owner_id = settings.owner.value
        self.normalizer = kubernetes_normalizer(*settings.owner.keys())

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> KubernetesExportObserver:
        s = parse_settings(KubernetesExportSettings, settings, "kubernetes-export")
        p = Path(s.path).expanduser()
        return cls(s, p if p.is_absolute() else base_dir / p)

    def observe(self) -> Observation:
        try:
            objects, _version = read_objects(self.path, "Kubernetes export")
            resources = index_objects(objects, None, CLUSTER_SCOPED)
        except ReconError as e:
            raise ProviderError(f"provider kubernetes-export: {e}") from None
        owner = self.settings.owner
        return Observation.of((r.with_owner(owner.owner_of(r)) for r in resources), source=self.name,
                              observed_at=time.time())
