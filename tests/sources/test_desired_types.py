"""The desired types in a loop config: their schema, their errors, and the bounded readers under them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.providers.helpers import recon
from tests.sources.helpers import assert_plan_fails_naming
from tests.test_bad_inputs import bomb

K8S_LOOP = ("provider: {type: kubernetes-export, path: c.yaml, owner: {marker: kapp, value: '1'}}\n"
            "desired: {type: kubernetes, path: m.yaml}\n")
EMPTY_LIST = "apiVersion: v1\nkind: List\nitems: []\n"
OCTODNS_LOOP = "provider: {type: files, path: tree}\ndesired: {type: octodns, config: o.yaml, zone: example.test}\n"


def test_recon_schema_loop_shows_the_desired_types_and_the_export_provider() -> None:
    schema = json.loads(recon("schema", "loop", cwd=Path.cwd()).stdout)
    defs = schema["$defs"]
    by_type = {d["properties"]["type"].get("const", d["properties"]["type"].get("default")): d
               for d in defs.values() if "type" in d.get("properties", {})}
    assert set(by_type["octodns"]["properties"]) == {"type", "config", "zone", "workdir"}
    assert {"type", "path", "namespace", "cluster_scoped"} == set(by_type["kubernetes"]["properties"])
    assert "path" in by_type["inventory"]["properties"]
    desired = json.dumps(schema["properties"]["desired"])
    assert "OctodnsDesired" in desired and "KubernetesDesired" in desired
    assert "kubernetes-export" in defs["ProviderConfig"]["properties"]["type"]["description"]


@pytest.mark.parametrize(("desired", "message"), [
    ("{type: helm, path: x}", "LOOP.yaml:3: field desired: unknown type 'helm'; known: inventory, "),
    ("{type: octodns, zone: a}", "LOOP.yaml:3: field desired.config: missing: octoDNS config file"),
    ("{type: octodns, config: c, zone: a, path: x}",
     "LOOP.yaml:3: field desired.path: unknown field; known: type, config, zone, workdir"),
    ("{type: kubernetes, path: m, namespace: Bad_NS}", "LOOP.yaml:3: field desired.namespace: not a Kubernetes namespace"),
    ("{path: x, zone: a}", "LOOP.yaml:3: field desired.zone: unknown field; known: type, path"),
])
def test_a_bad_desired_mapping_is_named_as_written(tmp_path: Path, desired: str, message: str) -> None:
    """pydantic's union tags (desired.octodns.config) never reach the message: the path is the file's."""
    (tmp_path / "LOOP.yaml").write_text(f"provider: {{type: files, path: tree}}\n\ndesired: {desired}\n")
    run = recon("plan", tmp_path / "LOOP.yaml", cwd=tmp_path, env={"COLUMNS": "1000"})
    assert run.code == 1
    assert message in run.stderr, run.stderr
    if "unknown type" in message:  # every registered type is named, these two among them
        assert "octodns" in run.stderr and "kubernetes" in run.stderr


@pytest.mark.parametrize(("loop", "files", "words", "env"), [
    (K8S_LOOP, {"m.yaml": "fifo", "c.yaml": EMPTY_LIST}, ("m.yaml", "FIFO"), {}),
    (K8S_LOOP, {"m.yaml": EMPTY_LIST, "c.yaml": "fifo"}, ("c.yaml", "FIFO", "provider kubernetes-export"), {}),
    (K8S_LOOP, {"m.yaml": bomb(), "c.yaml": EMPTY_LIST}, ("m.yaml:", "aliases expand"), {}),
    (K8S_LOOP, {"m.yaml": EMPTY_LIST + "#" * 2000, "c.yaml": EMPTY_LIST}, ("m.yaml", "over the input limit"),
     {"RECON_MAX_INPUT_BYTES": "1000"}),
    (OCTODNS_LOOP, {"o.yaml": "fifo"}, ("o.yaml", "FIFO", "octoDNS config"), {}),
], ids=["fifo-manifest", "fifo-export", "alias-bomb-manifest", "oversize-manifest", "fifo-octodns-config"])
def test_every_input_goes_through_the_bounded_readers(tmp_path: Path, loop: str, files: dict[str, str],
                                                       words: tuple[str, ...], env: dict[str, str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "LOOP.yaml").write_text(loop)
    for name, text in files.items():
        if text == "fifo":
            os.mkfifo(tmp_path / name)
        else:
            (tmp_path / name).write_text(text)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert_plan_fails_naming(tmp_path, tmp_path / "LOOP.yaml", *words)
