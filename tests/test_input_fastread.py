"""The fast path (yaml-rs, orjson) gives exactly the strict readers' data, or leaves the text to them (issue 12 item 4).

Each property says: whatever the text, the fast path either declines (UNPROVED) or returns what
the strict reader returns, same types, same key order; where the strict reader refuses the text,
the fast path declines, so the error and its line are the strict reader's. The deterministic tests
show the fast path is actually taken on ordinary inventories, so the properties are not vacuous.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recon.core.model import Resource
from recon.sources import fastread, jsonread, yamlread
from recon.sources.document import parse_document
from recon.sources.dump import _Dumper
from recon.sources.inventory import InventoryError
from recon.sources.limits import MAX_DEPTH

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def strict(parse: Any, text: str) -> tuple[str, Any]:
    """("ok", repr of the data) or ("error", line and message): repr keeps types and key order."""
    try:
        return "ok", repr(parse(text))
    except yamlread.ParseError as e:
        return "error", (e.line, e.message)


def agrees(fast: Any, parse: Any, text: str) -> bool:
    """The fast result is UNPROVED or the strict one; a text the strict reader refuses is never taken."""
    got = fast(text)
    kind, want = strict(parse, text)
    if got is fastread.UNPROVED:
        return True
    assert kind == "ok", f"fast path took a text the strict reader refuses: {text!r} -> {want}"
    assert repr(got) == want, (text, repr(got), want)
    return False


# Plain scalars where YAML 1.1, YAML 1.2 and the strict reader part ways, and their neighbours.
TRICKY = ["0127", "0o17", "0x1F", "0X1f", "0b101", "00", "0", "-0", "+0", "-0.0", "0.0", "-0.", "0.", "1.", "1.e5",
          "1.0", "1.10", "1.00", "1.5", "+5", "-5", "+.5", ".5", "-.5", "1e3", "1E3", "1e+3", "1.0e3", "1.00e3",
          "1e400", "-1e400", ".inf", "-.inf", "+.inf", ".Inf", ".NaN", ".nan", "1_000", "1_0.5", "12:30", "1:2:3",
          "190:20:30", "2024-01-01", "2024-01-01T10:00:00Z", "yes", "Yes", "YES", "no", "No", "on", "On", "off",
          "OFF", "y", "Y", "n", "N", "true", "True", "TRUE", "tRue", "false", "FALSE", "null", "Null", "NULL",
          "nUll", "~", "=", "<<", "10.0.0.1", "1.2.3", "2001:db8::1", "h1.example.test.", "-", "-a", "a-0",
          "0day", "123456789012345678901234567890", "-123456789012345678901234567890", "9" * 400, "1" + "0" * 400 + ".5",
          "a b", "a: b", "a #b", "#x", "x#y", "'q'", "it's", "0:1", "1.5.0", "0.10", "v1.10", "web-0", "-0x1"]
CONTEXTS = ["a: {}\n", "{}: x\n", "- {}\n", "a: [{}, x]\n", "a: {{k: {}}}\n", "{}\n", "a:\n  - b: {}\n    c: 1\n",
            "a: '{}'\n", 'a: "{}"\n']


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("token", TRICKY)
def test_tricky_scalars_read_alike_in_every_position(token: str, context: str) -> None:
    text = context.format(token.replace("'", "''") if context.startswith("a: '") else token)
    agrees(fastread.fast_yaml, yamlread.parse_yaml, text)
    assert strict(fastread.parse_yaml, text) == strict(yamlread.parse_yaml, text)


@FAST
@given(st.text(alphabet="0123456789+-._eExXoObB:infatrueNl~ #'\"[]{},", min_size=1, max_size=12),
       st.sampled_from(CONTEXTS[:6]))
def test_number_like_tokens_read_alike(token: str, context: str) -> None:
    agrees(fastread.fast_yaml, yamlread.parse_yaml, context.format(token))


@FAST
@given(st.text(alphabet="ab1 :-[]{},#'\"\n", max_size=30))
def test_any_arrangement_of_structure_reads_alike(text: str) -> None:
    """Short texts of YAML's structural characters: where the grammars part (YAML 1.2 takes [:0],
    PyYAML refuses it), the fast path must decline."""
    agrees(fastread.fast_yaml, yamlread.parse_yaml, text)


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
           | st.sampled_from(TRICKY))
KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8) | st.sampled_from(TRICKY)
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=20)


@FAST
@given(DATA, st.sampled_from(["block", "flow", "recon", "json", "width"]))
def test_written_documents_read_alike(data: Any, style: str) -> None:
    """Documents as tools write them: PyYAML block and flow, recon's dumper, JSON (YAML reads it), folded lines."""
    if style == "recon":
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    elif style == "json":
        text = json.dumps(data, ensure_ascii=False)
    else:
        text = yaml.safe_dump(data, default_flow_style=style == "flow", sort_keys=False, allow_unicode=True,
                              width=20 if style == "width" else 80)
    agrees(fastread.fast_yaml, yamlread.parse_yaml, text)


def inventory(n: int) -> str:
    rows = [{"kind": "A", "name": f"h{i}", "spec": {"ttl": 300, "values": [f"10.0.{i // 256}.{i % 256}"],
                                                    "weight": 0.5, "note": "it's 12:30", "on": True}}
            for i in range(n)]
    return yaml.dump({"count": n, "resources": rows}, Dumper=_Dumper, sort_keys=False)


