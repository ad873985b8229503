"""The audit history: one row per audit run, in SQLite by default or any SQLAlchemy database.

A shared server is named by a SQLAlchemy URL without a password; the password comes from the
driver's own environment or files (``PGPASSWORD``, ``~/.pgpass``), never from the URL, because the
URL travels through command lines, notebook parameters and logs. This module stores and reads
runs; it never decides what a run means.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from recon.core.errors import ReconError
from recon.core.redact import redact
from recon.sources.dburl import check_db_url


class HistoryError(ReconError):
    """The history store could not be opened, read or written; the message names the store."""


_meta = sa.MetaData()
runs_table = sa.Table(
    "audit_runs", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("loop", sa.String(200), nullable=False, index=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("creates", sa.Integer, nullable=False, default=0),
    sa.Column("updates", sa.Integer, nullable=False, default=0),
    sa.Column("deletes", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("desired_count", sa.Integer),
    sa.Column("observed_count", sa.Integer),
    sa.Column("observation_complete", sa.Boolean),
    sa.Column("guards_tripped", sa.Text, nullable=False, default="[]"),
    sa.Column("alerts", sa.Text, nullable=False, default="[]"),
    sa.Column("error", sa.Text),
)


@dataclass(frozen=True)
class HistoryRun:
    """One audit run as the history keeps it."""

    id: int
    loop: str
    started_at: float
    finished_at: float
    exit_code: int
    status: str
    creates: int
    updates: int
    deletes: int
    unchanged: int
    desired_count: int | None
    observed_count: int | None
    observation_complete: bool | None
    guards_tripped: tuple[str, ...]
    alerts: tuple[str, ...]
    error: str | None

    @property
    def drift(self) -> int:
        """Resources out of line with desired state: what the loop would create, update or delete."""
        return self.creates + self.updates + self.deletes

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["guards_tripped"], d["alerts"], d["drift"] = list(self.guards_tripped), list(self.alerts), self.drift
        return d


def default_history_url(config_dir: Path) -> str:
    """SQLite beside the loop config, next to its state store: ``.recon/audit-history.db``."""
    return f"sqlite:///{(config_dir / '.recon' / 'audit-history.db').resolve()}"


def parse_history_url(url: str) -> URL:
    """Parse *url*; a malformed one or one that carries a password is an error (the password is not shown)."""
    return check_db_url(url, "history store", "the URL given (--history or RECON_AUDIT_HISTORY)", HistoryError)


class HistoryStore:
    """Append audit runs and read them back, oldest first."""

    def __init__(self, url: str) -> None:
        self.url = parse_history_url(url)
        self.name = self.url.render_as_string(hide_password=True)
        try:
            if self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:"):
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(self.url)
            _meta.create_all(self.engine)
        except (SQLAlchemyError, ImportError, OSError) as e:
            raise HistoryError(f"history store {self.name}: cannot open: {_first_line(e)}") from None

    @classmethod
    def for_config(cls, url: str | None, config_dir: Path) -> HistoryStore:
        return cls(url or os.environ.get("RECON_AUDIT_HISTORY") or default_history_url(config_dir))

    def append(self, row: dict[str, Any]) -> int:
        """Store one run (keys as the columns of ``audit_runs``); returns its id."""
        values = {c.name: row.get(c.name) for c in runs_table.columns if c.name != "id"}
        values["guards_tripped"] = json.dumps(list(row.get("guards_tripped") or []))
        values["alerts"] = json.dumps([redact(str(a)) for a in row.get("alerts") or ()])
        values["error"] = redact(values["error"]) if values["error"] else values["error"]
        try:
            with self.engine.begin() as db:
                return int(db.execute(runs_table.insert().values(**values)).inserted_primary_key[0])
        except SQLAlchemyError as e:
            raise HistoryError(f"history store {self.name}: cannot append run of {row.get('loop')}: "
                               f"{_first_line(e)}") from None

    def runs(self, loop: str, limit: int | None = None) -> list[HistoryRun]:
        """The runs of *loop*, oldest first (the last *limit* of them when given)."""
        q = runs_table.select().where(runs_table.c.loop == loop).order_by(runs_table.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        try:
            with self.engine.connect() as db:
                rows = db.execute(q).mappings().all()
        except SQLAlchemyError as e:
            raise HistoryError(f"history store {self.name}: cannot read runs of {loop}: {_first_line(e)}") from None
        return [HistoryRun(**{**r, "guards_tripped": tuple(json.loads(r["guards_tripped"])),
                              "alerts": tuple(json.loads(r["alerts"]))}) for r in reversed(rows)]

    def close(self) -> None:
        self.engine.dispose()


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
