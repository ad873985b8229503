"""Inventory folders and the SQLite state store."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon.core.approval import ApprovalRequest
from recon.core.baseline import CountBaseline
from recon.core.record import CarriedApproval, LoopState
from recon.sources import InventoryError, dump_inventory, load_inventory
from recon.store import ApprovalNotFound, StateStore


def test_folder_of_inventories_loads_as_one_state(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {ttl: 1}}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text('{"resources": [{"kind": "A", "name": "y", "spec": {}}]}')
    (tmp_path / "README.md").write_text("ignored")
    s = load_inventory(tmp_path)
    assert sorted(s.resources) == [("A", "x"), ("A", "y")] and s.version


def test_same_key_in_two_files_is_an_error_naming_both(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {}}\n")
    (tmp_path / "b.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {}}\n")
    with pytest.raises(InventoryError, match=r"b\.yaml: resource A/x is also defined in .*a\.yaml"):
        load_inventory(tmp_path)


def test_empty_folder_and_binary_file_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="holds no inventory files"):
        load_inventory(tmp_path)
    (tmp_path / "x.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InventoryError, match="not UTF-8"):
        load_inventory(tmp_path / "x.yaml")


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("resources:\n  - {kind: A, name: x, spec: {v: [1, 2], m: {k: v}}, owner: o}\n")
    s = load_inventory(tmp_path / "a.yaml")
    for name in ("out.yaml", "out.json"):
        dump_inventory(s.resources.values(), tmp_path / name)
        assert dict(load_inventory(tmp_path / name).resources) == dict(s.resources)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    # The count baseline's run of lower counts survives too: a restart must not forget a pending fall.
    st = LoopState(cycle=7, last_accepted_desired=40, count_baseline=CountBaseline(41, 20, 2), own_deletes_last=2,
                   backoff={("A", "x"): (3, 123.0)},
                   approval=CarriedApproval(frozenset({("A", "y")}), until=99.0, by="alice"))
    StateStore(tmp_path / "s.db").save_state("dns", st)
    assert StateStore(tmp_path / "s.db").load_state("dns") == st
    assert StateStore(tmp_path / "s.db").load_state("other") == LoopState()


def test_approvals_expire_and_unknown_ids_are_errors(tmp_path: Path) -> None:
    s = StateStore(tmp_path / "s.db")
    req = ApprovalRequest.make("dns", [("A", "x")], "max_deletes", "5 > 3", 0)
    s.file_request(req, now=0)
    s.file_request(req, now=60)  # idempotent
    assert [r.status for r in s.requests("dns")] == ["pending"]
    a = s.decide(req.id, True, "alice", ttl=10, now=0)
    assert a.valid_for(req.digest, 5) and not a.valid_for(req.digest, 10)
    with pytest.raises(ApprovalNotFound, match="no approval request 'zzz'"):
        s.decide("zzz", True, "alice")


def test_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(Exception, match="not a recon state store"):
        StateStore(bad)


def test_a_store_from_the_first_schema_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    from recon.store.schema import SCHEMA

    # The first schema had all four tables (SCHEMA is that version; MIGRATIONS add to it).
    db = sqlite3.connect(tmp_path / "old.db")
    db.executescript(SCHEMA + "INSERT INTO loop_state VALUES ('dns', 3, 10, 11, 0, '[]');")
    db.commit()
    db.close()
    s = StateStore(tmp_path / "old.db")
    assert s.load_state("dns") == LoopState(cycle=3, last_accepted_desired=10, count_baseline=CountBaseline(11))
    StateStore(tmp_path / "old.db")  # opening again runs no migration twice


def _big_inventory(path: Path, n: int) -> None:
    lines = ["resources:"] + [f"  - {{kind: A, name: r{i}, spec: {{ttl: 300, values: [10.0.{i // 256 % 256}.{i % 256}]}}}}"
                              for i in range(n)]
    path.write_text("\n".join(lines) + "\n")


def test_loading_while_observing_gives_the_same_state_and_runs_the_work(tmp_path: Path) -> None:
    from recon.sources.inventory import PARALLEL_MIN_BYTES, load_inventory_while

    big = tmp_path / "big.yaml"
    _big_inventory(big, 12000)
    assert big.stat().st_size >= PARALLEL_MIN_BYTES, "the file must take the worker path"
    state, seen = load_inventory_while(big, lambda: "observed")
    assert seen == "observed"
    assert dict(state.resources) == dict(load_inventory(big).resources) and state.version


def test_an_inventory_error_wins_over_the_works_error_on_the_worker_path(tmp_path: Path) -> None:
    from recon.sources.inventory import load_inventory_while

    big = tmp_path / "big.yaml"
    _big_inventory(big, 12000)
    big.write_text(big.read_text() + "  - {kind: A, name: broken, spec: [1, 2\n")

    def observe() -> None:
        raise ConnectionError("127.0.0.1:53: connection refused")

    with pytest.raises(InventoryError, match=r"big\.yaml:\d+: malformed YAML"):
        load_inventory_while(big, observe)
    good = tmp_path / "good.yaml"
    _big_inventory(good, 12000)
    with pytest.raises(ConnectionError, match="connection refused"):
        load_inventory_while(good, observe)


def test_a_yaml_flow_mapping_is_yaml_and_json_content_in_a_yaml_file_loads(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text("{resources: [{kind: A, name: a, spec: {}}]}\n")
    (tmp_path / "json.yaml").write_text('{"resources": [{"kind": "A", "name": "b", "spec": {}}]}\n')
    assert list(load_inventory(tmp_path / "flow.yaml").resources) == [("A", "a")]
    assert list(load_inventory(tmp_path / "json.yaml").resources) == [("A", "b")]


def test_file_source_reparses_only_when_the_inventory_changed(tmp_path: Path, monkeypatch) -> None:
    from recon.sources import FileSource
    from recon.sources import callable as src

    f = tmp_path / "d.yaml"
    f.write_text("resources:\n  - {kind: A, name: a, spec: {}}\n")
    calls = []
    real = src.load_inventory
    monkeypatch.setattr(src, "load_inventory", lambda p: calls.append(p) or real(p))
    s = FileSource(f)
    first, second = s.load(), s.load()
    assert len(calls) == 1 and dict(first.resources) == dict(second.resources)
    f.write_text("resources:\n  - {kind: A, name: b, spec: {}}\n")
    assert list(s.load().resources) == [("A", "b")] and len(calls) == 2
    f.write_text("resources: [\n")
    with pytest.raises(InventoryError, match="malformed YAML"):
        s.load()
    (tmp_path / "d.yaml").unlink()
    with pytest.raises(InventoryError, match="no such file"):
        s.load()


def test_atomic_writes_leave_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    from recon.sources.atomic import atomic_path, write_text_atomic

    target = tmp_path / "out.yaml"
    write_text_atomic(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
