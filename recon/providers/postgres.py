"""Observe the roles of one PostgreSQL cluster (attributes and memberships), read-only. Observer only.

Each role whose name starts with the configured prefix becomes a resource ``kind: role``,
``name: <rolname>``, ``spec: {login, superuser, createdb, createrole, inherit, replication,
bypassrls, connection_limit, valid_until, member_of}``; built-in ``pg_*`` roles are never in scope.
The owner comes from a marker in the role's comment (``COMMENT ON ROLE x IS 'recon-owner=pg-loop'``).

The session is opened with ``default_transaction_read_only=on``, every read runs in one
``READ ONLY, REPEATABLE READ`` transaction (one consistent snapshot), and the observer checks that
the server reports ``transaction_read_only = on`` before it reads anything. It issues SELECT and
SHOW only. The password comes from an environment variable or a file named in the config and never
appears in a message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from recon.core.model import Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.names import PgHost, PgName, PlainText
from recon.providers.settings import ProviderSettings, Secret, parse_settings, read_secret, scrub

ROLES_SQL = """
SELECT r.oid, r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text,
       shobj_description(r.oid, 'pg_authid')
FROM pg_catalog.pg_roles r
WHERE starts_with(r.rolname, %(prefix)s) AND NOT starts_with(r.rolname, 'pg_')
ORDER BY r.rolname
"""
MEMBERS_SQL = """
SELECT m.member, g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
"""

ROLE_DEFAULTS: Mapping[str, Any] = {
    "login": False, "superuser": False, "createdb": False, "createrole": False, "inherit": True,
    "replication": False, "bypassrls": False, "connection_limit": -1, "valid_until": None, "member_of": (),
}


class PostgresSettings(ProviderSettings):
    host: PgHost = Field("127.0.0.1", description="server address (or a Unix socket directory)")
    port: int = Field(5432, ge=1, le=65535)
    dbname: PgName = Field("postgres", description="a database name, never a connection string or URI")
    user: PgName = Field(description="role to connect as; it needs no privilege beyond login")
    password_env: str | None = Field(None, description="environment variable holding the password")
    password_file: str | None = Field(None, description="file holding the password")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = None
    connect_timeout: int = Field(10, ge=1)
    statement_timeout_ms: int = Field(30000, ge=1)
    prefix: PlainText = Field("", description="only roles whose names start with this are in scope")
    owner_marker: PlainText = Field("recon-owner=", min_length=1,
                              description="text in a role comment followed by the owner id")


class PostgresObserver:
    """Lists roles, their attributes and memberships, on a read-only session."""

    normalizer = Normalizer(unordered=frozenset({"member_of"}), defaults={"role": ROLE_DEFAULTS})

    def __init__(self, settings: PostgresSettings, password: Secret | None = None) -> None:
        self.settings = settings
        self._password = password
        self.name = f"postgres:{settings.user}@{settings.host}:{settings.port}/{settings.dbname}"
        self._owner_rx = re.compile(re.escape(settings.owner_marker) + r"([^\s;,]+)")

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> PostgresObserver:
        s = parse_settings(PostgresSettings, settings, "postgres")
        return cls(s, read_secret("postgres", "password", s.password_env, s.password_file, base_dir))

    def _where(self) -> str:
        s = self.settings
        return f"postgres {s.host}:{s.port} database {s.dbname} as {s.user}"

    def _connect(self) -> Any:
        """A connection whose every transaction is read-only (server default and client setting)."""
        import psycopg

        s = self.settings
        kw: dict[str, Any] = dict(host=s.host, port=s.port, dbname=s.dbname, user=s.user,
                                  connect_timeout=s.connect_timeout, application_name="recon-observe",
                                  options=f"-c default_transaction_read_only=on "
                                          f"-c statement_timeout={s.statement_timeout_ms}")
        if s.sslmode:
            kw["sslmode"] = s.sslmode
        if self._password is not None:
            kw["password"] = self._password.reveal()
        try:
            conn = psycopg.connect(**kw)
        except psycopg.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ProviderError(f"{self._where()}: cannot connect: {scrub(first, self._password)}") from None
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        return conn

    def observe(self) -> Observation:
        import psycopg

        s = self.settings
        conn = self._connect()
        try:
            with conn.transaction():
                ro = conn.execute("SHOW transaction_read_only").fetchone()
                if not ro or ro[0] != "on":
                    raise ProviderError(f"{self._where()}: the server did not open a read-only transaction; "
                                        "refusing to read")
                roles = conn.execute(ROLES_SQL, {"prefix": s.prefix}).fetchall()
                members: dict[int, list[str]] = {}
                for member, group in conn.execute(MEMBERS_SQL).fetchall():
                    members.setdefault(member, []).append(group)
        except psycopg.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ProviderError(f"{self._where()}: reading roles failed: {scrub(first, self._password)}") from None
        finally:
            conn.close()
        out = []
        for (oid, name, login, sup, cdb, crole, inherit, repl, bypass, connlimit, until, comment) in roles:
            spec = {"login": login, "superuser": sup, "createdb": cdb, "createrole": crole, "inherit": inherit,
                    "replication": repl, "bypassrls": bypass, "connection_limit": connlimit,
                    "valid_until": until, "member_of": sorted(members.get(oid, ()))}
            m = self._owner_rx.search(comment or "")
            out.append(Resource("role", name, spec, m.group(1) if m else None))
        return Observation.of(out, source=self.name, observed_at=time.time())
