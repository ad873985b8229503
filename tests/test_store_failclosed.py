"""A state store that cannot be read or trusted stops the loop; nothing is recreated over a file.

Every case runs the command as a user does and checks: exit 1, one line naming the file, no
traceback, and the file left byte for byte as it was (issue 9, items 13, 15 and 16).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

RECON = [sys.executable, "-m", "recon"]
LOOP = "fc"
# One resource to delete with a cap of 0: every plan files an approval request.
DESIRED = {"resources": [{"kind": "A", "name": "keep", "spec": {"ttl": 300}}]}
OBSERVED = {"resources": [{"kind": "A", "name": "keep", "spec": {"ttl": 300}},
                          {"kind": "A", "name": "old", "spec": {"ttl": 300}}]}


def recon(*args: str | Path, cwd: Path | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, *RECON, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60)


def write_loop(folder: Path, extra: str = "", name: str | None = LOOP) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "desired.yaml").write_text(yaml.safe_dump(DESIRED))
    (folder / "observed.yaml").write_text(yaml.safe_dump(OBSERVED))
    cfg = folder / "LOOP.yaml"
    head = f"name: {name}\n" if name is not None else ""
    cfg.write_text(head + "provider: {type: snapshot, path: observed.yaml}\ndesired: {path: desired.yaml}\n"
                   "guards: {max_deletes: {max: 0}}\n" + extra)
    return cfg


def assert_one_line_error(r: subprocess.CompletedProcess[str], names: Path | str) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(names) in lines[0], r.stderr


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a row in every table: loop state, a request, its approval, an engaged switch."""
    cfg = write_loop(tmp_path_factory.mktemp("good"))
    assert recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01").returncode == 0
    store = cfg.parent / ".recon" / f"{LOOP}.db"
    rid = sqlite3.connect(store).execute("SELECT id FROM approval_requests").fetchone()[0]
    assert recon("approve", rid, "--config", cfg).returncode == 0
    assert recon("pause", cfg).returncode == 0
    return store


def _other_db(p: Path) -> None:
    db = sqlite3.connect(p)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()


