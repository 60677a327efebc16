"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``$SNORKELIE_TEST_POSTGRES`` (an account that may create
databases), by default ``postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel`` as made by
``.ci/run``. Each pytest process creates its own database and truncates it between
tests. Outside CI a missing server is a visible skip; with ``CI=true`` it is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from snorkel_ie.db.engine import dispose_engines, make_engine
from snorkel_ie.db.migrate import upgrade
from snorkel_ie.db.session import SnorkelSession

DEFAULT_PG = "postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel"
BACKENDS = ("sqlite", "postgresql")
DATA = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL), dropped afterwards.

    Made with the account of ``$SNORKELIE_TEST_POSTGRES``; a server that is down skips
    the test, or fails it in CI.
    """
    admin_url = make_url(os.environ.get("SNORKELIE_TEST_POSTGRES", DEFAULT_PG))
    admin = create_engine(admin_url.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        admin.dispose()
        message = f"PostgreSQL is not available at {admin_url.render_as_string(hide_password=True)}: {err}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database owned by this test process, dropped at the end."""
    with scratch_postgres_database("snorkel_ie_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        # A session a previous test leaked (idle in transaction) would block TRUNCATE forever.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "snorkel.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
        yield url
    dispose_engines()


@pytest.fixture
def session(db_url: str) -> Iterator[SnorkelSession]:
    """A SnorkelSession on an empty database of each backend."""
    s = SnorkelSession(db_url)
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def shared_data() -> Path:
    """The shared corpora beside the project (``../shared/data``)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
