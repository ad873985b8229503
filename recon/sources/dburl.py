"""SQLAlchemy URLs that name a database without a credential: the history store's and the SQL source's.

A URL travels through command lines, configs, notebook parameters and logs, so it must never hold
the password: the driver reads that from its own environment or files (``PGPASSWORD``,
``PGPASSFILE``, ``~/.pgpass``). :func:`check_db_url` parses a URL and refuses one that carries a
password, a secret in its query, or a database name libpq would read as a connection string; its
messages never show the refused text. It opens no connection.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from recon.core.errors import ReconError
from recon.core.redact import SECRET_WORDS, credential_in, redact

DRIVER_SECRETS = "give it to the driver through its environment or files (PGPASSWORD, ~/.pgpass) instead"


def check_db_url(url: str, who: str, given: str, error: type[ReconError]) -> URL:
    """Parse *url*; raise *error* (worded "*who*: *given* ...", e.g. "history store: the URL given
    (--history)") when it is malformed or carries a credential. The credential is never shown."""
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        # Not echoed: a mangled URL may still hold a password.
        raise error(f"{who}: {given} is not a SQLAlchemy URL, e.g. sqlite:////path/history.db or "
                    "postgresql+psycopg://user@host/db") from None
    secret_query = [k for k in u.query if any(w in k.lower() for w in SECRET_WORDS)]
    # The decoded parts too: libpq sees them decoded, so %3D is an '=' and %20 a space to it.
    parts = [url, u.username or "", u.database or "", *(v for vs in u.query.values()
                                                        for v in ((vs,) if isinstance(vs, str) else vs))]
    what = next((w for w in map(credential_in, parts) if w), None)
    if u.password is None and not secret_query and what:
        raise error(f"{who}: {given} holds {what}; {DRIVER_SECRETS}")
    if u.password is not None or secret_query:
        # Neither the password nor the query is shown: render without them.
        shown = redact(u.set(password=None, query={}).render_as_string(hide_password=True))
        where = "a password" if u.password is not None else f"a secret in its query ({', '.join(secret_query)})"
        raise error(f"{who} {shown}: the URL carries {where}; {DRIVER_SECRETS}")
    if u.get_backend_name() != "sqlite":  # a SQLite database is a file path, which may hold spaces
        names = [u.database or "", *(v for k, v in u.query.items() if k.lower() == "dbname" and isinstance(v, str))]
        if any(_expands(n) for n in names):
            # Not shown: the rest of such a name is settings libpq would apply, and may hold anything.
            raise error(f"{who}: {given} names a database with '=', whitespace or a URI prefix, which libpq "
                        "reads as a connection string; name the database only")
    return u


def _expands(dbname: str) -> bool:
    """Whether libpq would read *dbname* as a connection string rather than a database name."""
    return "=" in dbname or any(c.isspace() for c in dbname) or dbname.startswith(("postgresql://", "postgres://"))


def shown_url(u: URL) -> str:
    """*u* as messages show it: without password or query."""
    return redact(u.set(password=None, query={}).render_as_string(hide_password=True))
