"""examples/git and examples/sql run as shipped, and the sources serve the audit and the snapshot-based scenarios."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from recon.audit.record import audit_loop
from recon.config import build_loop, load_loop_config
from tests.conftest import ROOT
from tests.providers.helpers import recon
from tests.servers.postgres import RoleSet
from tests.sources.gitrepos import Repo, inventory
from tests.sources.helpers import plan_json, source_loop

EXAMPLES = ROOT / "examples"
SQL_COUNTS = {"create": 1, "update": 1, "delete": 1}  # api is new, mail's ttl differs, legacy is retired


def head() -> str:
    r = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%H", "--", "examples/git/inventory"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        pytest.skip("examples/git reads the recon repository itself: needs a git checkout")
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_git_example_plans_this_repository_at_head() -> None:
    commit = head()
    plan = plan_json(EXAMPLES / "git" / "LOOP.yaml")
    assert plan["desired"]["version"] == commit and plan["desired"]["count"] == 4
    assert plan["counts"] == {"create": 2, "update": 1, "delete": 2}  # hand-made is excluded, legacy goes
    r = recon("desired-history", EXAMPLES / "git" / "LOOP.yaml", "--json", cwd=ROOT)
    assert r.code == 0 and r.json()["commits"][-1]["creates"] == 4, r.stderr


def test_the_git_kubernetes_example_plans_what_the_kubernetes_example_plans() -> None:
    commit = head()
    plan = plan_json(EXAMPLES / "git" / "KUBERNETES.yaml")
    assert plan["desired"]["version"] == commit
    on_disk = plan_json(EXAMPLES / "kubernetes" / "LOOP.yaml")
    assert plan["changes"] == on_disk["changes"] and plan["counts"] == on_disk["counts"]


def sql_example(tmp_path: Path, config: str) -> Path:
    for name in (config, "observed.yaml", "cmdb.sql"):
        shutil.copy(EXAMPLES / "sql" / name, tmp_path / name)
    return tmp_path / config


def test_the_sqlite_example(tmp_path: Path) -> None:
    cfg = sql_example(tmp_path, "LOOP-sqlite.yaml")
    with sqlite3.connect(tmp_path / "cmdb.db") as db:
        db.executescript((tmp_path / "cmdb.sql").read_text())
    assert plan_json(cfg)["counts"] == SQL_COUNTS


@pytest.mark.server
def test_the_postgres_example_with_a_select_only_role(tmp_path: Path, pg_roles: RoleSet) -> None:
    cfg = sql_example(tmp_path, "LOOP.yaml")
    c, reader, password = pg_roles.cluster, f"{pg_roles.prefix}reader", "pw-" + pg_roles.prefix
    schema = f"{pg_roles.prefix}cmdb"
    pg_roles.sql(f"CREATE SCHEMA {schema}", f"SET search_path = {schema}; " + (tmp_path / "cmdb.sql").read_text(),
                 f"CREATE ROLE {reader} LOGIN PASSWORD '{password}'", f"GRANT USAGE ON SCHEMA {schema} TO {reader}",
                 f"GRANT SELECT ON {schema}.cmdb_hosts TO {reader}", f"ALTER ROLE {reader} SET search_path = {schema}")
    try:
        data = yaml.safe_load(cfg.read_text())
        data["desired"]["url"] = f"postgresql+psycopg://{reader}@{c.host}:{c.port}/postgres"
        cfg.write_text(yaml.safe_dump(data))
        assert plan_json(cfg, env={"PGPASSWORD": password, "PGPASSFILE": "/nonexistent"})["counts"] == SQL_COUNTS
    finally:
        pg_roles.sql(f"DROP SCHEMA {schema} CASCADE", f"DROP OWNED BY {reader}")


def test_an_audit_records_the_commit_and_a_failed_source_fails_the_audit(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "inv")
    commit = repo.commit({"a.yaml": inventory("host0", "host1")}, "two")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main"})
    history = f"sqlite:///{tmp_path / 'history.db'}"
    ok = audit_loop(cfg, tmp_path / "out", history)
    assert ok.data["desired"]["version"] == commit and ok.data["error"] is None
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "gone"})
    bad = audit_loop(cfg, tmp_path / "out2", history)
    assert bad.data["exit_code"] == 1 and "git ../inv@gone: ref 'gone' not found" in bad.data["error"]


def test_snapshot_and_the_inventory_notebook_take_a_git_loop(tmp_path: Path) -> None:
    # `recon snapshot` and notebooks/explore/simulate-my-inventory build the loop from its config and
    # observe its provider; the same build_loop serves every source type, and loads the desired side.
    repo = Repo(tmp_path / "inv")
    repo.commit({"a.yaml": inventory("host0")}, "one")
    cfg_path = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv"})
    r = recon("snapshot", cfg_path, "--out", tmp_path / "snap.yaml", cwd=tmp_path)
    assert r.code == 0 and len(yaml.safe_load((tmp_path / "snap.yaml").read_text())["resources"]) == 4, r.stderr
    cfg, base = load_loop_config(cfg_path)
    assert len(build_loop(cfg, base).source.load()) == 1


@pytest.mark.slow
def test_the_loop_console_notebook_runs_on_a_git_loop(tmp_path: Path) -> None:
    import nbformat
    import papermill as pm

    repo = Repo(tmp_path / "inv")
    repo.commit({"a.yaml": inventory("host0", "host1")}, "two")
    cfg = source_loop(tmp_path / "loop", {"type": "git", "repo": "../inv", "ref": "main"})
    nb_path = ROOT / "notebooks" / "explore" / "loop-console.ipynb"
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(nb_path), str(out), parameters={"loop_config": str(cfg)}, cwd=str(nb_path.parent),
                        progress_bar=False, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"])
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", ())]
    assert not [o for o in outputs if o.output_type == "error"]
    assert "loop src-loop: state store" in str(outputs)  # the config loaded and the plan cell ran
