"""`recon plan` exit codes and JSON, `recon approve`, `recon pause`, `recon schema` — as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

RECON = [sys.executable, "-m", "recon"]


def recon(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RECON, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def inv(path: Path, resources: list[dict]) -> Path:
    data = {"resources": resources}
    path.write_text(json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data))
    return path


def rs(n: int, prefix: str = "r", ttl: int = 300) -> list[dict]:
    return [{"kind": "A", "name": f"{prefix}{i}", "spec": {"ttl": ttl, "values": [f"10.0.0.{i}"]}} for i in range(n)]


def test_identical_inventories_exit_0(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(5))
    r = recon("plan", "--desired", d, "--observed", d, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["counts"] == {"create": 0, "update": 0, "delete": 0} and out["in_sync"]


def test_changes_exit_2_with_exact_counts(tmp_path: Path) -> None:
    desired = rs(6)[:5] + rs(3, "new")
    desired[0]["spec"]["ttl"] = 60
    desired[1]["spec"]["values"] = ["10.9.9.9"]
    d = inv(tmp_path / "d.yaml", desired)
    o = inv(tmp_path / "o.json", rs(7))
    r = recon("plan", "--desired", d, "--observed", o, "--json")
    assert r.returncode == 2, r.stderr
    out = json.loads(r.stdout)
    assert out["counts"] == {"create": 3, "update": 2, "delete": 2}
    assert {g["name"] for g in out["guards"]} >= {"empty_desired", "max_deletes", "max_changes"}
    upd = {c["name"]: c["fields"] for c in out["changes"] if c["op"] == "update"}
    assert upd["r0"] == [{"path": "ttl", "old": 300, "new": 60}]
    human = recon("plan", "--desired", d, "--observed", o)
    assert human.returncode == 2 and "ttl: 300 → 60" in human.stdout


def test_empty_desired_exit_3_names_the_guard(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", [])
    o = inv(tmp_path / "o.yaml", rs(4))
    r = recon("plan", "--desired", d, "--observed", o, "--json")
    assert r.returncode == 3
    out = json.loads(r.stdout)
    (g,) = [g for g in out["guards"] if g["name"] == "empty_desired"]
    assert g["outcome"] == "abort" and "empty" in g["reason"]
    assert "empty_desired" in recon("plan", "--desired", d, "--observed", o).stdout


def test_deletes_over_cap_exit_3_names_max_deletes(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(3))
    o = inv(tmp_path / "o.yaml", rs(8))
    assert recon("plan", "--desired", d, "--observed", o, "--max-deletes", "5").returncode == 2
    r = recon("plan", "--desired", d, "--observed", o, "--max-deletes", "4", "--json")
    assert r.returncode == 3
    out = json.loads(r.stdout)
    assert [g["outcome"] for g in out["guards"] if g["name"] == "max_deletes"] == ["hold"]
    assert out["approval_request"]["keys"] == [["A", f"r{i}"] for i in range(3, 8)]


@pytest.mark.parametrize("text,line,needle", [
    ("resources:\n  - kind: A\n    name: a\n    spec: {}\n  - kind: A\n    nme: b\n    spec: {}\n", 5, "field resources.1.name"),
    ("resources:\n  - kind: A\n    name: a\n    spec: [1, 2\n", 5, "malformed YAML"),
    ("resources:\n  - {kind: A, name: a, spec: {}}\n  - {kind: A, name: a, spec: {}}\n", 3, "duplicate resource A/a"),
    ("", None, "file is empty"),
    ("items: []\n", 1, "field resources"),
])
def test_bad_desired_file_exits_1_naming_file_and_line(tmp_path: Path, text: str, line: int | None, needle: str) -> None:
    d = tmp_path / "desired.yaml"
    d.write_text(text)
    o = inv(tmp_path / "o.yaml", rs(2))
    r = recon("plan", "--desired", d, "--observed", o)
    assert r.returncode == 1
    assert str(d) in r.stderr and needle in r.stderr
    if line is not None:
        assert f"{d}:{line}:" in r.stderr
    assert "Traceback" not in r.stderr


def test_malformed_json_names_line(tmp_path: Path) -> None:
    d = tmp_path / "desired.json"
    d.write_text('{"resources": [\n {"kind": "A", "name": "a"},\n ]\n}')
    r = recon("plan", "--desired", d, "--observed", d)
    assert r.returncode == 1 and f"{d}:3:" in r.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    r = recon("plan", "--desired", tmp_path / "nope.yaml", "--observed", tmp_path / "nope.yaml")
    assert r.returncode == 1 and "nope.yaml: cannot read inventory: no such file" in r.stderr


def test_approval_flow_through_the_store(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(2))
    o = inv(tmp_path / "o.yaml", rs(20))
    st = tmp_path / "state.db"
    r = recon("plan", "--desired", d, "--observed", o, "--state", st, "--json")
    assert r.returncode == 3
    rid = json.loads(r.stdout)["approval_request"]["id"]
    listed = json.loads(recon("approvals", "--state", st, "--json").stdout)
    assert [(a["id"], a["status"]) for a in listed] == [(rid, "pending")]
    assert recon("approve", "nosuchid", "--state", st).returncode == 1
    a = recon("approve", rid, "--state", st, "--by", "alice")
    assert a.returncode == 0 and "approved" in a.stdout
    r2 = recon("plan", "--desired", d, "--observed", o, "--state", st, "--json")
    assert r2.returncode == 2
    assert sum(c["op"] == "delete" for c in json.loads(r2.stdout)["batch"]) == 18
    # One more resource to delete: the old approval does not cover the new set.
    o2 = inv(tmp_path / "o2.yaml", rs(21))
    assert recon("plan", "--desired", d, "--observed", o2, "--state", st).returncode == 3


def test_kill_switch_from_the_command_line(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(2))
    st = tmp_path / "state.db"
    # A one-shot plan keeps no loop state, so the store never knows the name "plan" and refuses it
    # (a misspelt name must not look paused); `*` pauses every loop of the store.
    assert recon("pause", "plan", "--state", st).returncode == 1
    assert recon("pause", "*", "--state", st, "--reason", "incident 42").returncode == 0
    r = recon("plan", "--desired", d, "--observed", d, "--state", st, "--json")
    assert r.returncode == 3 and json.loads(r.stdout)["guards"][0]["outcome"] == "pause"
    assert recon("resume", "*", "--state", st).returncode == 0
    assert recon("plan", "--desired", d, "--observed", d, "--state", st).returncode == 0


def test_loop_config_plan(examples: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(examples, tmp_path / "ex", ignore=shutil.ignore_patterns(".recon"))
    r = recon("plan", tmp_path / "ex" / "loop-snapshot.yaml", "--json")
    assert r.returncode == 2, r.stderr
    out = json.loads(r.stdout)
    assert out["counts"] == {"create": 1, "update": 1, "delete": 2}
    # owner_id dns-loop: the hand-made record lacks the marker, so it is excluded, not deleted.
    assert [b["name"] for b in out["blocked"] if b["guard"] == "ownership"] == ["hand-made"]


def test_bad_loop_config_names_file_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "loop.yaml"
    cfg.write_text("provider: {type: snapshot, path: o.yaml}\ndesired: {path: d.yaml}\nguards:\n  max_deletes: {maxx: 3}\n")
    r = recon("plan", cfg)
    assert r.returncode == 1 and f"{cfg}:4:" in r.stderr and "maxx" in r.stderr
    cfg.write_text("provider: {type: nosuch}\ndesired: {path: d.yaml}\n")
    r = recon("plan", cfg)
    assert r.returncode == 1 and "unknown provider type 'nosuch'" in r.stderr


def test_schema_inventory_is_json_schema() -> None:
    r = recon("schema", "inventory")
    s = json.loads(r.stdout)
    assert r.returncode == 0 and s["required"] == ["resources"]
    assert set(json.loads(recon("schema", "loop").stdout)["properties"]) >= {"provider", "desired", "guards"}


def _copy_examples(examples: Path, tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(examples, tmp_path / "ex", ignore=shutil.ignore_patterns(".recon"))
    return tmp_path / "ex"


def test_pausing_by_loop_config_pauses_that_loop(examples: Path, tmp_path: Path) -> None:
    ex = _copy_examples(examples, tmp_path)
    loop = ex / "loop-snapshot.yaml"
    # From another directory, as an on-call would: the config names the store the loop uses.
    p = recon("pause", loop, "--reason", "bad rollout", cwd=tmp_path)
    assert p.returncode == 0 and "example-dns" in p.stdout and str(ex / ".recon" / "example-dns.db") in p.stdout
    r = recon("plan", loop, "--json", cwd=tmp_path)
    assert r.returncode == 3 and json.loads(r.stdout)["guards"][0]["outcome"] == "pause"
    assert recon("resume", loop, cwd=tmp_path).returncode == 0
    assert recon("plan", loop, cwd=tmp_path).returncode == 2


def test_store_commands_never_guess_a_store(tmp_path: Path) -> None:
    for args in (["approvals"], ["approve", "abc"], ["pause", "dns"]):
        r = recon(*args, cwd=tmp_path)
        assert r.returncode == 1 and "pass --config LOOP.yaml, or --state FILE" in r.stderr, args
    assert recon("pause", tmp_path / "nope.yaml").returncode == 1


def test_the_printed_approval_command_works(examples: Path, tmp_path: Path) -> None:
    import shlex

    d = inv(tmp_path / "d.yaml", rs(2))
    o = inv(tmp_path / "o.yaml", rs(20))
    st = tmp_path / "s.db"
    no_store = recon("plan", "--desired", d, "--observed", o)
    assert no_store.returncode == 3 and "not filed: no state store" in no_store.stdout
    args = ["--desired", d, "--observed", o, "--state", st]
    line = next(x for x in recon("plan", *args).stdout.splitlines() if "approve with" in x)
    cmd = shlex.split(line.split("`")[1])
    assert cmd[:2] == ["recon", "approve"]
    assert recon(*cmd[1:]).returncode == 0
    assert recon("plan", *args).returncode == 2
    ex = _copy_examples(examples, tmp_path)
    cfg = ex / "loop-snapshot.yaml"
    cfg.write_text(cfg.read_text().replace("max: 5", "max: 0"))
    r = recon("plan", cfg)
    line = next(x for x in r.stdout.splitlines() if "approve with" in x)
    assert recon(*shlex.split(line.split("`")[1])[1:]).returncode == 0
    assert recon("plan", cfg).returncode == 2


def test_usage_errors_exit_1_not_2(tmp_path: Path) -> None:
    for args in (["plan", "--bogus"], ["plan", "--max-deletes", "-1", "--desired", "x", "--observed", "x"],
                 ["nosuchcommand"]):
        r = recon(*args)
        assert r.returncode == 1, (args, r.returncode, r.stderr)
    assert recon("--help").returncode == 0 and recon("plan", "--help").returncode == 0


def test_protect_needs_kind_and_name(examples: Path) -> None:
    r = recon("plan", "--desired", examples / "desired.yaml", "--observed", examples / "observed.yaml",
              "--protect", "legacy")
    assert r.returncode == 1 and "give KIND/NAME" in r.stderr
    r = recon("plan", "--desired", examples / "desired.yaml", "--observed", examples / "observed.yaml",
              "--protect", "*/legacy", "--json")
    assert [b["name"] for b in json.loads(r.stdout)["blocked"]] == ["legacy"]


def test_guard_options_are_refused_with_a_loop_config(examples: Path, tmp_path: Path) -> None:
    ex = _copy_examples(examples, tmp_path)
    r = recon("plan", ex / "loop-snapshot.yaml", "--max-deletes", "1")
    assert r.returncode == 1 and "--max-deletes" in r.stderr and "set guards in the loop config" in r.stderr


def test_excluded_changes_are_not_pending(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(2))
    o = inv(tmp_path / "o.yaml", rs(2) + [{"kind": "A", "name": "prod-db", "spec": {}}])
    r = recon("plan", "--desired", d, "--observed", o, "--protect", "A/prod-*", "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["in_sync"] and out["counts"]["delete"] == 1
    assert out["pending"] == {"create": 0, "update": 0, "delete": 0}
    (change,) = out["changes"]
    assert change["fate"] == {"status": "excluded", "guard": "protected", "reason": "matches a protected selector"}
    human = recon("plan", "--desired", d, "--observed", o, "--protect", "A/prod-*")
    assert "excluded: protected" in human.stdout and "in sync" in human.stdout


def test_duplicate_keys_are_errors_not_silently_dropped_data(tmp_path: Path) -> None:
    d = tmp_path / "d.yaml"
    d.write_text("resources:\n  - {kind: A, name: a}\nresources: []\n")
    r = recon("plan", "--desired", d, "--observed", d)
    assert r.returncode == 1 and f"{d}:3: malformed YAML: duplicate key 'resources' (first at line 1)" in r.stderr
    j = tmp_path / "d.json"
    j.write_text('{"resources": [{"kind": "A", "name": "a", "name": "b"}]}')
    r = recon("plan", "--desired", j, "--observed", d, "--json")
    assert r.returncode == 1 and "duplicate key 'name'" in json.loads(r.stdout)["error"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_reader_that_stops_early_keeps_the_plans_exit_code_and_no_message(tmp_path: Path, as_json: bool) -> None:
    """`recon plan ... | head -1`: the closed pipe is the reader's choice; the exit code stays 2."""
    body = "".join(f"  - {{kind: A, name: n{i}, spec: {{ttl: 2}}}}\n" for i in range(3000))
    (tmp_path / "d.yaml").write_text("resources:\n" + body)
    (tmp_path / "o.yaml").write_text("resources: []\n")
    argv = [sys.executable, "-m", "recon", "plan", "--desired", "d.yaml", "--observed", "o.yaml",
            "--max-changes", "100000", "--max-deletes", "100000"] + (["--json"] if as_json else [])
    p = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline()
    p.stdout.close()  # like head -1: read one line, then go away
    err = p.stderr.read().decode() if p.stderr else ""
    assert p.wait(timeout=50) == 2, err
    assert err == ""


