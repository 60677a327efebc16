"""Fixtures for the database-layer tests: databases that start out empty, not migrated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from snorkel_ie.db.engine import dispose_engines
from tests.conftest import BACKENDS, scratch_postgres_database


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of this test alone, dropped afterwards."""
    with scratch_postgres_database("snorkel_ie_fresh") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database with no tables yet: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        (tmp_path / "fresh").mkdir()  # snorkel-ie creates database files, never folders
        yield f"sqlite:///{tmp_path / 'fresh' / 'snorkel.db'}"
        dispose_engines()
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def wipe(url: str) -> None:
    """Make the database of ``url`` empty again, as if it had been deleted and created anew."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
