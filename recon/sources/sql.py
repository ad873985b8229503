"""Desired state from a SQL query (a CMDB in PostgreSQL or SQLite), read in one read-only transaction.

``desired: {type: sql, url: URL, query: SELECT ..., columns: {kind: k, name: n, spec: s}}``: each
row is a resource; the ``spec`` column holds a JSON object, or ``spec`` lists the columns that make
it. PostgreSQL sessions open with ``default_transaction_read_only=on`` and a statement timeout, the
transaction is ``REPEATABLE READ, READ ONLY`` and the server must say so before the query runs;
SQLite files open read-only. At most ``max_rows`` rows are read: more is an error, never a cut
list. The password comes from the driver's environment or files, never the URL. Every failure
raises :class:`SqlSourceError` naming the source with its URL shown without secrets.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import os
import re
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Resource, freeze
from recon.core.redact import redact
from recon.sources.dburl import check_db_url, shown_url
from recon.sources.jsonread import parse_json
from recon.sources.limits import MAX_DEPTH
from recon.sources.readfile import file_kind
from recon.sources.yamlread import ParseError

__all__ = ["SqlColumns", "SqlDesired", "SqlSource", "SqlSourceError", "build_sql_source"]

BACKENDS = ("postgresql", "sqlite")


class SqlSourceError(ReconError):
    """The desired state could not be read from the database; the message names the source."""


def _check_url(url: str) -> str:
    try:
        u = check_db_url(url, "sql source", "the url", SqlSourceError)
    except SqlSourceError as e:
        raise ValueError(str(e)) from None
    if u.get_backend_name() not in BACKENDS:
        raise ValueError(f"backend {u.get_backend_name()!r} is not supported: recon reads desired state only "
                         f"where it can enforce a read-only transaction ({', '.join(BACKENDS)})")
    return url


_QUERY_WORDS = ("select", "with", "values", "table", "(")


def _first_word(query: str) -> str:
    """The statement's first word (or '('), after leading whitespace and comments, block comments
    nesting as PostgreSQL nests them (so that '/* /* */ SELECT */ COPY' is seen as COPY)."""
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
        elif query.startswith("--", i):
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
        elif query.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if query.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif query.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        else:
            break
    m = re.match(r"\(|[A-Za-z_]+", query[i:])
    return m.group().lower() if m else ""


def _check_query(query: str) -> str:
    # One statement: a second one (after a COMMIT) would run outside the read-only transaction.
    if ";" in query.strip().rstrip(";"):
        raise ValueError("one statement only: the query holds a ';' before its end (put a literal ';' in a view)")
    # A query, nothing else: COPY ... TO (a server file or program) and DO/CALL are allowed in a read-only transaction.
    word = _first_word(query)
    if word not in _QUERY_WORDS:
        raise ValueError(f"the query must be a SELECT (or WITH, VALUES, TABLE), not {word.upper() or 'empty'}")
    return query


class SqlColumns(BaseModel):
    """Which result columns hold a resource's kind, name, spec and (optionally) owner marker."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field("kind", min_length=1, description="column holding the resource kind")
    name: str = Field("name", min_length=1, description="column holding the resource name")
    spec: str | list[str] = Field("spec", description="column holding the spec as a JSON object, or the list of "
                                                      "columns that make the spec (column name: value)")
    owner: str | None = Field(None, description="column holding the owner marker, if any")


class SqlDesired(BaseModel):
    """A SQL query whose rows are the desired resources."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["sql"]
    url: Annotated[str, AfterValidator(_check_url)] = Field(
        description="SQLAlchemy URL without a password (postgresql+psycopg://user@host/db, or sqlite:///FILE "
                    "relative to the loop config); the driver reads the password from PGPASSWORD or ~/.pgpass")
    query: Annotated[str, AfterValidator(_check_query)] = Field(min_length=1, description="one SELECT statement")
    columns: SqlColumns = SqlColumns()
    max_rows: int = Field(100_000, ge=1, le=10_000_000, description="more rows than this is an error")
    timeout: float = Field(30.0, gt=0, le=3600, description="seconds to connect and to run the query")


class SqlSource:
    """Runs the query on every load, on a fresh connection in one read-only transaction."""

    def __init__(self, cfg: SqlDesired, base: Path) -> None:
        from sqlalchemy.engine import make_url

        self.cfg = cfg
        url = make_url(cfg.url)
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_absolute():
            url = url.set(database=str(base / url.database))
        self.url = url
        self.name = f"sql {shown_url(url)}"
        self._engine: Any = None

    def _connect(self) -> Any:
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        if self._engine is None:
            if self.url.get_backend_name() == "sqlite":
                import sqlite3

                path = Path(self.url.database or "")
                # mode=ro: SQLite itself refuses writes; a missing file is an error, not a new empty database.
                def connect() -> sqlite3.Connection:
                    c = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.cfg.timeout)
                    c.set_authorizer(_sqlite_no_attach)
                    return c

                self._engine = sa.create_engine("sqlite://", poolclass=NullPool, creator=connect)
            else:
                ms = int(self.cfg.timeout * 1000)
                self._engine = sa.create_engine(self.url, poolclass=NullPool, connect_args={
                    "connect_timeout": max(1, int(self.cfg.timeout)), "application_name": "recon-desired",
                    "options": f"-c default_transaction_read_only=on -c statement_timeout={ms}"})
        return self._engine.connect()

    def _dbapi_error(self) -> type[Exception]:
        """The driver's base exception, raised by its cursor (which SQLAlchemy does not wrap)."""
        dbapi = getattr(getattr(self._engine, "dialect", None), "dbapi", None)
        return getattr(dbapi, "Error", ReconError)

    def _check_sqlite_file(self) -> None:
        """A SQLite database must be a regular file: SQLite's own open of a FIFO blocks for ever."""
        path = Path(self.url.database or "")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            return  # missing or unreadable: SQLite's own open says so
        try:
            mode = os.fstat(fd).st_mode
        finally:
            os.close(fd)
        if not stat.S_ISREG(mode):
            raise SqlSourceError(f"{self.name}: {path} is {file_kind(mode)}, not a regular file")

    def _rows(self) -> tuple[list[str], list[Sequence[Any]]]:
        if self.url.get_backend_name() == "sqlite" and self.url.database:
            self._check_sqlite_file()
        with self._connect() as conn:
            conn.begin()  # ended by the close below with a ROLLBACK: a read never commits
            if self.url.get_backend_name() == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                if conn.exec_driver_sql("SHOW transaction_read_only").scalar() != "on":
                    raise SqlSourceError(f"{self.name}: the server did not make the transaction read-only")
            else:
                conn.exec_driver_sql("PRAGMA query_only = ON")
            # The driver's own cursor, without parameters: a '%' or ':' in the query is the query's, not a placeholder.
            cur = conn.connection.cursor()
            if self.url.get_backend_name() == "postgresql":
                from psycopg.types.json import set_json_loads

                # json/jsonb columns as their text: parsed below by the inventory's rules, not psycopg's json.loads.
                set_json_loads(lambda b: _JsonText(bytes(b).decode("utf-8", "replace")), cur)
            try:
                cur.execute(self.cfg.query)
                if cur.description is None:
                    raise SqlSourceError(f"{self.name}: the query returned no result set; give a SELECT")
                return [d[0] for d in cur.description], cur.fetchmany(self.cfg.max_rows + 1)
            finally:
                cur.close()

    def load(self) -> DesiredState:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            columns, rows = self._rows()
        except SqlSourceError:
            raise
        except (SQLAlchemyError, OSError, ImportError, self._dbapi_error()) as e:
            raise SqlSourceError(f"{self.name}: {_first_line(e)}") from None
        if len(rows) > self.cfg.max_rows:
            raise SqlSourceError(f"{self.name}: the query returned more than max_rows ({self.cfg.max_rows}) rows; "
                                 "raise max_rows or narrow the query (a cut list would plan deletes)")
        resources = resources_of(columns, rows, self.cfg.columns, self.name)
        digest = hashlib.sha256(json.dumps([r.to_dict() for r in resources], sort_keys=True, default=str).encode())
        return DesiredState.of(resources, source=f"{self.name} ({len(rows)} rows)", version=digest.hexdigest()[:12],
                               loaded_at=time.time())


def _sqlite_no_attach(action: int, *_: Any) -> int:
    """SQLite authorizer: no ATTACH. mode=ro and query_only refuse every write to the database, but
    ATTACH (and VACUUM INTO, which attaches its target) creates the named file before failing."""
    import sqlite3

    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def build_sql_source(cfg: SqlDesired, base: Path) -> SqlSource:
    return SqlSource(cfg, base)


def resources_of(columns: list[str], rows: Sequence[Sequence[Any]], mapping: SqlColumns, name: str) -> list[Resource]:
    """The resources *rows* describe, by the column *mapping*; a missing column, a bad value or a
    key given twice raises SqlSourceError naming the row."""
    spec_cols = [mapping.spec] if isinstance(mapping.spec, str) else mapping.spec
    wanted = [mapping.kind, mapping.name, *spec_cols, *([mapping.owner] if mapping.owner else [])]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SqlSourceError(f"{name}: the query returns no column {', '.join(missing)} (it returns "
                             f"{', '.join(columns) or 'none'}); set columns: to the names it returns")
    at = {c: columns.index(c) for c in wanted}
    out: list[Resource] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows, 1):
        try:
            kind, rname = _text(row[at[mapping.kind]], "kind"), _text(row[at[mapping.name]], "name")
            if isinstance(mapping.spec, str):
                spec = _object(row[at[mapping.spec]])
            else:
                spec = {c: _plain(row[at[c]], c) for c in mapping.spec}
            owner = row[at[mapping.owner]] if mapping.owner else None
            r = Resource(kind, rname, freeze(spec), None if owner is None else _text(owner, "owner"))
        except ValueError as e:
            raise SqlSourceError(f"{name}: row {i}: {redact(str(e))}") from None
        if r.key in seen:
            raise SqlSourceError(f"{name}: row {i}: duplicate resource {kind}/{rname} (first in row {seen[r.key]})")
        seen[r.key] = i
        out.append(r)
    return out


