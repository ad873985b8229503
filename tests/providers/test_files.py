"""The files provider on a real directory: exact plans, zero writes, unreadable files are incomplete."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recon.providers.files import FilesObserver
from tests.providers.helpers import keys, recon, write_loop


def tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Everything under *root*: mode, mtime and content (or link target), for before/after checks."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        body: bytes | str = os.readlink(p) if p.is_symlink() else (p.read_bytes() if p.is_file() else "")
        out[str(p.relative_to(root))] = (st.st_mode, st.st_mtime_ns, body)  # type: ignore[assignment]
    return out


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    d = tmp_path / "etc"
    (d / "conf.d").mkdir(parents=True)
    (d / "app.conf").write_text("port = 8080\n")
    (d / "conf.d" / "a.conf").write_text("a\n")
    (d / "conf.d" / "old.conf").write_text("old\n")
    (d / "secret.key").write_text("k\n")
    os.chmod(d / "secret.key", 0o600)
    (d / "current").symlink_to("app.conf")
    os.mkfifo(d / "pipe")
    return d


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_files_are_resources_with_mode_and_hash(etc: Path, tmp_path: Path) -> None:
    os.setxattr(etc / "app.conf", "user.recon.owner", b"files-loop")
    obs = FilesObserver.from_config({"path": "etc"}, tmp_path).observe()
    r = {k: (dict(v.spec), v.owner) for k, v in obs.resources.items()}
    assert r[("file", "app.conf")] == ({"mode": "0644", "sha256": sha("port = 8080\n")}, "files-loop")
    assert r[("file", "secret.key")][0]["mode"] == "0600"
    assert r[("symlink", "current")] == ({"target": "app.conf"}, None)
    assert r[("special", "pipe")] == ({"type": "fifo"}, None)  # never opened: reading a FIFO would block
    assert set(r) >= {("file", "conf.d/a.conf"), ("file", "conf.d/old.conf")}
    flat = FilesObserver.from_config({"path": "etc", "recursive": False, "exclude": ["*.key"]}, tmp_path).observe()
    assert ("file", "conf.d/a.conf") not in flat.resources and ("file", "secret.key") not in flat.resources


def test_plan_reports_exactly_the_known_changes_and_never_writes(etc: Path, tmp_path: Path) -> None:
    before = tree(etc)
    loop = write_loop(tmp_path / "l", {"type": "files", "path": str(etc)}, [])
    assert recon("snapshot", loop, "--out", tmp_path / "l" / "desired.yaml", cwd=tmp_path).code == 0
    assert recon("plan", loop, cwd=tmp_path).code == 0
    desired = [
        {"kind": "file", "name": "app.conf", "spec": {"mode": "644", "sha256": sha("port = 9090\n")}},  # update
        {"kind": "file", "name": "secret.key", "spec": {"mode": 0o600, "sha256": sha("k\n")}},
        {"kind": "file", "name": "conf.d/a.conf", "spec": {"mode": "0644", "sha256": sha("a\n")}},
        {"kind": "file", "name": "conf.d/b.conf", "spec": {"mode": "0644", "sha256": sha("b\n")}},     # create
        {"kind": "symlink", "name": "current", "spec": {"target": "app.conf"}},
        {"kind": "special", "name": "pipe", "spec": {"type": "fifo"}},                                 # old: delete
    ]
    loop = write_loop(tmp_path / "m", {"type": "files", "path": str(etc)}, desired)
    run = recon("plan", loop, "--json", cwd=tmp_path)
    assert run.code == 2, run.stdout + run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}
    assert (keys(plan["changes"], "create"), keys(plan["changes"], "update"), keys(plan["changes"], "delete")) == (
        {("file", "conf.d/b.conf")}, {("file", "app.conf")}, {("file", "conf.d/old.conf")})
    w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "3", cwd=tmp_path)
    assert w.code == 0 and w.stdout.count("would create 1 update 1 delete 1") == 3
    assert tree(etc) == before


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    loop = write_loop(tmp_path, {"type": "files", "path": "nope"}, [])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and f"files:{tmp_path}/nope: no such directory" in run.stderr


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="recon-files-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_unreadable_file_makes_the_observation_incomplete(shared_dir: Path) -> None:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.fail("needs the 'nobody' user to read as a non-root user")
    (shared_dir / "open.txt").write_text("x")
    (shared_dir / "locked.txt").write_text("y")
    os.chmod(shared_dir / "locked.txt", 0o600)
    observer = FilesObserver.from_config({"path": str(shared_dir)}, Path("/"))
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)  # as root nothing is unreadable: observe with nobody's effective uid
    try:
        obs = observer.observe()
    finally:
        os.seteuid(0)
        os.setegid(0)
    assert obs.complete is False and obs.reason is not None and "locked.txt: Permission denied" in obs.reason
    assert sorted(n for _, n in obs.resources) == ["open.txt"]
