"""The review of issue 9's input reader (items 3, 5, 6, 8): inputs that got past it, through the CLI.

Each must fail as every bad input does: exit 1, one line naming the file and its line, no traceback.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from recon.sources.jsonread import parse_json
from recon.sources.limits import MAX_ALIAS_CHARS, MAX_ALIAS_NODES
from recon.sources.yamlread import ParseError, parse_yaml

ROOT = Path(__file__).resolve().parents[1]
OBSERVED = '{"resources": [{"kind": "A", "name": "www", "spec": {"ttl": 300}}]}\n'
MEMORY = 1 << 30  # address space of the child: an input that still multiplies its bytes fails, it cannot swap


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def plan(tmp_path: Path, name: str, desired: str | bytes) -> str:
    """``recon plan`` of *desired* (written as *name*) against one observed record; its one error line."""
    path = tmp_path / name
    path.write_bytes(desired if isinstance(desired, bytes) else desired.encode("utf-8"))
    (tmp_path / "obs.json").write_text(OBSERVED)
    proc = subprocess.run([sys.executable, "-m", "recon", "plan", "--desired", name, "--observed", "obs.json"],
                          capture_output=True, text=True, errors="backslashreplace", cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=25, preexec_fn=_cap_memory)
    output = proc.stdout + proc.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert proc.returncode == 1, f"exit {proc.returncode}: {output[-1500:]}"
    assert "Traceback" not in output and len(lines) == 1, output[-1500:]
    return lines[0]


@pytest.mark.timeout(30)
def test_one_long_string_aliased_many_times_is_refused_by_its_characters(tmp_path: Path) -> None:
    # 9,000 aliases stay within the node budget; 9,000 copies of 100 KB do not stay within the characters.
    assert 9000 < MAX_ALIAS_NODES and 9000 * 100_000 > MAX_ALIAS_CHARS
    text = ('resources:\n  - kind: A\n    name: x\n    spec:\n      v: &s "' + "x" * 100_000 + '"\n'
            "      w: [" + ", ".join(["*s"] * 9000) + "]\n")
    line = plan(tmp_path, "d.yaml", text)
    assert line.startswith("error: d.yaml:6: ") and "characters" in line and "alias" in line, line


def test_aliases_of_short_strings_within_the_budget_still_load() -> None:
    data = parse_yaml('a: &s "' + "x" * 1000 + '"\nb: [' + ", ".join(["*s"] * 1000) + "]\n")
    assert data["b"] == ["x" * 1000] * 1000


@pytest.mark.timeout(30)
@pytest.mark.parametrize("scalar", ["-0"])
def test_a_plain_integer_that_does_not_read_back_is_refused(tmp_path: Path, scalar: str) -> None:
    line = plan(tmp_path, "d.yaml", f"resources:\n  - kind: A\n    name: {scalar}\n    spec: {{ttl: 300}}\n")
    assert line.startswith("error: d.yaml:3: ") and "quote it" in line, line


@pytest.mark.parametrize("text", ["-00", "-01", "+0", "00"])
def test_other_zero_spellings_stay_refused(text: str) -> None:
    with pytest.raises(ParseError, match="quote it"):
        parse_yaml(f"v: {text}\n")


def test_quoted_minus_zero_and_negative_numbers_are_exact() -> None:
    assert parse_yaml("a: '-0'\nb: -1\nc: 0\nd: -0.5\n") == {"a": "-0", "b": -1, "c": 0, "d": -0.5}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
@pytest.mark.parametrize("style", ["block", "flow"])
def test_yaml11_line_breaks_in_a_plain_scalar_are_refused(tmp_path: Path, char: str, style: str) -> None:
    # PyYAML folds NEL to a space ("a b": a create and a delete); YAML 1.2 reads it as text.
    item = f"  - kind: A\n    name: a{char}b\n    spec: {{ttl: 300}}\n" if style == "block" else \
        f"  - {{kind: A,\n     name: a{char}b, spec: {{ttl: 300}}}}\n"
    line = plan(tmp_path, "d.yaml", "resources:\n" + item)
    assert line.startswith("error: d.yaml:3: ") and f"U+{ord(char):04X}" in line and "double quotes" in line, line


def test_yaml11_line_breaks_are_refused_in_comments_and_quotes_and_escapes_are_exact() -> None:
    for text in ("# note\x85v: 1\n", "v: 'a\u2028b'\n", 'v: "a\x85b"\n'):
        with pytest.raises(ParseError) as err:
            parse_yaml(text)
        assert err.value.line == 1
    assert parse_yaml('v: "a\\Nb\\Lc\\Pd"\n') == {"v": "a\x85b\u2028c\u2029d"}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x9b", "\ufffe"])
def test_characters_the_yaml_reader_rejects_are_one_line_errors(tmp_path: Path, char: str) -> None:
    line = plan(tmp_path, "d.yaml", f"resources:\n  - kind: A\n    name: a{char}b\n    spec: {{ttl: 300}}\n")
    assert line.startswith("error: d.yaml:3: ") and f"U+{ord(char):04X}" in line, line


@pytest.mark.timeout(30)
@pytest.mark.parametrize("where", ["name", "key", "yaml"])
def test_a_lone_surrogate_is_refused_at_its_line(tmp_path: Path, where: str) -> None:
    if where == "yaml":
        line = plan(tmp_path, "d.yaml", 'resources:\n  - kind: A\n    name: "a\\ud800"\n    spec: {ttl: 300}\n')
        assert line.startswith("error: d.yaml:3: ") and "surrogate" in line, line
        return
    name, key = ("\\ud800", "ttl") if where == "name" else ("x", "\\udfff")
    text = f'{{"resources": [\n  {{"kind": "A",\n   "name": "{name}",\n   "spec": {{"{key}": 300}}}}]}}\n'
    line = plan(tmp_path, "d.json", text)
    assert line.startswith(f"error: d.json:{3 if where == 'name' else 4}: ") and "surrogate" in line, line


def test_surrogate_pairs_and_escaped_backslashes_are_not_lone_surrogates() -> None:
    assert parse_json('{"a": "\\ud83d\\ude00", "\\\\ud800": 1}') == {"a": "\U0001f600", "\\ud800": 1}