@pytest.mark.parametrize("style", ["block", "flow", "json"])
def test_ordinary_inventories_take_the_fast_path(style: str) -> None:
    data = yamlread.parse_yaml(inventory(50))
    text = {"block": inventory(50), "flow": yaml.safe_dump(data, default_flow_style=True, width=60),
            "json": json.dumps(data, indent=2)}[style]
    got = fastread.fast_yaml(text)
    assert got is not fastread.UNPROVED and repr(got) == repr(yamlread.parse_yaml(text))
    shown = json.dumps(data, indent=2)
    assert repr(fastread.fast_json(shown)) == repr(jsonread.parse_json(shown))


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n", "a: &x 1\nb: *x\n", "a: !!str 5\n", "a: |\n  x\n", "a: >\n  x\n", "%YAML 1.2\n---\na: 1\n",
    "a: 1\n---\nb: 2\n", "a: \"x\\ty\"\n", "a:\tb\n", "a: 1\r\nb: 2\r\n", "<<: {a: 1}\n", "? a\n: b\n",
    "\ufeffa: 1\n", "a: \x85\n", "a: \x01\n", "1: x\n", "null: x\n", "a: [" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
])
def test_constructs_the_readers_may_differ_on_go_to_the_strict_reader(text: str) -> None:
    assert fastread.fast_yaml(text) is fastread.UNPROVED
    assert strict(fastread.parse_yaml, text) == strict(yamlread.parse_yaml, text)


def test_deepest_allowed_nesting_is_the_same_on_both_paths() -> None:
    for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1):
        yaml_text, json_text = "[" * depth + "]" * depth + "\n", "[" * depth + "]" * depth
        assert strict(fastread.parse_yaml, yaml_text) == strict(yamlread.parse_yaml, yaml_text)
        assert strict(fastread.parse_json, json_text) == strict(jsonread.parse_json, json_text)
    deepest = fastread.fast_json("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert deepest is not fastread.UNPROVED and repr(deepest) == "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert fastread.fast_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) is fastread.UNPROVED


JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=10) | st.sampled_from([":", "a:b", "\u003a", "\U0001F600", ""]))
JSON_DATA = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=6) | st.sampled_from(["a", ":", "k:v"]), inner, max_size=4),
                         max_leaves=20)


@FAST
@given(JSON_DATA, st.booleans(), st.sampled_from([None, 1, "\t"]))
def test_json_reads_alike(data: Any, ascii_only: bool, indent: Any) -> None:
    agrees(fastread.fast_json, jsonread.parse_json, json.dumps(data, ensure_ascii=ascii_only, indent=indent))


@FAST
@given(st.dictionaries(st.sampled_from(["a", "b", "c:d", ":"]), JSON_SCALARS, min_size=1, max_size=3),
       st.sampled_from(["a", "b", "c:d", ":"]), JSON_SCALARS, st.booleans())
def test_json_duplicate_keys_go_to_the_strict_reader(data: dict[str, Any], key: str, value: Any,
                                                      escape_colons: bool) -> None:
    """A repeated key, anywhere, even with colons in its value or escaped ones elsewhere, is never taken."""
    body = json.dumps(data)[:-1] + f", {json.dumps(key)}: {json.dumps(value)}}}"
    if escape_colons:
        body = body.replace(':"', ':"\\u003a', 1)
    assume(key in data)
    assert fastread.fast_json(body) is fastread.UNPROVED
    assert strict(fastread.parse_json, body) == strict(jsonread.parse_json, body)


@pytest.mark.parametrize("text", ['{"a": 123456789012345678901234567890}', '{"a": NaN}', '{"a": 1e400}',
                                  '{"a": "\\ud800"}', '{"a": 1, "a": 1}', '[{"a": 1}, {"b": 2, "b": 3}]'])
def test_json_the_fast_path_cannot_hold(text: str) -> None:
    assert fastread.fast_json(text) is fastread.UNPROVED
    assert strict(fastread.parse_json, text) == strict(jsonread.parse_json, text)


def test_errors_through_the_document_reader_are_the_strict_readers() -> None:
    for name, text in (("d.yaml", "resources:\n  - {kind: A, name: a}\n  - {kind: A, name: 0127, spec: {}}\n"),
                       ("d.yaml", "resources: []\nresources: []\n"),
                       ("d.json", '{"resources": [],\n "resources": []}')):
        with pytest.raises(InventoryError) as fast_err:
            parse_document(text, name, InventoryError)
        with pytest.raises(yamlread.ParseError) as strict_err:
            (jsonread.parse_json if name.endswith(".json") else yamlread.parse_yaml)(text)
        assert str(fast_err.value) == f"{name}:{strict_err.value.line}: {strict_err.value.message}"


def test_resources_built_from_either_path_are_equal() -> None:
    data = fastread.parse_yaml(inventory(5))
    assert [Resource(r["kind"], r["name"], r["spec"]) for r in data["resources"]] == \
        [Resource(r["kind"], r["name"], r["spec"]) for r in yamlread.parse_yaml(inventory(5))["resources"]]
    assert not any(isinstance(v, float) and not math.isfinite(v) for r in data["resources"] for v in r["spec"].values())


def test_a_process_pinned_to_one_core_parses_in_line(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `taskset -c 0` the machine still has two CPUs, but a worker would share the one core."""
    from recon.sources import parallel

    big = tmp_path / "big.yaml"
    big.write_text("resources: []\n" + "#" * parallel.PARALLEL_MIN_BYTES + "\n")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert parallel.worth_forking([big]) == []
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert parallel.worth_forking([big]) == ([big] if "fork" in parallel.mp.get_all_start_methods() else [])
