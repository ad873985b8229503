"""An approval covers exactly one delete set: no two key sets share a digest, and keys are printable
(issue 9, item 14)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.core.approval import Approval, ApprovalRequest, keys_digest
from recon.core.model import Resource, key_problem

# The first encoding wrote kind, \x1f, name, \x1e for each key: this one name spelled two keys.
TWO_KEYS = {("A", "x"), ("A", "y")}
FORGED = {("A", "x\x1eA\x1fy")}


def test_a_name_holding_separators_does_not_share_the_digest_of_two_keys() -> None:
    assert keys_digest(TWO_KEYS) != keys_digest(FORGED)
    a = ApprovalRequest.make("dns", TWO_KEYS, "max_deletes", "2 > 1", 0)
    b = ApprovalRequest.make("dns", FORGED, "max_deletes", "1 > 0", 0)
    assert a.id != b.id
    granted = Approval(a.id, a.digest, True, "alice", 0, 100)
    assert granted.valid_for(a.digest, 1) and not granted.valid_for(b.digest, 1)


# Separator and quoting characters on purpose: they are what an ambiguous encoding confuses.
_text = st.text(alphabet=st.sampled_from(["A", "x", "/", ",", '"', "\\", "[", "]", "\x1e", "\x1f", "\x00"]),
                max_size=4)
_sets = st.frozensets(st.tuples(_text, _text), max_size=4)


@settings(max_examples=400, deadline=None)
@given(_sets, _sets)
def test_different_key_sets_have_different_digests(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> None:
    assert (keys_digest(a) == keys_digest(b)) == (a == b)


def test_the_digest_ignores_order_and_is_stable() -> None:
    keys = [("TXT", "b"), ("A", "z"), ("A", "a")]
    assert keys_digest(keys) == keys_digest(reversed(keys)) == keys_digest(set(keys))
    # The encoding, written out: changing it silently would void every stored approval (docs/design.md).
    spelled = b'recon approval keys v2\n[["A","a"],["A","z"],["TXT","b"]]'
    assert keys_digest(keys) == hashlib.sha256(spelled).hexdigest()


@pytest.mark.parametrize("kind, name", [
    ("A", "x\x1fy"), ("A", "x\x1ey"), ("A", "line\nbreak"), ("A", "nul\x00"), ("A", "tab\t"),
    ("A\x7f", "x"), ("A", "c1\x85"), ("A", "ls\u2028"), ("A", "ps\u2029"), ("A", "esc\x1b[31m"),
])
def test_keys_with_control_characters_are_refused_by_the_model(kind: str, name: str) -> None:
    problem = key_problem(kind, name)
    assert problem is not None and "control character U+" in problem
    with pytest.raises(ValueError, match="control character"):
        Resource(kind, name)


@pytest.mark.parametrize("kind, name", [("A", "www"), ("TXT", "_dmarc.example"), ("rule", "a b"),
                                        ("role", "ünïcødé"), ("A", "nbsp\u00a0x"), ("A", "[/]")])
def test_printable_keys_are_accepted(kind: str, name: str) -> None:
    assert key_problem(kind, name) is None
    assert Resource(kind, name).key == (kind, name)


@pytest.mark.parametrize("suffix, text, line", [
    (".yaml", 'resources:\n  - {kind: A, name: ok, spec: {}}\n  - {kind: A, name: "x\\x1eA\\x1fy", spec: {}}\n', 3),
    (".json", '{"resources": [\n {"kind": "A", "name": "ok", "spec": {}},\n {"kind": "A", "name": "a\\nb", "spec": {}}]}', 3),
])
def test_an_inventory_key_with_control_characters_names_file_and_line(tmp_path: Path, suffix: str, text: str,
                                                                      line: int) -> None:
    from recon.sources.inventory import InventoryError, load_inventory

    p = tmp_path / f"inv{suffix}"
    p.write_text(text)
    with pytest.raises(InventoryError) as e:
        load_inventory(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}: field resources.1:") and "control character" in msg
    assert "\n" not in msg
