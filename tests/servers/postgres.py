"""A throwaway PostgreSQL cluster: ``initdb`` in a temp dir, run as user postgres on a loopback port.

Fixtures:

- ``pg_cluster`` (session) -> :class:`PgCluster`: ``host``, ``port``, ``superuser`` and
  ``password`` (scram-sha-256 auth over TCP), ``admin()`` for an autocommit superuser connection,
  ``catalogue()`` for a comparable dump of roles, memberships and role comments.
- ``pg_roles`` -> :class:`RoleSet`: a unique role-name prefix per test, ``sql(...)`` to build a
  known state (``{p}`` in a statement is the prefix), ``make_auditor(password)`` for a login role
  outside the prefix; its roles are dropped after the test.

The server logs every statement with the application name (``server_statements``), so a test can
show from the server's side what an observer sent.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary
from tests.servers.process import free_port, random_b64, spawn, stop, wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_ids = itertools.count(1)

CATALOGUE_SQL = """
SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, r.rolpassword,
       ARRAY(SELECT unnest(s.setconfig) FROM pg_db_role_setting s WHERE s.setrole = r.oid ORDER BY 1),
       shobj_description(r.oid, 'pg_authid'),
       ARRAY(SELECT g.rolname || ':' || m.admin_option FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid ORDER BY 1)
FROM pg_authid r ORDER BY r.rolname
"""


def _bin(name: str) -> str:
    p = PG_BIN / name
    return str(p) if p.exists() else require_binary(name)


class PgCluster:
    """initdb + postgres as the ``postgres`` user, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="recon-pg-"))
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.host, self.port, self.superuser = "127.0.0.1", free_port(), "postgres"
        self.password = random_b64(18)
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "postgres.log"

    def _as_postgres(self) -> None:
        pw = pwd.getpwnam("postgres")
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    def start(self) -> PgCluster:
        pw = pwd.getpwnam("postgres")
        self.sock.mkdir()
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        for p in (self.dir, self.sock, pwfile):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        subprocess.run([_bin("initdb"), "-D", str(self.data), "-U", self.superuser, "--pwfile", str(pwfile),
                        "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
                        "--no-instructions"], check=True, capture_output=True, preexec_fn=self._as_postgres)
        pwfile.unlink()
        self.proc = spawn([_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.sock),
                           "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "log_statement=all",
                           "-c", "log_line_prefix=[%a %u] "],
                          self.log, preexec=self._as_postgres)
        wait_for(self._ready, "postgres", proc=self.proc, log=self.log)
        return self

    def _ready(self) -> bool:
        with self.admin():
            return True

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.superuser, password=self.password,
                               dbname="postgres", autocommit=True, connect_timeout=3)

    def catalogue(self) -> list[tuple[Any, ...]]:
        with self.admin() as c:
            return [tuple(r) for r in c.execute(CATALOGUE_SQL).fetchall()]

    def stop(self) -> None:
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class RoleSet:
    """The roles of one test: all named with ``prefix``; ``sql`` runs statements as superuser."""

    cluster: PgCluster
    prefix: str

    def sql(self, *statements: str) -> None:
        with self.cluster.admin() as c:
            for s in statements:
                c.execute(s.replace("{p}", self.prefix))

    @property
    def auditor(self) -> str:
        """A login role outside the prefix, for the observer to connect as (see :meth:`make_auditor`)."""
        return f"audit_{self.prefix}"

    def make_auditor(self, password: str) -> str:
        with self.cluster.admin() as c:
            c.execute(f'CREATE ROLE "{self.auditor}" LOGIN PASSWORD %s'.replace("%s", _literal(password)))
        return self.auditor

    def drop_all(self) -> None:
        with self.cluster.admin() as c:
            names = [r[0] for r in c.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)",
                                             (self.prefix,)).fetchall()] + [self.auditor]
            for n in names:
                c.execute(f'DROP ROLE IF EXISTS "{n}"')


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def server_statements(cluster: PgCluster, application: str, user: str) -> list[str]:
    """Every statement the server logged for sessions of *application* as *user* (log_statement=all)."""
    out: list[str] = []
    current: list[str] | None = None
    for line in cluster.log.read_text(errors="replace").splitlines():
        if current is not None and line.startswith("\t"):
            current.append(line.strip())
            continue
        if current is not None:
            out.append(" ".join(current).strip())
            current = None
        if line.startswith(f"[{application} {user}] ") and "statement: " in line:
            current = [line.split("statement: ", 1)[1].strip()]
    if current is not None:
        out.append(" ".join(current).strip())
    return out


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if not (PG_BIN / "postgres").exists():
        require_binary("postgres")
        require_binary("initdb")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        from tests.conftest import missing
        missing("needs the 'postgres' system user (Debian package postgresql)")
    c = PgCluster()
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture
def pg_roles(pg_cluster: PgCluster) -> Iterator[RoleSet]:
    rs = RoleSet(pg_cluster, f"t{next(_ids)}_")
    yield rs
    rs.drop_all()
