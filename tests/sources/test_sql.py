"""The SQL desired source on the test PostgreSQL with a role that can only read, and on SQLite (issue 14 item 4)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.providers.helpers import recon
from tests.servers.postgres import PgCluster, RoleSet, server_statements
from tests.servers.process import free_port
from tests.sources.helpers import OBSERVED, assert_fails_as_desired_error, plan_json, source_loop

ROWS = [("A", "host0", '{"ttl": 60}'), ("A", "host1", '{"ttl": 60}'), ("A", "host2", '{"ttl": 300}'),
        ("A", "host3", '{"ttl": 60}')]


@dataclass
class Cmdb:
    """A table of hosts in the test cluster, a reader that may only SELECT it, and a writer that may insert."""

    cluster: PgCluster
    roles: RoleSet
    table: str
    password: str

    def url(self, user: str | None = None, port: int | None = None) -> str:
        return (f"postgresql+psycopg://{user or self.reader}@{self.cluster.host}:{port or self.cluster.port}"
                "/postgres")

    @property
    def reader(self) -> str:
        return f"{self.roles.prefix}reader"

    @property
    def writer(self) -> str:
        return f"{self.roles.prefix}writer"

    def env(self, password: str | None = None) -> dict[str, str]:
        return {"PGPASSWORD": password or self.password, "PGPASSFILE": "/nonexistent", "PGSERVICEFILE": "/nonexistent"}

    def count(self) -> int:
        with self.cluster.admin() as c:
            return int(c.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])


@pytest.fixture
def cmdb(pg_roles: RoleSet) -> Iterator[Cmdb]:
    p, password = pg_roles.prefix, "pw-" + pg_roles.prefix + "-cmdb"
    table = f"{p}hosts"
    pg_roles.sql(f"CREATE TABLE {table} (kind text, name text, spec jsonb, owner text)",
                 *(f"INSERT INTO {table} VALUES ('{k}', '{n}', '{s}', NULL)" for k, n, s in ROWS),
                 f"CREATE ROLE {{p}}reader LOGIN PASSWORD '{password}'", f"GRANT SELECT ON {table} TO {{p}}reader",
                 f"CREATE ROLE {{p}}writer LOGIN PASSWORD '{password}'", f"GRANT SELECT, INSERT ON {table} TO {{p}}writer",
                 # A function that writes: only a read-only transaction stops a query that calls it.
                 f"CREATE FUNCTION {{p}}touch() RETURNS boolean LANGUAGE sql AS "
                 f"$$ INSERT INTO {table} VALUES ('A', 'sneaked', '{{}}', NULL) RETURNING true $$",
                 f"GRANT EXECUTE ON FUNCTION {{p}}touch() TO {{p}}writer")
    yield Cmdb(pg_roles.cluster, pg_roles, table, password)
    pg_roles.sql(f"DROP FUNCTION IF EXISTS {{p}}touch()", f"DROP TABLE IF EXISTS {table}")


def cfg_query(cfg: Path) -> str:
    return yaml.safe_load(cfg.read_text())["desired"]["query"]


def sql_loop(tmp_path: Path, cmdb: Cmdb, **settings: object) -> Path:
    desired = {"type": "sql", "url": cmdb.url(), "query": f"SELECT kind, name, spec FROM {cmdb.table} ORDER BY name",
               "timeout": 5, **settings}
    return source_loop(tmp_path / "loop", desired)


@pytest.mark.server
def test_a_read_only_role_reads_the_rows_in_one_read_only_transaction(tmp_path: Path, cmdb: Cmdb) -> None:
    cfg = sql_loop(tmp_path, cmdb, query=f"SELECT kind, name, spec FROM {cmdb.table} WHERE name LIKE 'host%'")
    plan = plan_json(cfg, env=cmdb.env())
    assert plan["desired"]["count"] == 4 and plan["desired"]["source"].startswith(f"sql {cmdb.url()} (4 rows)")
    update = [c for c in plan["changes"] if c["op"] == "update"]
    assert [(c["name"], c["fields"]) for c in update] == [("host2", [{"path": "ttl", "old": 60, "new": 300}])]
    assert len(plan["desired"]["version"]) == 12
    sent = server_statements(cmdb.cluster, "recon-desired", cmdb.reader)
    # SQLAlchemy's first connection reads the server's settings in a transaction it rolls back; then the read.
    at = max(i for i, s in enumerate(sent) if s == "BEGIN")
    assert sent[at:] == ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                         "SHOW transaction_read_only", cfg_query(cfg), "ROLLBACK"], sent
    assert not any(s.upper().startswith(("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER")) for s in sent)


@pytest.mark.server
def test_the_spec_from_a_list_of_columns(tmp_path: Path, cmdb: Cmdb) -> None:
    query = f"SELECT kind AS k, name AS n, (spec->>'ttl')::int AS ttl, 1.5::numeric AS weight FROM {cmdb.table}"
    cfg = sql_loop(tmp_path, cmdb, query=query, columns={"kind": "k", "name": "n", "spec": ["ttl", "weight"]})
    plan = plan_json(cfg, env=cmdb.env())
    assert plan["desired"]["count"] == 4
    assert {c["name"] for c in plan["changes"] if c["op"] == "update"} == {f"host{i}" for i in range(4)}  # weight


@pytest.mark.server
def test_a_query_that_would_write_fails_even_for_a_role_that_may_write(tmp_path: Path, cmdb: Cmdb) -> None:
    query = f"SELECT kind, name, spec FROM {cmdb.table} WHERE {cmdb.roles.prefix}touch()"
    cfg = sql_loop(tmp_path, cmdb, url=cmdb.url(cmdb.writer), query=query)
    assert_fails_as_desired_error(cfg, f"sql {cmdb.url(cmdb.writer)}", "read-only transaction", env=cmdb.env())
    assert cmdb.count() == len(ROWS)


@pytest.mark.server
@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", ["no such table", "wrong password", "nothing listening", "too many rows",
                                  "missing column", "spec not an object", "duplicate", "slow query"])
def test_a_failing_sql_source_is_an_error_and_a_desired_error(tmp_path: Path, cmdb: Cmdb, case: str) -> None:
    t, env = cmdb.table, cmdb.env()
    settings: dict[str, object] = {}
    words = [f"sql {cmdb.url()}"]
    if case == "no such table":
        settings["query"], words = f"SELECT kind, name, spec FROM {t}_gone", words + ["does not exist"]
    elif case == "wrong password":
        env, words = cmdb.env("not-the-password"), words + ["password authentication failed"]
    elif case == "nothing listening":
        port = free_port()
        settings["url"], words = cmdb.url(port=port), [f"sql {cmdb.url(port=port)}", "Connection refused"]
    elif case == "too many rows":
        settings["max_rows"], words = 3, words + ["more than max_rows (3) rows"]
    elif case == "missing column":
        settings["query"], words = f"SELECT kind, name FROM {t}", words + ["returns no column spec"]
    elif case == "spec not an object":
        settings["query"], words = f"SELECT kind, name, '[1]'::jsonb AS spec FROM {t}", words + ["row 1: column spec"]
    elif case == "slow query":
        settings["query"], settings["timeout"] = f"SELECT kind, name, spec FROM {t} WHERE pg_sleep(5) IS NOT NULL", 1
        words += ["statement timeout"]
    else:
        settings["query"] = f"SELECT kind, 'same' AS name, spec FROM {t}"
        words += ["row 2: duplicate resource A/same (first in row 1)"]
    cfg = sql_loop(tmp_path, cmdb, **settings)
    line = assert_fails_as_desired_error(cfg, *words, env=env)
    assert cmdb.password not in line and "not-the-password" not in line


@pytest.mark.parametrize("settings, words", [
    ({"url": "postgresql+psycopg://bob:hunter2@127.0.0.1/db"}, ["field desired.url", "carries a password"]),
    ({"url": "postgresql+psycopg://bob@127.0.0.1/db?password=hunter2"}, ["field desired.url", "secret in its query"]),
    ({"url": "mysql://bob@127.0.0.1/db"}, ["field desired.url", "backend 'mysql' is not supported"]),
    ({"query": "SELECT 1; DELETE FROM hosts"}, ["field desired.query", "one statement only"]),
    ({"columns": {"kind": "k", "size": "s"}}, ["field desired.columns.size", "unknown field"]),
])
def test_sql_settings_refused_before_connecting(tmp_path: Path, settings: dict, words: list[str]) -> None:
    desired = {"type": "sql", "url": "postgresql+psycopg://bob@127.0.0.1/db", "query": "SELECT 1", **settings}
    cfg = source_loop(tmp_path / "loop", desired)
    r = recon("plan", cfg, cwd=cfg.parent)
    assert r.code == 1 and len(r.stderr.strip().splitlines()) == 1 and all(w in r.stderr for w in words), r.stderr
    assert "hunter2" not in r.stderr and not (cfg.parent / ".recon").exists()


def test_a_sqlite_cmdb_is_opened_read_only(tmp_path: Path) -> None:
    db = tmp_path / "loop" / "cmdb.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE hosts (kind text, name text, ttl int)")
        c.executemany("INSERT INTO hosts VALUES (?, ?, ?)", [("A", f"host{i}", 60) for i in range(4)])
    cfg = source_loop(tmp_path / "loop", {"type": "sql", "url": "sqlite:///cmdb.db", "query": "SELECT * FROM hosts",
                                          "columns": {"spec": ["ttl"]}})
    plan = plan_json(cfg)
    assert plan["desired"]["count"] == 4 and plan["counts"] == {"create": 0, "update": 0, "delete": 0}
    assert len(OBSERVED) == 4
    cfg = source_loop(tmp_path / "loop", {"type": "sql", "url": "sqlite:///cmdb.db", "query": "WITH x AS (SELECT 1) DELETE FROM hosts"})
    assert_fails_as_desired_error(cfg, "sql sqlite:///", "readonly database")
    cfg = source_loop(tmp_path / "loop", {"type": "sql", "url": "sqlite:///missing.db", "query": "SELECT 1"})
    assert_fails_as_desired_error(cfg, "missing.db", "unable to open database file")
    assert not (tmp_path / "loop" / "missing.db").exists()
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM hosts").fetchone()[0] == 4


@pytest.mark.server
@pytest.mark.parametrize("value, words", [
    ("""'{"ttl": 1, "ttl": 2}'::json""", ["duplicate key"]),
    ("""repeat('[', 3000)::text || repeat(']', 3000)""", ["deeper"]),
    ("""(repeat('[', 3000) || repeat(']', 3000))::json""", ["deeper"]),
    ("""'NaN'::float8""", ["finite"]),
])
def test_a_json_or_number_the_inventory_rules_refuse_is_a_desired_error(tmp_path: Path, cmdb: Cmdb, value: str,
                                                                        words: list[str]) -> None:
    # psycopg decodes json columns itself: a key given twice kept the last value, deep nesting was a traceback.
    spec = value if "float8" not in value else f"json_build_object('ttl', {value})::text"
    cfg = sql_loop(tmp_path, cmdb, query=f"SELECT 'A' AS kind, 'h' AS name, {spec} AS spec")
    if "float8" in value:  # a float column in the spec's list of columns
        cfg = sql_loop(tmp_path, cmdb, query=f"SELECT 'A' AS kind, 'h' AS name, {value} AS ttl",
                       columns={"spec": ["ttl"]})
    assert_fails_as_desired_error(cfg, f"sql {cmdb.url()}", "row 1", *words, env=cmdb.env())


@pytest.mark.server
def test_a_jsonb_column_in_the_spec_columns_is_still_an_object(tmp_path: Path, cmdb: Cmdb,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from recon.config import build_loop, load_loop_config

    for k, v in cmdb.env().items():
        monkeypatch.setenv(k, v)
    cfg = sql_loop(tmp_path, cmdb, query="""SELECT 'A' AS kind, 'h' AS name, '{"a": [1, {"b": 2}]}'::jsonb AS meta""",
                   columns={"spec": ["meta"]})
    loaded, base = load_loop_config(cfg)
    (r,) = build_loop(loaded, base).source.load().resources.values()
    assert r.to_dict()["spec"] == {"meta": {"a": [1, {"b": 2}]}}


@pytest.mark.server
@pytest.mark.parametrize("query", ["COPY (SELECT 1) TO PROGRAM 'touch {m}'", "/* a */ COPY (SELECT 1) TO '{m}'",
                                   "/* /* */ SELECT */ COPY (SELECT 1) TO '{m}'", "-- x\n COPY (SELECT 1) TO '{m}'"])
def test_a_statement_other_than_a_query_never_runs_even_as_superuser(tmp_path: Path, cmdb: Cmdb, query: str) -> None:
    # COPY TO is allowed in a read-only transaction: it writes a server file or runs a program there.
    marker = Path(f"/tmp/recon-review-{cmdb.roles.prefix}-{os.getpid()}")
    url = f"postgresql+psycopg://{cmdb.cluster.superuser}@{cmdb.cluster.host}:{cmdb.cluster.port}/postgres"
    cfg = sql_loop(tmp_path, cmdb, url=url, query=query.format(m=marker))
    r = recon("plan", cfg, cwd=cfg.parent, env={**cmdb.env(), "PGPASSWORD": cmdb.cluster.password})
    assert r.code == 1 and "Traceback" not in r.stderr and "desired.query" in r.stderr, r.stderr
    assert not marker.exists()
