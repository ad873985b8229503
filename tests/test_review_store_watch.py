"""Hostile review of issue 9's fixes: a misspelt kill-switch name, a watch whose last cycles failed,
bad file modes and undecodable file names, each run through the command line as a user does."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

RECON = [sys.executable, "-m", "recon"]
ROOT = Path(__file__).resolve().parents[1]


def recon(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*RECON, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=60)


def one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], r.stderr
    return lines[0]


def snapshot_loop(folder: Path, name: str = "w1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    inv = yaml.safe_dump({"resources": [{"kind": "A", "name": "a", "spec": {"ttl": 1}}]})
    (folder / "d.yaml").write_text(inv)
    (folder / "o.yaml").write_text(inv)
    cfg = folder / "LOOP.yaml"
    cfg.write_text(f"name: {name}\nprovider: {{type: snapshot, path: o.yaml}}\ndesired: {{path: d.yaml}}\n")
    return cfg


def switches(store: Path) -> dict[str, int]:
    return dict(sqlite3.connect(store).execute("SELECT loop, engaged FROM kill_switch").fetchall())


# 1. the kill switch by name --------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_pause_and_resume_refuse_a_name_the_store_has_never_seen(tmp_path: Path) -> None:
    cfg = snapshot_loop(tmp_path)
    assert recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path).returncode == 0
    store = tmp_path / ".recon" / "w1.db"
    for cmd in ("pause", "resume"):
        r = recon(cmd, "--state", store, "W1", cwd=tmp_path)
        line = one_line_error(r, "no loop named 'W1'", str(store), "known: w1")
        assert "pass its loop config" in line
    assert switches(store) == {}
    # The right name works, and so does `*`.
    assert recon("pause", "--state", store, "w1", cwd=tmp_path).returncode == 0
    assert switches(store) == {"w1": 1}
    assert recon("resume", "--state", store, "w1", cwd=tmp_path).returncode == 0
    assert recon("pause", "--state", store, "*", cwd=tmp_path).returncode == 0
    assert switches(store) == {"w1": 0, "*": 1}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["w1 ", "w1[/]", "w1\nw2", "../w1", ""])
def test_pause_and_resume_refuse_a_name_that_is_not_an_identifier(tmp_path: Path, name: str) -> None:
    cfg = snapshot_loop(tmp_path)
    assert recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path).returncode == 0
    store = tmp_path / ".recon" / "w1.db"
    for cmd in ("pause", "resume"):
        r = recon(cmd, "--state", store, name, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert "is not an identifier" in r.stderr
    assert switches(store) == {}


@pytest.mark.timeout(60)
def test_a_name_on_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    one_line_error(recon("pause", "--state", tmp_path / "new.db", "w1", cwd=tmp_path), "new.db")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.timeout(60)
def test_pausing_through_the_loop_config_works_before_the_first_cycle(tmp_path: Path) -> None:
    cfg = snapshot_loop(tmp_path)
    assert recon("pause", cfg, cwd=tmp_path).returncode == 0
    assert switches(tmp_path / ".recon" / "w1.db") == {"w1": 1}


@pytest.mark.timeout(120)
def test_approvals_refuse_a_loop_filter_the_store_has_never_seen(tmp_path: Path) -> None:
    cfg = snapshot_loop(tmp_path)
    assert recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path).returncode == 0
    one_line_error(recon("approvals", "--config", cfg, "--loop", "W1", cwd=tmp_path), "no loop named 'W1'", "known: w1")
    r = recon("approvals", "--config", cfg, "--loop", "w1", cwd=tmp_path)
    assert r.returncode == 0 and "no approval requests" in r.stdout, r.stderr


# 2. watch's exit code ----------------------------------------------------------------------------
def watch_breaking_after_cycle_1(tmp_path: Path, broken: str, cycles: int = 3) -> tuple[int, str, str]:
    """Run a bounded watch and, once its first cycle printed, replace *broken* (o.yaml or d.yaml) with
    a file that does not parse, so that every later cycle fails."""
    cfg = snapshot_loop(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "COLUMNS": "300"}
    p = subprocess.Popen([*RECON, "watch", str(cfg), "--max-cycles", str(cycles), "--interval", "1"], cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None
    seen = []
    for line in p.stdout:
        seen.append(line)
        if line.startswith("cycle 1:"):
            (tmp_path / broken).write_text("resources: [\n")
            break
    rest, err = p.communicate(timeout=60)
    return p.returncode, "".join(seen) + rest, err


@pytest.mark.timeout(120)
@pytest.mark.parametrize("broken", ["o.yaml", "d.yaml"])
def test_a_watch_whose_last_cycles_failed_exits_1(tmp_path: Path, broken: str) -> None:
    code, out, err = watch_breaking_after_cycle_1(tmp_path, broken)
    assert "cycle 1: desired 1 observed 1" in out, out
    assert code == 1, (out, err)
    line = one_line_error(subprocess.CompletedProcess([], code, out, err), "last cycle failed", "2 of 3 cycles failed")
    assert broken in line


@pytest.mark.timeout(60)
def test_a_watch_whose_last_cycle_was_fine_exits_0(tmp_path: Path) -> None:
    cfg = snapshot_loop(tmp_path)
    r = recon("watch", cfg, "--max-cycles", "2", "--interval", "0.01", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


# 3. the files provider ---------------------------------------------------------------------------
def files_loop(folder: Path, mode: object) -> Path:
    (folder / "etc").mkdir(parents=True)
    f = folder / "etc" / "a.conf"
    f.write_text("hi\n")
    f.chmod(0o644)
    spec = {"mode": mode, "sha256": hashlib.sha256(b"hi\n").hexdigest()}
    # JSON is YAML, and quotes every string (PyYAML would leave "0999" unquoted).
    (folder / "d.yaml").write_text(json.dumps({"resources": [{"kind": "file", "name": "a.conf", "spec": spec}]},
                                              ensure_ascii=False))
    cfg = folder / "LOOP.yaml"
    cfg.write_text("name: f1\nprovider: {type: files, path: etc}\ndesired: {path: d.yaml}\n")
    return cfg


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["0999", "²", "٦٤٤", "64", "+644", 0o17777, -1])
def test_a_desired_mode_that_is_not_octal_is_one_error_naming_the_file(tmp_path: Path, mode: object) -> None:
    cfg = files_loop(tmp_path, mode)
    one_line_error(recon("plan", cfg, cwd=tmp_path), "file 'a.conf'", "is not a file mode")
    r = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "is not a file mode" in r.stdout + r.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["0644", "644", 0o644])
def test_an_octal_desired_mode_still_matches(tmp_path: Path, mode: object) -> None:
    r = recon("plan", files_loop(tmp_path, mode), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.timeout(120)
def test_a_file_name_that_is_not_utf8_makes_the_observation_incomplete(tmp_path: Path) -> None:
    cfg = files_loop(tmp_path, "0644")
    (tmp_path / "d.yaml").write_text("resources: [{kind: file, name: other, spec: {mode: '0644', sha256: x}}]\n")
    with open(os.path.join(os.fsencode(tmp_path / "etc"), b"b\xffd"), "wb") as f:
        f.write(b"x")
    r = recon("plan", cfg, "--json", cwd=tmp_path)
    assert "Traceback" not in r.stderr, r.stderr
    plan = json.loads(r.stdout)
    assert not plan["observation"]["complete"]
    assert "b\\xffd: the file name is not valid UTF-8" in plan["observation"]["reason"]
    assert plan["pending"]["delete"] == 0  # a.conf would go, but is not deleted
    assert not [c for c in plan["batch"] if c["op"] == "delete"]
    guard = next(g for g in plan["guards"] if g["name"] == "incomplete_observation")
    assert guard["outcome"] == "suppress_deletes", guard
    s = recon("snapshot", cfg, "--out", tmp_path / "snap.yaml", cwd=tmp_path)
    one_line_error(s, "b\\xffd", "not valid UTF-8")
    assert not (tmp_path / "snap.yaml").exists()
