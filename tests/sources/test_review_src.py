"""Hostile-input review of the git and SQL desired sources and desired-history (issue 14)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recon.config import load_loop_config
from recon.sources.git import GitSource, desired_history
from tests.providers.helpers import RECON, recon
from tests.sources.gitrepos import Repo, git, inventory
from tests.sources.helpers import plan_json, source_loop


def test_git_variables_of_the_callers_repository_do_not_redirect_the_source(tmp_path: Path) -> None:
    # A git hook or a CI step runs with GIT_DIR (and friends) set: recon must still read the configured repo.
    Repo(tmp_path / "inv").commit({"zones/a.yaml": inventory("mine")}, "mine")
    other = Repo(tmp_path / "other")
    other.commit({"zones/a.yaml": inventory("theirs")}, "theirs")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    env = {"GIT_DIR": str(other.path / ".git"), "GIT_OBJECT_DIRECTORY": str(other.path / ".git" / "objects")}
    plan = plan_json(cfg, env=env)
    assert {c["name"] for c in plan["changes"] if c["op"] == "create"} == {"mine"}, plan["changes"]


def _sqlite_loop(tmp_path: Path, spec_sql: str, query: str = "SELECT * FROM t", columns: dict | None = None) -> Path:
    db = tmp_path / "cmdb.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE IF NOT EXISTS t (kind, name, spec)")
        c.execute("DELETE FROM t")
        c.execute("INSERT INTO t VALUES ('A', 'host0', ?)", (spec_sql,))
    return source_loop(tmp_path / "loop", {"type": "sql", "url": f"sqlite:///{db}", "query": query,
                                           **({"columns": columns} if columns else {})})


@pytest.mark.parametrize("spec, words", [
    ('{"ttl": 1, "ttl": 2}', ["duplicate key"]),
    ('{"ttl": NaN}', ["NaN"]),
    ('{"ttl": 1e400}', ["1e400"]),
    ("[" * 5000 + "]" * 5000, ["deeper"]),
])
def test_a_spec_column_is_read_with_the_inventory_json_rules(tmp_path: Path, spec: str, words: list[str]) -> None:
    # Last-wins keys, NaN (never equal to itself: an update every cycle) and deep nesting (a traceback).
    cfg = _sqlite_loop(tmp_path, spec)
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "sql sqlite" in r.stderr and "row 1" in r.stderr and all(w in r.stderr for w in words), r.stderr


def test_a_non_finite_number_column_is_refused(tmp_path: Path) -> None:
    cfg = _sqlite_loop(tmp_path, "x", "SELECT kind, name, 9e999 AS ttl FROM t", {"spec": ["ttl"]})
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and "Traceback" not in r.stderr and "row 1" in r.stderr and "ttl" in r.stderr, r.stderr


def test_a_commit_that_removes_the_whole_path_is_an_error_row_not_deleting_everything(tmp_path: Path) -> None:
    # At that commit the source itself fails ("path does not exist"): a calibration must not learn
    # "deleting every resource" as a legitimate change size.
    repo = Repo(tmp_path / "inv")
    repo.commit({"zones/a.yaml": inventory("a1", "a2")}, "two")
    gone = repo.commit({"zones/a.yaml": None}, "remove the folder")
    cfg, base = load_loop_config(source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "path": "zones"}))
    top = desired_history(GitSource(cfg.desired, base))[0]
    assert top.commit == gone and (top.creates, top.deletes, top.resources) == (None, None, None), top
    assert top.error is not None and "does not exist" in top.error, top


@pytest.mark.timeout(30)
def test_a_sqlite_url_naming_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "cmdb.sqlite"
    os.mkfifo(fifo)
    cfg = source_loop(tmp_path / "loop", {"type": "sql", "url": f"sqlite:///{fifo}", "query": "SELECT 1",
                                          "timeout": 2})
    r = recon("plan", cfg, cwd=cfg.parent, timeout=20)
    assert r.code == 1 and "Traceback" not in r.stderr and "not a regular file" in r.stderr, r.stderr


@pytest.mark.parametrize("query", ["VACUUM INTO '{out}'", "ATTACH '{out}' AS x"])
def test_a_sqlite_query_creates_no_file(tmp_path: Path, query: str) -> None:
    out = tmp_path / "copy.db"
    cfg = _sqlite_loop(tmp_path, "{}", query.format(out=out))
    r = recon("plan", cfg, cwd=cfg.parent)
    # Refused as not a query (desired.query) or, past that check, by the authorizer (sql sqlite...).
    assert r.code == 1 and "Traceback" not in r.stderr and ("sql sqlite" in r.stderr or "desired.query" in r.stderr)
    assert not out.exists()


def test_commands_in_the_repositorys_config_never_run(tmp_path: Path) -> None:
    # A repository's own .git/config may name programs git runs: none of them may run from recon's reads.
    repo = Repo(tmp_path / "inv")
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\nexit 1\n")
    evil.chmod(0o755)
    repo.commit({"zones/a.yaml": inventory("a1"), ".gitattributes": "*.yaml filter=evil diff=evil\n"}, "one")
    tree = git(repo.path, "rev-parse", "HEAD^{tree}")
    signed = (f"tree {tree}\nauthor T <t@t> 2 +0000\n"  # a root commit, so the log lists it
              "committer T <t@t> 2 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n"
              "\nsigned\n")
    sha = subprocess.run(["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"], input=signed,
                         capture_output=True, text=True, check=True).stdout.strip()
    git(repo.path, "update-ref", "refs/heads/main", sha)
    for key in ("gpg.program", "gpg.openpgp.program", "core.fsmonitor", "core.pager", "diff.external",
                "filter.evil.smudge", "filter.evil.clean", "diff.evil.textconv", "core.sshCommand"):
        git(repo.path, "config", key, str(evil))
    git(repo.path, "config", "log.showSignature", "true")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "zones"})
    assert recon("plan", cfg, cwd=cfg.parent).code == 2
    assert recon("desired-history", cfg, cwd=cfg.parent).code == 0
    assert not marker.exists(), marker.read_text()


@pytest.mark.timeout(120)
def test_a_blob_over_the_input_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # `path:` naming one file: its size was only checked once git had handed all of it over (memory).
    repo = Repo(tmp_path / "inv")
    big = repo.path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(300 * 1024 * 1024)  # zeros: git stores them in a few hundred kilobytes
    repo.commit({"zones/a.yaml": inventory("a1")}, "one")
    git(repo.path, "add", "big.yaml")
    git(repo.path, "commit", "-q", "-m", "big")
    big.unlink()
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main", "path": "big.yaml"})
    # A fresh process measures the peak memory of recon alone.
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr)")
    out = subprocess.run([sys.executable, "-c", probe, *RECON, "plan", str(cfg)], cwd=cfg.parent, capture_output=True,
                         text=True, env={**os.environ, "RECON_MAX_INPUT_BYTES": "100000"}, timeout=100).stdout
    (code, peak_kib), stderr = out.split("\n", 1)[0].split(), out.split("\n", 1)[1]
    assert code == "1" and "big.yaml" in stderr and "over the input limit" in stderr, out
    assert int(peak_kib) < 200 * 1024, f"recon peaked at {int(peak_kib) // 1024} MiB for a refused file"


@pytest.mark.parametrize("query", ["COPY t TO '/tmp/x'", "/* /* */ SELECT */ COPY t TO '/tmp/x'", "-- SELECT\nDO $$ $$",
                                   "CALL p()", "EXPLAIN ANALYZE SELECT 1", "  "])
def test_a_statement_that_is_not_a_query_is_refused_before_connecting(tmp_path: Path, query: str) -> None:
    cfg = source_loop(tmp_path / "loop", {"type": "sql", "url": "postgresql+psycopg://bob@127.0.0.1:1/db",
                                          "query": query})
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and len(r.stderr.strip().splitlines()) == 1 and "field desired.query" in r.stderr, r.stderr


@pytest.mark.parametrize("query", ["/* c */ SELECT kind, name, spec FROM t",
                                   "WITH x AS (SELECT * FROM t) SELECT * FROM x", "-- c\nselect * from t"])
def test_queries_with_comments_and_parentheses_still_run(tmp_path: Path, query: str) -> None:
    cfg = _sqlite_loop(tmp_path, '{"ttl": 1}', query)
    assert plan_json(cfg)["desired"]["count"] == 1
