"""Bring a database to the migration head with Alembic."""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from snorkel_ie.db.engine import WRITE_LOCK, require_database, safe_url
from snorkel_ie.errors import SchemaError

_lock = threading.Lock()

MIGRATION_LOCK_KEY = 0x736E6F726B656C
"""Key of the PostgreSQL advisory lock held while migrating ("snorkel" in ASCII)."""


@cache
def migrations_dir() -> Path:
    """The folder of the migration scripts: ``migrations/`` in a checkout, or the installed copy."""
    spec = importlib.util.find_spec("snorkel_ie._migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").exists():
        return checkout
    raise SchemaError("the migration scripts are missing from this installation of snorkel-ie; reinstall it")


def include_for_dialect(dialect: str):
    """Alembic's ``include_object`` for ``dialect``: leaves out constraints the ORM creates on other dialects only.

    The label and feature tables declare their foreign keys for SQLite only (migration 0004
    replaces them by statement-level triggers on PostgreSQL); without this filter
    ``alembic revision --autogenerate`` against PostgreSQL would propose adding them back.
    """

    def include(obj, _name, type_, _reflected, _compare_to) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        return not (type_ == "foreign_key_constraint" and ddl_if is not None and ddl_if.dialect not in (None, dialect))

    return include


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def _known_revisions() -> tuple[str, frozenset[str]]:
    """The head and every revision of the migration scripts (read once per process)."""
    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _take_migration_lock(conn: Connection) -> None:
    """Serialise migrations of one database across processes, until ``conn`` commits.

    On SQLite the connection was opened with :data:`~snorkel_ie.db.engine.WRITE_LOCK`, so
    its ``BEGIN IMMEDIATE`` already holds the database's write lock. PostgreSQL takes a
    transaction-scoped advisory lock: without it two processes creating the same table
    at once fail on a duplicate catalog entry.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def _upgrade_locked(engine: Engine, revision: str, *, refuse_unknown: bool) -> None:
    """Run ``alembic upgrade`` in one transaction that holds the migration lock.

    The revision is read again under the lock, so a process that waited for another
    one's migration finds the database already migrated and does nothing.
    """
    config = alembic_config()
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        _take_migration_lock(conn)
        if refuse_unknown:
            head, known = _known_revisions()
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in known:
                raise SchemaError(
                    f"the database is at migration {current!r}, which this version of snorkel-ie does not know "
                    f"(head is {head!r}); upgrade snorkel-ie or use another database"
                )
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database of ``engine`` to ``revision``; returns the revision reached.

    Safe to call from several processes at once: the migration runs under a lock
    (SQLite's write lock, a PostgreSQL advisory lock), and a process that finds the
    database already at ``revision`` once it holds the lock changes nothing.
    """
    _upgrade_locked(engine, revision, refuse_unknown=False)
    return current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Migrate the database of ``engine`` to head if it is behind.

    The stored revision is read on every call (one small query) rather than
    remembered per URL, so a database that was deleted or replaced since the last
    call, such as a removed SQLite file or a disposed in-memory database, is
    migrated again. Only a database that is behind takes the migration lock.
    """
    head, _ = _known_revisions()
    if current_revision(engine) == head:
        return
    with _lock:
        _upgrade_locked(engine, "head", refuse_unknown=True)


def require_schema(engine: Engine) -> None:
    """Refuse a database that does not exist or holds no snorkel-ie schema (for jobs that only read).

    Raises
    ------
    DatabaseError
        A SQLite file that is not there, or a server that cannot be reached.
    SchemaError
        The database has no snorkel-ie tables.
    """
    require_database(engine)
    if current_revision(engine) is None:
        raise SchemaError(
            f"{safe_url(engine.url)} holds no snorkel-ie schema; create it with 'snorkel-ie db upgrade' "
            "or 'snorkel-ie parse', or check --db / $SNORKELDB"
        )