BAD_FILES: dict[str, Callable[[Path], None]] = {
    "empty": lambda p: p.write_bytes(b""),
    "not-sqlite": lambda p: p.write_bytes(b"not a database\n" * 100),
    "another-programs-db": _other_db,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_an_existing_file_that_is_not_a_store_is_an_error_and_is_left_alone(tmp_path: Path, case: str) -> None:
    cfg = write_loop(tmp_path)
    store = cfg.parent / ".recon" / f"{LOOP}.db"
    store.parent.mkdir()
    BAD_FILES[case](store)
    before = store.read_bytes()
    for args in (("pause", cfg), ("resume", cfg), ("plan", cfg), ("approvals", "--config", cfg),
                 ("watch", cfg, "--max-cycles", "2", "--interval", "0.01")):
        assert_one_line_error(recon(*args), store)
        assert store.read_bytes() == before, (case, args)


@pytest.mark.timeout(60)
def test_a_folder_as_the_store_is_an_error(tmp_path: Path) -> None:
    cfg = write_loop(tmp_path, "state: st\n")
    (tmp_path / "st").mkdir()
    for args in (("pause", cfg), ("plan", cfg)):
        assert_one_line_error(recon(*args), tmp_path / "st")
    assert list((tmp_path / "st").iterdir()) == []


# table, SQL that damages one row, the commands that read that row
CORRUPT_ROWS = {
    "state-json": ("UPDATE loop_state SET backoff = '{bad'", ("plan", "watch")),
    "state-type": ("UPDATE loop_state SET cycle = 'three'", ("plan", "watch")),
    "state-keys": ("UPDATE loop_state SET approved_keys = '[1]'", ("plan", "watch")),
    "state-baseline": ("UPDATE loop_state SET lower_seen = 2", ("plan", "watch")),  # a run without its count
    # The windows' memory: a negative delete count would free budget, a time that is not a number
    # would drop an entry from every window.
    "state-delete-window": ("UPDATE loop_state SET delete_window = '[[0, -5]]'", ("plan", "watch")),
    "state-desired-window": ("UPDATE loop_state SET desired_window = '[[\"soon\", 200]]'", ("plan", "watch")),
    "state-window-nan": ("UPDATE loop_state SET delete_window = '[[NaN, 3]]'", ("plan", "watch")),
    "switch": ("UPDATE kill_switch SET engaged = 'yes'", ("plan", "watch")),
    "request-json": ("UPDATE approval_requests SET keys = '[[\"A\"'", ("approvals",)),
    "approval-type": ("UPDATE approvals SET granted = 7", ("approvals",)),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(CORRUPT_ROWS))
def test_a_corrupt_row_is_an_error_naming_the_file(good_store: Path, tmp_path: Path, case: str) -> None:
    cfg = write_loop(tmp_path)
    store = cfg.parent / ".recon" / f"{LOOP}.db"
    store.parent.mkdir()
    shutil.copy(good_store, store)
    sql, commands = CORRUPT_ROWS[case]
    db = sqlite3.connect(store)
    db.execute(sql)
    db.commit()
    db.close()
    before = store.read_bytes()
    argv = {"plan": ("plan", cfg), "watch": ("watch", cfg, "--max-cycles", "3", "--interval", "0.01"),
            "approvals": ("approvals", "--config", cfg)}
    for cmd in commands:
        r = recon(*argv[cmd])
        assert_one_line_error(r, store)
        assert "corrupt row" in r.stderr
        assert store.read_bytes() == before, (case, cmd)


def _drop_dac() -> tuple[str, ...]:
    """Root ignores file modes; without the DAC capabilities it obeys them like anyone else."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only for the command")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.timeout(60)
def test_a_read_only_store_refuses_pause_and_resume_in_one_line(good_store: Path, tmp_path: Path) -> None:
    cfg = write_loop(tmp_path)
    store = cfg.parent / ".recon" / f"{LOOP}.db"
    store.parent.mkdir()
    shutil.copy(good_store, store)
    store.chmod(0o444)
    before = store.read_bytes()
    prefix = _drop_dac()
    for cmd, word in (("pause", "NOT engaged"), ("resume", "NOT released")):
        r = recon(cmd, cfg, prefix=prefix)
        assert_one_line_error(r, store)
        assert word in r.stderr
    assert store.read_bytes() == before
    # Reading still works: the approvals are listed from a store nobody may write.
    assert recon("approvals", "--config", cfg, prefix=prefix).returncode == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("setting, blamed", [
    ("events: evdir", "evdir"),
    ("events: afile/ev.jsonl", "afile"),
    ("events: fifo", "fifo"),
    ("state: afile/s.db", "afile"),
])
def test_watch_refuses_bad_events_and_state_paths(tmp_path: Path, setting: str, blamed: str) -> None:
    cfg = write_loop(tmp_path, setting + "\n")
    (tmp_path / "evdir").mkdir()
    (tmp_path / "afile").write_text("a file, not a folder\n")
    os.mkfifo(tmp_path / "fifo")
    r = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01")
    assert_one_line_error(r, tmp_path / blamed)
    assert list((tmp_path / "evdir").iterdir()) == []
    assert (tmp_path / "afile").read_text() == "a file, not a folder\n"


@pytest.mark.timeout(60)
def test_watch_exits_1_when_every_cycle_failed_to_load_the_desired_state(tmp_path: Path) -> None:
    cfg = write_loop(tmp_path)
    (tmp_path / "desired.yaml").unlink()
    r = recon("watch", cfg, "--max-cycles", "3", "--interval", "0.01")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "every one of 3 cycles failed to load the desired state" in r.stderr
    assert "desired.yaml" in r.stderr and "Traceback" not in r.stderr
    # One good cycle among them is not a failed run.
    (tmp_path / "desired.yaml").write_text(yaml.safe_dump(DESIRED))
    assert recon("watch", cfg, "--max-cycles", "2", "--interval", "0.01").returncode == 0


@pytest.mark.timeout(30)
def test_a_store_removed_or_emptied_under_a_running_loop_is_an_error_not_a_new_store(tmp_path: Path) -> None:
    from recon.store import StateStore, StoreError

    path = tmp_path / "s.db"
    store = StateStore(path)
    store.set_kill_switch(LOOP, True)
    path.unlink()
    with pytest.raises(StoreError, match=str(path)):
        store.kill_switch(LOOP)
    assert not path.exists()
    path.write_bytes(b"")
    with pytest.raises(StoreError, match=str(path)):
        store.kill_switch(LOOP)
    assert path.read_bytes() == b""


BAD_NAMES = ["../../escape", "a/b", "..", "x..y", "[/]", " lead", "-x", "", "a" * 65, "tab\tname", "new\nline"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", BAD_NAMES)
def test_loop_names_that_would_become_paths_are_refused(tmp_path: Path, name: str) -> None:
    import json

    folder = tmp_path / "a" / "b"
    cfg = write_loop(folder, name=json.dumps(name))
    before = sorted(tmp_path.rglob("*"))
    for args in (("plan", cfg), ("pause", cfg)):
        r = recon(*args)
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        if "[" in name:  # printing rich markup in error text is item 12 (the escaping branch)
            continue
        assert_one_line_error(r, f"{cfg}:1: field name:")
        assert "not an identifier" in r.stderr
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.timeout(30)
def test_a_name_from_the_file_name_must_be_an_identifier_too(tmp_path: Path) -> None:
    cfg = write_loop(tmp_path, name=None)
    odd = cfg.rename(tmp_path / "my loop.yaml")
    r = recon("plan", odd)
    assert_one_line_error(r, odd)
    assert "set name:" in r.stderr
    assert not (tmp_path / ".recon").exists()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("text, field", [
    ("duration: 60\nloop:\n  name: ../escape\n", ":3: field loop.name:"),
    ("duration: 60\nloops:\n  - {name: ok}\n  - {name: '[/]'}\n", ":4: field loops.1.name:"),
])
def test_scenario_loop_names_are_identifiers(tmp_path: Path, text: str, field: str) -> None:
    from recon.sim.scenario import ScenarioError, load_scenario

    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert f"{p}{field}" in str(e.value) and "not an identifier" in str(e.value)


@pytest.mark.parametrize("name", ["dns-example", "a", "v1.2_prod", "A" * 64])
def test_ordinary_loop_names_are_accepted(name: str) -> None:
    from recon.config import check_loop_name

    assert check_loop_name(name) == name


def test_only_a_held_lock_counts_as_busy(tmp_path: Path) -> None:
    """watch keeps going through a lock held past the timeout, and through nothing else."""
    from recon.store import StoreBusy
    from recon.store.schema import store_error

    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    readonly.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
    assert isinstance(store_error(tmp_path, locked), StoreBusy)
    assert not isinstance(store_error(tmp_path, readonly), StoreBusy)


@pytest.mark.timeout(60)
def test_a_plan_whose_desired_state_fails_makes_no_store_and_the_next_good_plan_files_its_request(
        tmp_path: Path) -> None:
    cfg = write_loop(tmp_path)
    (tmp_path / "desired.yaml").write_text("resources: [\n")
    assert_one_line_error(recon("plan", cfg), tmp_path / "desired.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LOOP.yaml", "desired.yaml", "observed.yaml"]
    # Fixed, the plan makes the store as before and files the delete for approval there.
    (tmp_path / "desired.yaml").write_text(yaml.safe_dump(DESIRED))
    assert recon("plan", cfg).returncode == 3
    store = tmp_path / ".recon" / f"{LOOP}.db"
    assert sqlite3.connect(store).execute("SELECT loop FROM approval_requests").fetchall() == [(LOOP,)]