@pytest.mark.timeout(60)
def test_a_paused_plan_says_who_paused_it_when_and_why_never_none(tmp_path: Path) -> None:
    from recon.core.record import LoopState
    from recon.store.sqlite import StateStore

    (tmp_path / "d.yaml").write_text("resources:\n  - {kind: A, name: www, spec: {ttl: 2}}\n")
    (tmp_path / "o.yaml").write_text("resources:\n  - {kind: A, name: www, spec: {ttl: 1}}\n")
    StateStore(tmp_path / "s.db").save_state("plan", LoopState())  # the loop has used this store
    run = lambda *a: subprocess.run([sys.executable, "-m", "recon", *a], cwd=tmp_path,  # noqa: E731
                                    capture_output=True, text=True, timeout=50)
    assert run("pause", "--state", "s.db", "plan", "--reason", "bad rollout", "--by", "alice").returncode == 0
    p = run("plan", "--desired", "d.yaml", "--observed", "o.yaml", "--state", "s.db")
    assert p.returncode == 3, p.stderr
    assert "None" not in p.stdout
    assert "paused" in p.stdout and "alice" in p.stdout and "bad rollout" in p.stdout and "UTC" in p.stdout


@pytest.mark.parametrize("option, value", [("--max-deletes-window", "-60"), ("--max-deletes-window", "0"),
                                           ("--max-deletes-window-max", "x"), ("--shrink-window", "an-hour")])
