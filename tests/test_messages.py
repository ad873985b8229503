"""Messages in the user's words: validation errors say what is wrong and list the valid names, counts
agree with their nouns, and `recon approvals` shows the keys and the commands that answer a request."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from recon.cli import main

LOOP = "provider: {type: files, path: tree}\ndesired: {path: d.yaml}\n"
GUARDS = ("kill_switch, desired_error, empty_desired, desired_shrink, incomplete_observation, ownership, "
          "protected, max_deletes, max_changes")
# pydantic's own words, which no message may show
LIBRARY_WORDS = ("Extra inputs", "Field required", "Input should", "Value error", "NoneType", "valid dictionary",
                 "instance of")


def run(*args: str | Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    return res.exit_code, res.output


def error_of(*args: str | Path) -> str:
    code, output = run(*args)
    assert code == 1, output
    assert not any(w in output for w in LIBRARY_WORDS), output
    return " ".join(output.split())  # rich wraps long lines


@pytest.mark.parametrize(("config", "message"), [
    (LOOP + "guards:\n  max_delete: {max: 5}\n",
     f"LOOP.yaml:4: field guards.max_delete: unknown guard (did you mean max_deletes?); known: {GUARDS}"),
    (LOOP + "guards: {max_deletes: {max: 5, maxx: 1}}\n",
     "LOOP.yaml:3: field guards.max_deletes.maxx: unknown field (did you mean max?); known: enabled, max, "
     "max_fraction, fraction_min_observed, action"),
    (LOOP + "alerts: {delete_spikes: 3}\n",
     "LOOP.yaml:3: field alerts.delete_spikes: unknown alert (did you mean delete_spike?); known: delete_spike"),
    (LOOP + "retries: 3\n", "LOOP.yaml:3: field retries: unknown field; known: name, provider, desired, mode,"),
    ("provider: {type: files, path: tree}\ndesired:\n",
     "LOOP.yaml:2: field desired: expected a mapping {path: ...}, got nothing"),
    ("provider: {type: files, path: tree}\n", "LOOP.yaml:1: field desired: missing (write desired: {path: ...})"),
    (LOOP + "guards: [max_deletes]\n", f"field guards: expected a mapping of guards ({GUARDS}), got a list"),
    (LOOP + "sync: maybe\n", "field sync: expected one of 'sync', 'upsert-only' or 'create-only', got a string"),
    (LOOP + "guards: {max_deletes: {max: -1}}\n", "field guards.max_deletes.max: must be at least 0"),
    (LOOP + "guards: {max_deletes: {max: lots}}\n", "field guards.max_deletes.max: expected a whole number, got a string"),
    ("provider: {type: files, path: tree, recursiv: true}\ndesired: {path: d.yaml}\n",
     "provider files: field recursiv: unknown field (did you mean recursive?); known: path,"),
])
def test_a_bad_loop_config_says_what_is_wrong_and_the_valid_names(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "d.yaml").write_text("resources: []\n")
    (tmp_path / "LOOP.yaml").write_text(config)
    assert message in error_of("plan", tmp_path / "LOOP.yaml")


@pytest.mark.parametrize(("scenario", "extra", "message"), [
    ("loop:\n  guards:\n    max_delete: {max: 3}\n", (),
     f"s.yaml:3: field loop.guards.max_delete: unknown guard (did you mean max_deletes?); known: {GUARDS}"),
    ("desired: {at: 10, kind: error}\n", (), "s.yaml:1: field desired: expected a list of events, got a mapping"),
    ("drift: {bursts: {at: 1}}\n", (), "s.yaml:1: field drift.bursts: expected a list of bursts, got a mapping"),
    ("loops:\n  - {name: a, scope: {kind: x}, guards: {max_deletess: 1}}\n", (),
     f"s.yaml:2: field loops.0.guards.max_deletess: unknown guard (did you mean max_deletes?); known: {GUARDS}"),
    ("world: {kinds: []}\n", (), "s.yaml:1: field world.kinds: must not be empty"),
    ("loop: {approver: {type: robot}}\n", (),
     "field loop.approver.type: expected one of 'deny-all', 'approve-all' or 'human', got a string"),
    ("name: s\n", ("--set", "world.resourcez=5"),
     "--set world.resourcez=5: field world.resourcez: unknown field (did you mean resources?); "
     "known: resources, kinds, groups, foreign, initially_missing"),
    ("name: s\nloops:\n  - {name: a}\n  - {name: a}\n", (), "s.yaml:2: field loops: loop names must be unique"),
    ("- a\n", (), "s.yaml:1: a scenario is a mapping (name, duration, world, loop, ...), got a list"),
])
def test_a_bad_scenario_says_what_is_wrong_and_the_valid_names(tmp_path: Path, scenario: str,
                                                               extra: tuple[str, ...], message: str) -> None:
    (tmp_path / "s.yaml").write_text(scenario)
    assert message in error_of("simulate", tmp_path / "s.yaml", "--out", tmp_path / "out", *extra)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("inventory", "message"), [
    ("resources:\n  - kind: A\n    name: x\n", "d.yaml:2: field resources.0.spec: missing (write spec: {} for none)"),
    ("resources:\n  - {kind: A, name: x, spec: {}, ownr: me}\n",
     "d.yaml:2: field resources.0.ownr: unknown field (did you mean owner?); known: kind, name, spec, owner"),
    ("resource: []\n", "d.yaml:1: field resource: unknown field (did you mean resources?); known: count, resources, observed_at"),
    ("resources: {a: 1}\n", "d.yaml:1: field resources: expected a list of resources, got a mapping"),
    ("count: 2\n", "d.yaml:1: field resources: missing (write resources: [] for none)"),
    ("- kind: A\n", "d.yaml:1: expected a mapping with a 'resources' list, got a list"),
    ('{"resources": [{"kind": "", "name": "x", "spec": {}}]}', "d.json:1: field resources.0.kind: must not be empty"),
])
def test_a_bad_inventory_says_what_is_wrong_and_the_valid_names(tmp_path: Path, inventory: str, message: str) -> None:
    name = "d.json" if inventory.startswith("{") else "d.yaml"
    (tmp_path / name).write_text(inventory)
    (tmp_path / "o.yaml").write_text("resources: []\n")
    assert message in error_of("plan", "--desired", tmp_path / name, "--observed", tmp_path / "o.yaml")


def inventory(path: Path, names: list[str], ttl: int = 300) -> Path:
    path.write_text(json.dumps({"resources": [{"kind": "A", "name": n, "spec": {"ttl": ttl}} for n in names]}))
    return path


def test_a_count_of_one_takes_the_singular(tmp_path: Path) -> None:
    d, o = inventory(tmp_path / "d.json", ["x"]), inventory(tmp_path / "o.json", ["x", "y"], ttl=60)
    code, output = run("plan", "--desired", d, "--observed", o, "--max-deletes", "0", "--owner-id", "me",
                       "--protect", "TXT/*", "--json")
    reasons = {g["name"]: g["reason"] for g in json.loads(output)["guards"]}
    assert reasons["desired_error"].startswith("loaded 1 resource from")
    assert reasons["empty_desired"] == "desired has 1 resource"
    assert reasons["ownership"].startswith("2 resources without owner marker")
    assert reasons["protected"] == "1 selector, none matched"
    code, output = run("plan", "--desired", d, "--observed", o, "--max-deletes", "0", "--protect", "A/y", "--json")
    reasons = {g["name"]: g["reason"] for g in json.loads(output)["guards"]}
    assert reasons["protected"] == "1 change to protected resources"
    assert reasons["max_changes"] == "1 change within cap 100"
    code, output = run("plan", "--desired", d, "--observed", o, "--max-deletes", "0", "--state", tmp_path / "s.db")
    assert code == 3 and "1 delete > cap 0" in output and "(1 delete, max_deletes)" in output
    code, output = run("plan", "--desired", d, "--observed", inventory(tmp_path / "one.json", ["x"], ttl=60))
    assert code == 2 and "result: 1 change would be applied now, 0 deferred" in output


def test_a_count_of_one_takes_the_singular_in_simulations(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("duration: 30\nworld: {resources: 5}\nloop: {period: 60}\n")
    code, output = run("simulate", tmp_path / "s.yaml", "--out", tmp_path / "out", "--no-plots")
    assert code == 0, output
    assert "1 cycle over" in output and "1 cycles" not in output


def held_request(tmp_path: Path, names: list[str]) -> Path:
    """A state store holding one pending request to delete *names* (max_deletes 0)."""
    state = tmp_path / "my state.db"  # a space: the printed commands must quote it
    code, output = run("plan", "--desired", inventory(tmp_path / "d.json", ["keep"]), "--observed",
                       inventory(tmp_path / "o.json", ["keep", *names]), "--max-deletes", "0", "--state", state)
    assert code == 3 and "approval needed" in output, output
    return state


def test_approvals_shows_the_keys_and_the_commands_that_answer(tmp_path: Path) -> None:
    names = ["[red]evil", *(f"r{i}" for i in range(7))]
    state = held_request(tmp_path, names)
    code, output = run("approvals", "--state", state)
    assert code == 0, output
    rid = next(line.split()[1] for line in output.splitlines() if line.startswith("request "))
    assert f"request {rid} (max_deletes): 8 deletes, approved or denied as one set: " in output
    assert "A/[red]evil, A/r0, A/r1, A/r2, A/r3 and 3 more (--json lists all)" in output  # markup shown as text
    quoted = f"'{state}'"
    approve = f"recon approve {rid} --state {quoted}"
    assert f"  approve: {approve}\n" in output and f"  deny:    recon deny {rid} --state {quoted}\n" in output
    code, said = run(*shlex.split(approve)[1:])  # the printed command works as printed
    assert code == 0 and f"approved {rid}" in said
    code, output = run("approvals", "--state", state)
    assert "approve:" not in output and "approved" in output  # answered: no commands any more


def test_approvals_commands_name_the_loop_config_when_given_one(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_text("a")
    (tmp_path / "d.yaml").write_text("resources: []\n")
    config = tmp_path / "lab loop.yaml"
    config.write_text("name: lab\nprovider: {type: files, path: tree}\ndesired: {path: d.yaml}\n"
                      "guards: {max_deletes: {max: 0}, empty_desired: false}\n")
    assert run("plan", config)[0] == 3
    code, output = run("approvals", "--config", config)
    assert "1 delete, approved or denied as one set: file/a" in output
    assert "  deny:    recon deny " in output and f" --config '{config}'\n" in output


def test_the_readme_command_line_names_deny() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    commands = readme.split("## Command line", 1)[1].split("```", 2)[1]
    assert "\nrecon deny ID --config LOOP.yaml" in commands and "\nrecon approve ID --config LOOP.yaml" in commands