class _JsonText(str):
    """A json or jsonb column's text, parsed where the spec uses it (duplicate keys refused, depth bounded)."""


def _json(text: str, column: str) -> Any:
    try:
        return parse_json(text)
    except ParseError as e:
        raise ValueError(f"column {column}: {e.message}") from None


def _text(v: Any, column: str) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if not isinstance(v, str) or not v:
        raise ValueError(f"column {column}: expected a non-empty text, got {type(v).__name__ if v != '' else 'empty text'}")
    return v


def _object(v: Any) -> dict[str, Any]:
    if isinstance(v, (str, bytes)):
        # The inventory's JSON rules: a key given twice is an error (not last-wins), no NaN, bounded depth.
        v = _json(v.decode("utf-8", "replace") if isinstance(v, bytes) else v, "spec")
    if not isinstance(v, Mapping):
        raise ValueError(f"column spec: expected a JSON object, got {type(v).__name__}")
    return {str(k): _plain(x, f"spec.{k}", 1) for k, x in v.items()}


def _plain(v: Any, column: str, depth: int = 0) -> Any:
    """A database value as the plain data a spec holds: numbers, text, booleans, null, lists, objects."""
    if depth > MAX_DEPTH:
        raise ValueError(f"column {column}: nested deeper than {MAX_DEPTH} levels (the input limit)")
    if isinstance(v, float) and not math.isfinite(v):
        # NaN never equals itself: the resource would be an update on every cycle.
        raise ValueError(f"column {column}: {v} is not a finite number; inputs hold finite numbers only")
    if isinstance(v, _JsonText):
        return _plain(_json(v, column), column, depth)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise ValueError(f"column {column}: {v} is not a finite number; inputs hold finite numbers only")
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _plain(x, f"{column}.{k}", depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x, column, depth + 1) for x in v]
    raise ValueError(f"column {column}: a {type(v).__name__} value is not plain data; cast it in the query")


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip()
    return redact(text.splitlines()[0]) if text else type(e).__name__
