"""The postgres provider against a throwaway cluster: exact plans, read-only sessions, zero writes."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from recon.providers.base import ProviderError
from recon.providers.postgres import PostgresObserver
from tests.providers.helpers import keys, recon, scan_for, write_loop
from tests.servers.postgres import PgCluster, RoleSet, server_statements
from tests.servers.process import free_port

pytestmark = pytest.mark.server
PW_ENV = "RECON_TEST_PG_PASSWORD"


def build_state(roles: RoleSet) -> None:
    roles.sql("CREATE ROLE {p}readers", "CREATE ROLE {p}writers", "CREATE ROLE {p}old",
              "CREATE ROLE {p}app LOGIN CONNECTION LIMIT 5", "GRANT {p}readers TO {p}app",
              "COMMENT ON ROLE {p}app IS 'application role; recon-owner=pg-loop'")


def provider(c: PgCluster, roles: RoleSet, **kw: object) -> dict[str, object]:
    return {"type": "postgres", "host": c.host, "port": c.port, "user": roles.auditor, "password_env": PW_ENV,
            "prefix": roles.prefix, "connect_timeout": 3, **kw}


@pytest.fixture
def auditor(pg_roles: RoleSet, monkeypatch: pytest.MonkeyPatch) -> str:
    password = "pw-" + pg_roles.prefix + "-x9"
    pg_roles.make_auditor(password)
    monkeypatch.setenv(PW_ENV, password)
    return password


def test_plan_reports_exactly_the_known_changes(pg_cluster: PgCluster, pg_roles: RoleSet, auditor: str,
                                                tmp_path: Path) -> None:
    build_state(pg_roles)
    p = pg_roles.prefix
    desired = [
        {"kind": "role", "name": f"{p}app", "owner": "pg-loop",
         "spec": {"login": True, "connection_limit": 5, "member_of": [f"{p}writers", f"{p}readers"]}},  # update
        {"kind": "role", "name": f"{p}readers", "spec": {}},                                          # defaults
        {"kind": "role", "name": f"{p}writers", "spec": {"login": False}},
        {"kind": "role", "name": f"{p}new", "spec": {"login": True}},                                  # create
    ]                                                                                                  # old: delete
    run = recon("plan", write_loop(tmp_path, provider(pg_cluster, pg_roles), desired), "--json", cwd=tmp_path)
    assert run.code == 2, run.stderr
    plan = run.json()
    assert plan["counts"] == {"create": 1, "update": 1, "delete": 1}
    assert keys(plan["changes"], "create") == {("role", f"{p}new")}
    assert keys(plan["changes"], "update") == {("role", f"{p}app")}
    assert keys(plan["changes"], "delete") == {("role", f"{p}old")}
    app = next(c for c in plan["changes"] if c["op"] == "update")
    assert app["fields"] == [{"path": "member_of", "old": [f"{p}readers"], "new": [f"{p}readers", f"{p}writers"]}]


def test_unchanged_roles_plan_in_sync_and_owner_comes_from_the_comment(pg_cluster: PgCluster, pg_roles: RoleSet,
                                                                       auditor: str, tmp_path: Path) -> None:
    build_state(pg_roles)
    loop = write_loop(tmp_path, provider(pg_cluster, pg_roles), [])
    assert recon("snapshot", loop, "--out", tmp_path / "desired.yaml", cwd=tmp_path).code == 0
    run = recon("plan", loop, "--json", cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    obs = PostgresObserver.from_config(provider(pg_cluster, pg_roles), tmp_path).observe()
    assert {r.name: r.owner for r in obs.resources.values()} == {
        f"{pg_roles.prefix}app": "pg-loop", f"{pg_roles.prefix}old": None,
        f"{pg_roles.prefix}readers": None, f"{pg_roles.prefix}writers": None}
    assert not any(n.startswith("pg_") or n == pg_roles.auditor for _, n in obs.resources)


def test_session_is_read_only(pg_cluster: PgCluster, pg_roles: RoleSet, auditor: str, tmp_path: Path) -> None:
    pg_roles.sql(f'GRANT pg_write_all_data TO "{pg_roles.auditor}"', f'ALTER ROLE "{pg_roles.auditor}" CREATEROLE')
    obs = PostgresObserver.from_config(provider(pg_cluster, pg_roles), tmp_path)
    conn = obs._connect()
    try:
        assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "on"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE ROLE {p}sneaky".replace("{p}", pg_roles.prefix))
    finally:
        conn.close()


def test_plan_snapshot_and_watch_leave_the_catalogue_unchanged(pg_cluster: PgCluster, pg_roles: RoleSet,
                                                               auditor: str, tmp_path: Path) -> None:
    build_state(pg_roles)
    before = pg_cluster.catalogue()
    loop = write_loop(tmp_path, provider(pg_cluster, pg_roles),
                      [{"kind": "role", "name": f"{pg_roles.prefix}extra", "spec": {}}],
                      guards={"max_deletes": {"max": 100, "max_fraction": 1}})
    assert recon("plan", loop, cwd=tmp_path).code == 2
    assert recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path).code == 0
    w = recon("watch", loop, "--interval", "0.05", "--max-cycles", "3", cwd=tmp_path)
    assert w.code == 0 and w.stdout.count("would create 1 update 0 delete 4") == 3, w.stdout + w.stderr
    assert pg_cluster.catalogue() == before
    # From the server's side: the observer's sessions sent reads and read-only transactions only.
    sent = server_statements(pg_cluster, "recon-observe", pg_roles.auditor)
    assert sent, "the server logged no statement of the observer"
    for s in sent:
        assert re.match(r"(?i)(SELECT|SHOW|BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY|COMMIT|ROLLBACK)\b", s), s


def test_server_down_is_an_error_naming_the_server(pg_roles: RoleSet, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv(PW_ENV, "unused")
    loop = write_loop(tmp_path, {"type": "postgres", "port": port, "user": "nobody", "password_env": PW_ENV,
                                 "connect_timeout": 2}, [{"kind": "role", "name": "x", "spec": {}}])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and f"postgres 127.0.0.1:{port} database postgres as nobody: cannot connect" in run.stderr


def test_canary_password_appears_nowhere(pg_cluster: PgCluster, pg_roles: RoleSet, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "CANARY-pg-" + pg_roles.prefix + "-7f3a9c"
    pg_roles.make_auditor(canary)
    build_state(pg_roles)
    env = {PW_ENV: canary}
    loop = write_loop(tmp_path, provider(pg_cluster, pg_roles), [{"kind": "role", "name": "x", "spec": {}}])
    runs = [recon("plan", loop, cwd=tmp_path, env=env), recon("plan", loop, "--json", cwd=tmp_path, env=env),
            recon("snapshot", loop, "--out", tmp_path / "snap.yaml", cwd=tmp_path, env=env),
            recon("watch", loop, "--interval", "0.05", "--max-cycles", "2", cwd=tmp_path, env=env),
            recon("plan", loop, "--json", cwd=tmp_path, env={PW_ENV: canary + "-wrong"})]
    assert [r.code for r in runs] == [2, 2, 0, 0, 1]
    assert "password authentication failed" in runs[-1].stderr
    texts = [t for r in runs for t in (r.stdout, r.stderr)]
    assert scan_for(canary, *texts, paths=[tmp_path]) == []


def test_password_in_config_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="field 'password' would put a credential in the config text"):
        PostgresObserver.from_config({"user": "u", "password": "hunter2"}, tmp_path)
    loop = write_loop(tmp_path, {"type": "postgres", "user": "u", "password_file": "nope.txt"}, [])
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1 and f"{tmp_path}/nope.txt: cannot read password_file of provider postgres" in run.stderr
