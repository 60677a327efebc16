"""Engines for the two supported backends: embedded SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool, StaticPool
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from snorkel_ie.errors import ConfigurationError, DatabaseError

DEFAULT_SQLITE_FILE = "snorkel.db"
ENV_VAR = "SNORKELDB"
SQLITE_BUSY_TIMEOUT_MS = 60_000

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def resolve_url(url: str | URL | None = None) -> URL:
    """Return the database URL to use.

    An explicit ``url`` wins; otherwise ``$SNORKELDB``; otherwise the SQLite file
    ``snorkel.db`` in the working directory. The environment is read at call time,
    never at import time.
    """
    if url is None:
        url = os.environ.get(ENV_VAR) or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy raises ArgumentError; keep the password out of the message
        raise ConfigurationError(
            "could not parse the database URL; expected e.g. 'sqlite:///snorkel.db' or "
            "'postgresql://user@127.0.0.1:5432/snorkel'"
        ) from err
    if parsed.drivername == "postgres" or parsed.drivername.startswith("postgres+"):
        # Snorkel 0.7's (and SQLAlchemy 1.3's) scheme for PostgreSQL
        parsed = parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"unsupported database backend {parsed.get_backend_name()!r} in {safe_url(parsed)}; "
            "snorkel-ie supports 'sqlite' and 'postgresql'"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def safe_url(url: str | URL) -> str:
    """Render ``url`` with its password masked, for logs, reprs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url_or_engine: str | URL | Engine) -> bool:
    """True when the URL or engine points at SQLite."""
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Take over transaction control from the sqlite3 module so that BEGIN is emitted by
    # SQLAlchemy (see the "Serializable isolation / Savepoints" notes of its SQLite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _is_locked(err: BaseException) -> bool:
    return isinstance(err, sqlite3.OperationalError) and "database is locked" in str(err)


def lock_retry() -> Retrying:
    """The retry policy for SQLite's "database is locked": exponential backoff from 1 ms to 50 ms, up to the busy timeout.

    Statements wait on SQLite's busy timeout by themselves; a few operations (the switch
    to WAL of a new file) are answered "locked" at once and are retried with this policy.
    """
    return Retrying(
        retry=retry_if_exception(_is_locked),
        wait=wait_exponential(multiplier=0.001, max=0.05),
        stop=stop_after_delay(SQLITE_BUSY_TIMEOUT_MS / 1000),
        reraise=True,
    )


def _switch_to_wal(cursor) -> None:
    # While another process turns a new file into a WAL database, SQLite answers
    # "database is locked" at once instead of waiting on the busy timeout, so several
    # processes opening one new file together retry here (lock_retry).
    lock_retry()(cursor.execute, "PRAGMA journal_mode = WAL")


def _is_memory_database(url: URL) -> bool:
    """True when the SQLite ``url`` names an in-memory database (``sqlite://``, ``:memory:``, ``mode=memory``)."""
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


WRITE_LOCK = {"sqlite_begin_immediate": True}
"""Execution options for a connection that is about to write in bulk (see :func:`_sqlite_begin`)."""


def _sqlite_begin(conn) -> None:
    # Readers begin deferred and never block one another. A bulk writer asks for
    # BEGIN IMMEDIATE, which takes the write lock up front: two writers then queue on
    # the busy timeout instead of failing with "database is locked" on upgrade.
    immediate = conn.get_execution_options().get("sqlite_begin_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _one_transaction_at_a_time(conn) -> None:
    # An in-memory database has one connection, so it holds one transaction at a time.
    if conn.connection.dbapi_connection.in_transaction:
        raise DatabaseError(
            "an in-memory SQLite database has a single connection, and a transaction is already open on it "
            "(a session with uncommitted work?); commit or close that session first, "
            "or use a SQLite file such as 'sqlite:///snorkel.db'"
        )


def single_connection(engine: Engine) -> bool:
    """True for an engine on one shared connection (in-memory SQLite): it holds one transaction at a time."""
    return isinstance(engine.pool, StaticPool)


def make_engine(url: str | URL | None = None, *, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    """Create an engine for ``url`` (see :func:`resolve_url`).

    SQLite gets foreign keys, a WAL journal and a busy timeout, so that a notebook and
    a batch job can share one file. An in-memory SQLite database lives on a single
    connection shared by every user of the engine, so it holds one transaction at a
    time, and disappears when the engine is disposed. PostgreSQL uses psycopg2 with a
    bounded pool.
    """
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if _is_memory_database(parsed):
            # Each new connection to :memory: is a new, empty database: keep one shared
            # connection for the engine's lifetime so the migrated tables stay visible. No
            # rollback when a user returns it: that would undo another user's open transaction.
            engine = create_engine(
                parsed,
                poolclass=StaticPool,
                pool_reset_on_return=None,
                connect_args={"check_same_thread": False},
            )
            event.listen(engine, "begin", _one_transaction_at_a_time)
        else:
            if not database.startswith("file:") and not Path(database).parent.is_dir():
                raise ConfigurationError(
                    f"the folder {Path(database).parent} of the SQLite database {safe_url(parsed)} does not exist; "
                    "create it, or give another path (snorkel-ie creates no folders)"
                )
            engine = create_engine(parsed, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(
            parsed, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, pool_recycle=3600
        )
    event.listen(engine, "handle_error", _connection_error)
    return engine


def _connection_error(context) -> None:
    """Turn a failure to connect into the package's one-line :class:`DatabaseError` (the password hidden).

    Errors of statements (an integrity error a caller retries, a lock timeout) pass
    through unchanged: only a connection that could not be opened is rewritten.
    """
    if context.connection is not None or context.statement is not None or context.is_pre_ping:
        return
    engine = context.engine
    detail = str(context.original_exception).strip().splitlines()
    reason = detail[0].strip() if detail else type(context.original_exception).__name__
    if engine is not None and engine.url.get_backend_name() == "sqlite":
        raise DatabaseError(f"cannot open the SQLite database {safe_url(engine.url)}: {reason}") from (
            context.original_exception
        )
    where = safe_url(engine.url) if engine is not None else "the database"
    raise DatabaseError(
        f"cannot connect to {where}: {reason}; check the host, port, user, password, database name and "
        "sslmode of the URL (--db or $SNORKELDB)"
    ) from context.original_exception


def require_database(engine: Engine) -> None:
    """Refuse a SQLite file that does not exist, for commands that only read (they must not create one).

    Raises
    ------
    DatabaseError
        ``engine`` names a SQLite file that is not there.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or _is_memory_database(url) or (url.database or "").startswith("file:"):
        return
    if not Path(url.database).is_file():
        raise DatabaseError(
            f"no database at {safe_url(url)}; check --db / $SNORKELDB, or create it with "
            "'snorkel-ie db upgrade' or 'snorkel-ie parse'"
        )


def get_engine(url: str | URL | None = None) -> Engine:
    """Return a process-wide engine for ``url``, creating it on first use.

    Engines are cached per URL and per process: a forked worker never reuses its
    parent's connections.
    """
    parsed = resolve_url(url)
    key = f"{os.getpid()}:{parsed.render_as_string(hide_password=False)}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = make_engine(parsed)
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests and forked workers call this)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
