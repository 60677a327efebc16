"""Sessions on in-memory SQLite, and on databases deleted or replaced during a process."""

from __future__ import annotations

import doctest
import threading

import pytest
from sqlalchemy import inspect, text

import snorkel_ie.db.session
from snorkel_ie.db.engine import WRITE_LOCK, dispose_engines, get_engine, make_engine
from snorkel_ie.db.migrate import current_revision, ensure_schema, head_revision, upgrade
from snorkel_ie.db.models import Document
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import DatabaseError, SchemaError
from tests.db.conftest import wipe

MEMORY_URLS = ("sqlite:///:memory:", "sqlite://")


@pytest.fixture
def memory_engines():
    dispose_engines()
    yield
    dispose_engines()


def _add_document(session: SnorkelSession, name: str) -> None:
    session.add(Document(name=name, stable_id=f"{name}::document:0:0"))
    session.commit()


@pytest.mark.parametrize("url", MEMORY_URLS)
def test_in_memory_session_is_migrated_and_keeps_its_rows(url: str, memory_engines: None) -> None:
    session = SnorkelSession(url)
    assert session.query(Document).count() == 0
    session.commit()  # one connection: end the session's read before another user begins
    assert current_revision(session.engine) == head_revision()
    _add_document(session, "a")
    session.close()
    # A second session and a bare connection of the same process see the same database.
    other = SnorkelSession(url)
    assert [d.name for d in other.query(Document)] == ["a"]
    other.commit()
    with other.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document")).scalar() == 1
    other.close()


def test_in_memory_second_transaction_is_refused_without_losing_the_first(memory_engines: None) -> None:
    session = SnorkelSession("sqlite:///:memory:")
    session.add(Document(name="a", stable_id="a::document:0:0"))
    session.flush()  # a transaction is open on the single connection
    with pytest.raises(DatabaseError, match="single connection"):
        SnorkelSession("sqlite:///:memory:")
    with pytest.raises(DatabaseError, match="commit or close that session"):
        with session.engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            pass
    session.commit()
    session.close()
    with SnorkelSession("sqlite:///:memory:") as again:
        assert [d.name for d in again.query(Document)] == ["a"]


def test_session_docstring_example_runs(memory_engines: None) -> None:
    result = doctest.testmod(snorkel_ie.db.session, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3
    assert result.failed == 0


def test_in_memory_database_is_usable_from_another_thread(memory_engines: None) -> None:
    session = SnorkelSession("sqlite:///:memory:")
    _add_document(session, "a")
    session.close()
    seen: list[object] = []

    def count() -> None:
        try:
            with SnorkelSession("sqlite:///:memory:") as s:
                seen.append(s.query(Document).count())
        except Exception as err:  # reported to the main thread below
            seen.append(err)

    worker = threading.Thread(target=count)
    worker.start()
    worker.join()
    assert seen == [1]


def test_disposed_in_memory_database_starts_empty_and_migrated(memory_engines: None) -> None:
    session = SnorkelSession("sqlite:///:memory:")
    _add_document(session, "a")
    session.close()
    dispose_engines()  # the in-memory database is gone with its engine
    session = SnorkelSession("sqlite:///:memory:")
    assert session.query(Document).count() == 0
    session.close()


def test_separate_in_memory_engines_are_separate_databases() -> None:
    first, second = make_engine("sqlite://"), make_engine("sqlite://")
    upgrade(first)
    assert "document" in inspect(first).get_table_names()
    assert "document" not in inspect(second).get_table_names()
    first.dispose()
    second.dispose()


def test_deleted_or_replaced_database_is_migrated_again(fresh_db_url: str) -> None:
    session = SnorkelSession(fresh_db_url)
    _add_document(session, "a")
    session.close()
    get_engine(fresh_db_url).dispose()  # PostgreSQL: no pooled connection may hold the old schema
    wipe(fresh_db_url)
    session = SnorkelSession(fresh_db_url)
    assert session.query(Document).count() == 0
    assert current_revision(session.engine) == head_revision()
    _add_document(session, "b")
    session.close()


def test_unknown_revision_is_refused(fresh_db_url: str) -> None:
    engine = get_engine(fresh_db_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(SchemaError, match="'from_the_future'"):
        SnorkelSession(fresh_db_url)
    with engine.connect() as conn:  # refused without touching the database
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "from_the_future"
