"""Parsing inputs (inventories, loop configs, scenarios): YAML 1.1 scalars, non-finite numbers, alias
bombs, deep nesting and error lines (issue 9, items 3, 5, 6, 8 and 9).

Every bad input runs through the command line as a user would and must fail the same way: exit 1,
one message naming the file (and the line where one applies), no traceback, nothing written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recon.sources import InventoryError, dump_inventory, load_inventory, parse_inventory
from recon.sources.jsonread import parse_json
from recon.sources.limits import MAX_ALIAS_NODES, MAX_DEPTH
from recon.sources.yamlread import ParseError, lines_for, parse_yaml, scalar

ROOT = Path(__file__).resolve().parents[1]


def recon(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "recon", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=9)


def laughs(levels: int = 9) -> str:
    """A "billion laughs": each level aliases the previous one ten times (10**levels nodes)."""
    out = ["l0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]"]
    out += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(out) + "\n"


def item(name: str = "a", spec: str = "{}") -> str:
    return f"resources:\n  - kind: A\n    name: {name}\n    spec: {spec}\n"


# (file name, text, what the message must contain after "FILE:")
INVENTORIES = [
    ("d.yaml", item("0127"), ["3: field resources.0.name: unquoted 0127 is 87 in YAML 1.1", "quote it ('0127')"]),
    ("d.yaml", item("12:30"), ["3: field resources.0.name: unquoted 12:30", "quote it"]),
    ("d.yaml", item("1.10"), ["3: field resources.0.name: unquoted 1.10 reads as the number 1.1"]),
    ("d.yaml", item("0x1F"), ["3: field resources.0.name: unquoted 0x1F reads as 31"]),
    ("d.yaml", item("1_000"), ["3: field resources.0.name: unquoted 1_000"]),
    ("d.yaml", item("on"), ["3: field resources.0.name: unquoted on is true in YAML 1.1"]),
    ("d.yaml", item("2024-01-01"), ["3: field resources.0.name: unquoted 2024-01-01 is a date"]),
    ("d.yaml", item(spec="{ttl: 0127}"), ["4: field resources.0.spec.ttl: unquoted 0127"]),
    ("d.yaml", item(spec="{version: 1.10}"), ["4: field resources.0.spec.version: unquoted 1.10"]),
    ("d.yaml", item(spec="{enabled: yes}"), ["4: field resources.0.spec.enabled: unquoted yes"]),
    ("d.yaml", item() + "    owner: 12:30\n", ["5: field resources.0.owner: unquoted 12:30"]),
    ("d.yaml", item(spec="{w: .nan}"), ["4: field resources.0.spec.w: unquoted .nan is not a finite number"]),
    ("d.yaml", item(spec="{w: -.inf}"), ["4: field resources.0.spec.w: unquoted -.inf is not a finite number"]),
    ("d.yaml", item(spec="{w: 1e400}"), ["4: field resources.0.spec.w: unquoted 1e400 is out of range"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": NaN}]}', ["2: NaN is not a finite number"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": "a",\n  "spec": {"w": Infinity}}]}',
     ["3: Infinity is not a finite number"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": "a", "spec": {"w": -Infinity}}]}', ["2: -Infinity"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": "a", "spec": {"w": 1e400}}]}', ["2: 1e400 is out of range"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": 1e3}]}', ["2: field resources.0.name", "quote it"]),
    ("d.json", '{"resources": [\n {"kind": "A", "name": "a",\n  "name": "b"}]}',
     ["3: malformed JSON: duplicate key 'name' (first at line 2)"]),
    ("d.yaml", laughs() + item(), ["4: field l3.", f"aliases expand to more than {MAX_ALIAS_NODES} nodes"]),
    ("d.yaml", "resources:\n  - {kind: A, name: a, spec: {x: " + "[" * 1000 + "]" * 1000 + "}}\n",
     [f"2: nested deeper than {MAX_DEPTH} levels"]),
    ("d.json", '{"resources": [{"kind": "A", "name": "a", "spec": {"x": ' + "[" * 600 + "]" * 600 + "}}]}",
     [f"1: nested deeper than {MAX_DEPTH} levels"]),
    ("d.yaml", "resources:\n  - &r {kind: A, name: a, spec: {}}\n  - *r\n", ["3: duplicate resource A/a (first at resources[0], line 2)"]),
]


def check_refused(r: subprocess.CompletedProcess[str], name: str, wanted: list[str]) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout[-500:], r.stderr[-500:])
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and name in lines[0], lines
    for w in wanted:
        assert f"{name}:{w}" in lines[0] or w in lines[0], (w, lines[0])


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("name", "text", "wanted"), INVENTORIES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(INVENTORIES)])
def test_a_bad_inventory_is_one_error_naming_file_and_line(tmp_path: Path, name: str, text: str,
                                                           wanted: list[str]) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "o.yaml").write_text("resources: []\n")
    before = sorted(tmp_path.rglob("*"))
    r = recon("plan", "--desired", name, "--observed", "o.yaml", cwd=tmp_path)
    check_refused(r, name, [f"{name}:{wanted[0]}"] + wanted[1:])
    assert sorted(tmp_path.rglob("*")) == before


LOOP = "provider: {type: snapshot, path: o.yaml}\ndesired: {path: o.yaml}\n"
LOOPS = [
    (LOOP + "approval_ttl: 1_000\n", ["3: field approval_ttl: unquoted 1_000"]),
    (LOOP + "guards: {max_deletes: {max: 0127}}\n", ["3: field guards.max_deletes.max: unquoted 0127"]),
    (LOOP + laughs(), ["6: field l3.", "aliases expand"]),
    (LOOP + "x: " + "[" * 2000 + "]" * 2000 + "\n", [f"3: nested deeper than {MAX_DEPTH} levels"]),
    (LOOP + "interval: .inf\n", ["3: field interval: unquoted .inf is not a finite number"]),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("text", "wanted"), LOOPS, ids=[str(i) for i in range(len(LOOPS))])
def test_a_bad_loop_config_is_one_error_naming_file_and_line(tmp_path: Path, text: str, wanted: list[str]) -> None:
    (tmp_path / "LOOP.yaml").write_text(text)
    (tmp_path / "o.yaml").write_text("resources: []\n")
    before = sorted(tmp_path.rglob("*"))
    check_refused(recon("plan", "LOOP.yaml", cwd=tmp_path), "LOOP.yaml", [f"LOOP.yaml:{wanted[0]}"] + wanted[1:])
    assert sorted(tmp_path.rglob("*")) == before


SCENARIO = "name: s\nduration: 600\n"
SCENARIOS = [
    (SCENARIO + "world: {resources: 0127}\n", ["3: field world.resources: unquoted 0127 is 87 in YAML 1.1"]),
    (SCENARIO + "loop: {name: x, period: 1_0}\n", ["3: field loop.period: unquoted 1_0"]),
    (SCENARIO + laughs(), ["6: field l3.", "aliases expand"]),
    (SCENARIO + "x: " + "{a: " * 1500 + "1" + "}" * 1500 + "\n", [f"3: nested deeper than {MAX_DEPTH} levels"]),
    (SCENARIO + "drift: {edit_rate: .nan}\n", ["3: field drift.edit_rate: unquoted .nan"]),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("text", "wanted"), SCENARIOS, ids=[str(i) for i in range(len(SCENARIOS))])
def test_a_bad_scenario_is_one_error_naming_file_and_line(tmp_path: Path, text: str, wanted: list[str]) -> None:
    (tmp_path / "s.yaml").write_text(text)
    r = recon("simulate", "s.yaml", "--out", "out", "--no-plots", cwd=tmp_path)
    check_refused(r, "s.yaml", [f"s.yaml:{wanted[0]}"] + wanted[1:])
    assert not (tmp_path / "out").exists()


def test_core_schema_scalars_and_keys_as_written() -> None:
    data = parse_yaml("a: 300\nb: -2\nc: 0.5\nd: 1.0\ne: 1e-9\nf: true\ng: ~\nh: null\ni: 10.0.0.1\n"
                      "j: '0127'\nk: y\n0127: key\n1.10: key\nyes: key\n~: key\n")
    assert data == {"a": 300, "b": -2, "c": 0.5, "d": 1.0, "e": 1e-9, "f": True, "g": None, "h": None,
                    "i": "10.0.0.1", "j": "0127", "k": "y", "0127": "key", "1.10": "key", "yes": "key", "~": "key"}
    for text in ("0o17", "+5", ".5", "1.", "0b101", "12:30:00", "1_0", "Off", "2001-12-14t21:59:43.10-05:00"):
        with pytest.raises(ValueError, match=re.escape(f"quote it ('{text}')")):
            scalar(text)


def test_a_name_written_as_a_plain_integer_keeps_its_text_and_a_float_must_be_quoted() -> None:
    assert [r.name for r in parse_inventory(item("42"), "d.yaml")] == ["42"]
    with pytest.raises(InventoryError, match=r"d\.yaml:3: field resources\.0\.name: .*quote it"):
        parse_inventory(item("1.5"), "d.yaml")


def test_strings_that_read_as_numbers_in_yaml_1_2_are_quoted_when_dumped(tmp_path: Path) -> None:
    from recon.core.model import Resource, freeze

    names = ["1e3", "0o17", "0127", "yes", "1.10", "12:30", "null", "-1", ".5", "x"]
    resources = [Resource("A", n, freeze({"v": n, "k": {n: 1}}), n) for n in names]
    for f in ("out.yaml", "out.json"):
        dump_inventory(resources, tmp_path / f)
        assert dict(load_inventory(tmp_path / f).resources) == {r.key: r for r in resources}


def test_aliases_within_the_budget_load_as_independent_copies() -> None:
    data = parse_yaml("base: &b {ttl: 300, values: [1]}\nx: *b\ny: *b\n")
    assert data["x"] == data["y"] == data["base"] and data["x"] is not data["y"]
    data["x"]["values"].append(2)
    assert data["y"]["values"] == [1]
    assert parse_yaml("&k name: 1\nother: *k\n") == {"name": 1, "other": "name"}


def test_recursive_undefined_and_key_aliases_are_refused_with_lines() -> None:
    cases = {"a: &x [1, *x]\n": (1, "refers to a node that contains it"), "a: 1\nb: *nope\n": (2, "names no anchor"),
             "a: &k x\n*k : 1\n": (2, "mapping key must be text"), "<<: {a: 1}\n": (1, "merge keys"),
             "a: 1\n---\na: 2\n": (2, "second YAML document"), "a: !!binary aGk=\n": (1, "tag")}
    for text, (line, words) in cases.items():
        with pytest.raises(ParseError, match=words) as e:
            parse_yaml(text)
        assert e.value.line == line, text


def test_depth_limit_is_exact() -> None:
    assert parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for parse in (parse_yaml, parse_json):
        with pytest.raises(ParseError, match="nested deeper"):
            parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(ParseError, match="nests deeper"):
        parse_yaml("a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n")


def test_error_lines_come_from_a_second_pass_and_are_right() -> None:
    text = "resources:\n" + "".join(f"  - kind: A\n    name: r{i}\n    spec: {{ttl: 1}}\n" for i in range(50))
    assert lines_for(text, [("resources", 49, "spec", "ttl"), ("resources", 3)]) == {
        (): 1, ("resources",): 1, ("resources", 3): 11, ("resources", 49): 149,
        ("resources", 49, "spec"): 151, ("resources", 49, "spec", "ttl"): 151}
    with pytest.raises(InventoryError, match=r"d\.yaml:151: field resources\.49\.spec"):
        parse_inventory(text[: -len("    spec: {ttl: 1}\n")] + "    spec: [1]\n", "d.yaml")
    rows = ",\n".join(f'{{"kind": "A", "name": "r{i}", "spec": {{}}}}' for i in range(50))
    with pytest.raises(InventoryError, match=r"d\.json:52: malformed JSON: duplicate key 'kind' \(first at line 52\)"):
        parse_inventory('{"resources": [\n' + rows + ',\n{"kind": "A", "kind": "B"}]}', "d.json")
    with pytest.raises(InventoryError, match=r"d\.json:52: field resources\.50\.spec"):
        parse_inventory('{"resources": [\n' + rows + ',\n{"kind": "A", "name": "x", "spec": [1]}]}', "d.json")


def test_json_integers_too_long_for_python_are_a_located_error() -> None:
    with pytest.raises(ParseError, match="integer of 5000 digits") as e:
        parse_json('{"a":\n' + "1" * 5000 + "}")
    assert e.value.line == 2



def test_set_and_grid_values_follow_the_files_rules(tmp_path: Path) -> None:
    from recon.analysis.grid import GridError, parse_axis
    from recon.sim.scenario import ScenarioError, load_scenario

    (tmp_path / "s.yaml").write_text(SCENARIO)
    assert load_scenario(tmp_path / "s.yaml", ["world.resources=127"]).world.resources == 127
    with pytest.raises(ScenarioError, match=r"--set 'world.resources=0127': .*0127 is 87 in YAML 1.1"):
        load_scenario(tmp_path / "s.yaml", ["world.resources=0127"])
    with pytest.raises(GridError, match=r"unquoted 1_0 is an integer in YAML 1.1"):
        parse_axis("loop.guards.max_deletes.max=5,1_0")