def test_bad_window_options_exit_1_naming_the_option(tmp_path: Path, option: str, value: str) -> None:
    d = inv(tmp_path / "d.yaml", rs(3))
    r = recon("plan", "--desired", d, "--observed", d, "--max-deletes-window", "60",
              "--max-deletes-window-max", "5", option, value)  # the last one given counts
    assert r.returncode == 1 and f"Invalid value for '{option}'" in r.stderr, r.stderr


def test_the_window_options_reach_the_max_deletes_verdict(tmp_path: Path) -> None:
    d = inv(tmp_path / "d.yaml", rs(2))
    o = inv(tmp_path / "o.yaml", rs(8))
    r = recon("plan", "--desired", d, "--observed", o, "--json", "--max-deletes-window", "3600",
              "--max-deletes-window-max", "4", "--shrink-window", "600", "--shrink-fraction", "1")
    (v,) = [g for g in json.loads(r.stdout)["guards"] if g["name"] == "max_deletes"]
    assert r.returncode == 3 and v["outcome"] == "hold", r.stdout
    assert v["reason"] == "6 deletes + 0 unapproved in the last 3600 s, window_max 4", v


@pytest.mark.parametrize("what", ["loop", "scenario", "policy"])
def test_the_schemas_name_the_windows(what: str) -> None:
    text = recon("schema", what).stdout
    defs = json.loads(text)["$defs"]
    assert {"window", "window_max"} <= set(defs["MaxDeletesGuard"]["properties"]), what
    assert "window" in defs["ShrinkGuard"]["properties"], what
