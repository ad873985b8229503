"""The git desired source on repositories the test makes with the git CLI (issue 14 item 1)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from recon.config import build_loop, load_loop_config
from recon.drivers.loop import run_once
from recon.sources.git import GitSource, desired_history
from recon.store.sqlite import StateStore
from tests.providers.helpers import recon
from tests.servers.process import free_port
from tests.sources.gitrepos import Repo, git, inventory
from tests.sources.helpers import OBSERVED, assert_fails_as_desired_error, plan_json, source_loop

HOSTS = [f"host{i}" for i in range(4)]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "inv")
    r.commit({"zones/a.yaml": inventory(*HOSTS[:2]), "zones/b.yaml": inventory(*HOSTS[2:]),
              "zones/README.md": "docs, never read\n", "zones/.hidden.yaml": "not: read\n",
              "other.yaml": "resources: [oops\n"}, "four hosts")
    return r


def test_plan_reads_the_files_at_the_ref_and_the_commit_is_the_version(tmp_path: Path, repo: Repo) -> None:
    head = git(repo.path, "rev-parse", "HEAD")
    (repo.path / "zones" / "a.yaml").write_text("resources: [uncommitted\n")  # the work tree is not read
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    plan = plan_json(cfg)
    assert plan["desired"]["version"] == head and plan["desired"]["count"] == 4
    assert plan["desired"]["source"] == f"git ../inv@main:zones (commit {head[:12]})"
    assert plan["counts"] == {"create": 0, "update": 0, "delete": 0}
    text = recon("plan", cfg, cwd=cfg.parent)
    assert f"(commit {head[:12]})" in text.stdout


def test_a_commit_removing_most_files_is_a_shrink(tmp_path: Path, repo: Repo) -> None:
    cfg_path = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    cfg, base = load_loop_config(cfg_path)
    loop = build_loop(cfg, base, store=StateStore(":memory:"))
    first = run_once(loop, 1000.0).record
    assert first.desired_count == 4 and first.would_delete == 0
    repo.commit({"zones/b.yaml": None, "zones/a.yaml": inventory("host0")}, "drop most hosts")
    second = run_once(loop, 1060.0).record
    assert second.desired_count == 1 and second.desired_version == git(repo.path, "rev-parse", "HEAD")
    shrink = next(v for v in second.verdicts if v.guard == "desired_shrink")
    assert shrink.outcome.value in ("hold", "abort") and second.deleted_keys == ()


@pytest.mark.parametrize("settings, words", [
    ({"ref": "nosuch"}, ["git ../inv@nosuch:zones", "ref 'nosuch' not found"]),
    ({"ref": "main", "path": "nowhere"}, ["git ../inv@main:nowhere", "path 'nowhere' does not exist at commit"]),
    ({"ref": "main", "path": ""}, ["git ../inv@main", "other.yaml:2: malformed YAML"]),  # a malformed file at the ref
    ({"ref": "main", "path": "zones/a.yaml", "repo": "../missing"}, ["git ../missing@main", "git cat-file failed"]),
])
def test_a_failing_git_source_is_an_error_and_a_desired_error(tmp_path: Path, repo: Repo, settings: dict,
                                                            words: list[str]) -> None:
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "path": "zones", **settings})
    assert_fails_as_desired_error(cfg, *words)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("url", ["file:///nonexistent/recon-test/inv.git", "git://127.0.0.1:{port}/inv.git"])
def test_an_unreachable_remote_is_a_desired_error(tmp_path: Path, url: str) -> None:
    url = url.format(port=free_port())  # nothing listens there: the fetch is refused at once
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": url, "ref": "main", "timeout": 20})
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and not (cfg.parent / ".recon" / "git").exists(), r.stderr  # a failed first fetch leaves no cache
    line = assert_fails_as_desired_error(cfg, f"git {url}@main", "git fetch failed")
    assert "fatal:" in line


@pytest.mark.timeout(120)
def test_a_remote_that_never_answers_times_out(tmp_path: Path) -> None:
    # A loopback listener that accepts and then says nothing: git waits until recon's timeout kills it.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"git://127.0.0.1:{server.getsockname()[1]}/inv.git"
        cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": url, "ref": "main", "timeout": 1})
        started = time.monotonic()
        assert_fails_as_desired_error(cfg, f"git {url}@main", "git fetch timed out after 1s")
        assert time.monotonic() - started < 60


def test_a_remote_is_fetched_into_a_bare_cache_on_every_load(tmp_path: Path, repo: Repo) -> None:
    url = f"file://{repo.path}"
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": url, "ref": "main", "path": "zones"})
    assert plan_json(cfg)["desired"]["count"] == 4
    caches = list((cfg.parent / ".recon" / "git").iterdir())
    assert len(caches) == 1 and git(caches[0], "rev-parse", "--is-bare-repository") == "true"
    new = repo.commit({"zones/c.yaml": inventory("host9")}, "one more")
    plan = plan_json(cfg)
    assert plan["desired"]["version"] == new and plan["desired"]["count"] == 5
    cfg_head = source_loop(tmp_path / "head", {"type": "git", "repo": url, "path": "zones"})  # ref: the remote's HEAD
    assert plan_json(cfg_head)["desired"]["version"] == new


@pytest.mark.parametrize("settings, words", [
    ({"ref": "--upload-pack=touch /tmp/pwned"}, ["field desired.ref", "not a branch, tag or commit"]),
    ({"ref": "-x"}, ["field desired.ref"]),
    ({"ref": "main..other"}, ["field desired.ref"]),
    ({"repo": "--upload-pack=touch /tmp/pwned"}, ["field desired.repo", "starting with '-'"]),
    ({"repo": "ext::sh -c touch% /tmp/pwned"}, ["field desired.repo", "transport 'ext::' is refused"]),
    ({"repo": "https://bob:hunter2@git.example.test/inv.git"}, ["field desired.repo", "a password in a URL"]),
    ({"repo": "https://ghp_token@git.example.test/inv.git"}, ["field desired.repo", "credential helper"]),
    ({"path": "../outside"}, ["field desired.path", "inside the repository"]),
])
def test_settings_that_would_reach_git_unchecked_are_refused(tmp_path: Path, settings: dict, words: list[str]) -> None:
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", **settings})
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and all(w in r.stderr for w in words), r.stderr
    assert "hunter2" not in r.stderr and "ghp_token" not in r.stderr
    assert not Path("/tmp/pwned").exists() and not (cfg.parent / ".recon").exists()


def test_a_symlink_or_a_stray_file_in_the_folder_is_an_error_naming_it(tmp_path: Path, repo: Repo) -> None:
    (repo.path / "zones" / "link.yaml").symlink_to("a.yaml")
    repo.commit({"zones/notes.conf": "x\n"}, "a link and a stray file")
    git(repo.path, "add", "zones/link.yaml")
    repo.commit({}, "the link")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    assert_fails_as_desired_error(cfg, "zones/link.yaml: is a symlink")
    cfg = source_loop(tmp_path / "loop2", {"type": "git", "repo": "../inv", "ref": "main~1", "path": "zones"})
    assert_fails_as_desired_error(cfg, "zones/notes.conf: not an inventory file")


def history_repo(tmp_path: Path) -> tuple[Repo, list[str]]:
    r = Repo(tmp_path / "inv")
    shas = [r.commit({"zones/a.yaml": inventory("a1", "a2", "a3")}, "three")]
    shas.append(r.commit({"unrelated.txt": "x\n"}, "outside the path"))
    shas.append(r.commit({"zones/a.yaml": inventory("a1", "a2", ttl=300), "zones/b.yaml": inventory("b1")},
                         "ttl up, a3 out, b1 in"))
    shas.append(r.commit({"zones/a.yaml": "resources: [broken\n"}, "a typo"))
    shas.append(r.commit({"zones/a.yaml": inventory("a1", "a2", ttl=300)}, "typo fixed"))
    shas.append(r.commit({"zones/a.yaml": None}, "drop a"))
    return r, shas


def test_desired_history_counts_each_commits_changes_against_its_parent(tmp_path: Path) -> None:
    repo, shas = history_repo(tmp_path)
    cfg_path = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    cfg, base = load_loop_config(cfg_path)
    changes = desired_history(GitSource(cfg.desired, base))
    got = [(c.commit, c.subject, c.creates, c.updates, c.deletes, c.resources) for c in changes]
    assert got[0] == (shas[5], "drop a", 0, 0, 2, 1)
    assert got[1][:2] == (shas[4], "typo fixed") and got[1][2:] == (None,) * 4 and "parent: zones/a.yaml:2: malformed YAML" in changes[1].error
    assert got[2][:2] == (shas[3], "a typo") and "zones/a.yaml:2: malformed YAML" in changes[2].error
    assert got[3] == (shas[2], "ttl up, a3 out, b1 in", 1, 2, 1, 3)
    assert got[4] == (shas[0], "three", 3, 0, 0, 3) and changes[4].parent is None  # the root commit: all creates
    assert len(changes) == 5  # the commit outside the path is not listed
    assert changes[0].parent == shas[4] and changes[0].time == 1767268800.0 + 5 * 86400


def test_desired_history_command_prints_a_table_and_json(tmp_path: Path) -> None:
    repo, shas = history_repo(tmp_path)
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    r = recon("desired-history", cfg, "--json", "--max-commits", "2", cwd=cfg.parent)
    assert r.code == 0, r.stderr
    data = r.json()
    assert [c["commit"] for c in data["commits"]] == [shas[5], shas[4]]
    assert data["commits"][0] | {"error": None} == {"commit": shas[5], "parent": shas[4], "time": 1767700800.0,
                                                    "subject": "drop a", "creates": 0, "updates": 0, "deletes": 2,
                                                    "resources": 1, "error": None}
    table = recon("desired-history", cfg, cwd=cfg.parent, env={"COLUMNS": "200"})
    assert table.code == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if shas[2][:12] in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[:7] == [shas[2][:12], "2026-01-03 12:00", "1", "2", "1", "3", "ttl up, a3 out, b1 in"], row


@pytest.mark.parametrize("desired, words", [
    ({"path": "desired.yaml"}, ["desired-history reads a git source", "inventory"]),
    ({"type": "git", "repo": "../inv", "ref": "nosuch"}, ["git ../inv@nosuch", "ref 'nosuch' not found"]),
])
def test_desired_history_bad_inputs_exit_1_with_one_line(tmp_path: Path, desired: dict, words: list[str]) -> None:
    history_repo(tmp_path)
    cfg = source_loop(tmp_path / "loop", desired)
    r = recon("desired-history", cfg, cwd=cfg.parent)
    assert r.code == 1 and len(r.stderr.strip().splitlines()) == 1 and all(w in r.stderr for w in words), r.stderr
