"""Locks that make two identical jobs on one database both succeed.

Two kinds, both keyed by a name such as ``"label:chemicaldisease:0"``:

- :func:`job_lock` is held for a whole job (e.g. one ``LabelAnnotator.apply`` of a split):
  a second identical job waits for the first one, then finds its work done and skips it.
  PostgreSQL takes a session-level advisory lock on a connection of its own; a SQLite file
  takes an exclusive ``flock`` on ``<database>-snorkel.lock`` beside the ``-wal`` and
  ``-shm`` files SQLite keeps there (advisory locks of SQLite itself would be released by
  any ``close`` of the database file in this process, so the file is a separate one). An
  in-memory database is private to its process and needs no lock across processes.
- :func:`transaction_lock` is held until the caller's transaction ends (PostgreSQL's
  ``pg_advisory_xact_lock``), so a check-then-insert such as "skip the documents stored
  meanwhile, write the rest" is atomic across processes. On SQLite a writer's
  ``BEGIN IMMEDIATE`` already holds the database's write lock, so it does nothing there.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from snorkel_ie.db.engine import _is_memory_database

__all__ = ["job_lock", "lock_key", "transaction_lock"]

_log = logging.getLogger(__name__)
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def lock_key(name: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, from ``name``."""
    return int.from_bytes(hashlib.sha256(f"snorkel-ie:{name}".encode()).digest()[:8], "big", signed=True)


def transaction_lock(conn: Connection, name: str) -> None:
    """Hold the lock ``name`` until ``conn``'s transaction commits or rolls back (PostgreSQL; no-op on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(lock_key(name))))


def _sqlite_lock_path(engine: Engine) -> Path | None:
    url = engine.url
    database = url.database or ""
    if _is_memory_database(url) or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + "-snorkel.lock")


@contextmanager
def job_lock(engine: Engine, name: str, *, what: str | None = None) -> Iterator[None]:
    """Hold the job lock ``name`` on the database of ``engine`` for the ``with`` block.

    Parameters
    ----------
    engine
        The database's engine.
    name
        What the job works on, e.g. ``"label:chemicaldisease:0"``.
    what
        Said in the INFO record logged when the lock is busy ("waiting for another job
        that ..."); default ``name``.
    """
    thread_lock = _thread_lock(engine, name)  # threads of one process (a notebook) take turns too
    with thread_lock:
        if engine.dialect.name == "postgresql":
            with _postgres_lock(engine, name, what or name):
                yield
            return
        path = _sqlite_lock_path(engine)
        if path is None:
            yield
            return
        with _file_lock(path, what or name):
            yield


def _thread_lock(engine: Engine, name: str) -> threading.Lock:
    key = f"{engine.url.render_as_string(hide_password=True)}|{name}"
    with _local_guard:
        return _local_locks.setdefault(key, threading.Lock())


@contextmanager
def _postgres_lock(engine: Engine, name: str, what: str) -> Iterator[None]:
    key = lock_key(name)
    with engine.connect() as conn:
        if not conn.execute(select(func.pg_try_advisory_lock(key))).scalar_one():
            _log.info("waiting for another job that is %s", what)
            conn.execute(select(func.pg_advisory_lock(key)))
        conn.commit()  # the lock belongs to the connection, not to this transaction
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(key)))
            conn.commit()


@contextmanager
def _file_lock(path: Path, what: str) -> Iterator[None]:
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _log.info("waiting for another job that is %s", what)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
