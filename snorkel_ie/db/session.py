"""Sessions: ``SnorkelSession()`` is a SQLAlchemy session on a migrated database."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from snorkel_ie.db.engine import get_engine, safe_url
from snorkel_ie.db.migrate import ensure_schema, require_schema


class SnorkelSession(Session):
    """A SQLAlchemy ORM session on the snorkel-ie database.

    Parameters
    ----------
    url
        Database URL. When omitted, ``$SNORKELDB`` is used when set, otherwise the
        SQLite file ``snorkel.db`` in the working directory.
    bind
        An existing engine to use instead of ``url``.
    create
        False: refuse a database that does not exist yet, or holds no snorkel-ie schema
        (:class:`~snorkel_ie.errors.DatabaseError`), instead of creating it: for jobs that
        only read, such as ``snorkel-ie db info`` or ``evaluate``.

    The database is brought to the migration head when it is behind; the stored
    revision is checked each time a session is opened. ``sqlite:///:memory:`` gives
    a database private to this process that lives until :func:`dispose_engines`; it
    has a single connection, so commit a session before opening another one.

    Examples
    --------
    >>> from snorkel_ie.db.models import Document
    >>> session = SnorkelSession("sqlite:///:memory:")
    >>> session.query(Document).count()
    0
    >>> session.close()
    """

    def __init__(self, url: str | URL | None = None, *, bind: Engine | None = None, create: bool = True, **kwargs: Any):
        engine = bind if bind is not None else get_engine(url)
        if not create:
            require_schema(engine)
        ensure_schema(engine)
        kwargs.setdefault("expire_on_commit", False)
        super().__init__(bind=engine, **kwargs)
        global _latest
        _latest = weakref.ref(self)

    @property
    def engine(self) -> Engine:
        return self.get_bind()

    def __repr__(self) -> str:
        return f"SnorkelSession({safe_url(self.engine.url)!r})"


_latest: weakref.ref[SnorkelSession] | None = None


def latest_session(url: str | URL | None = None) -> SnorkelSession:
    """The SnorkelSession opened last in this process on ``url``'s database (default: ``$SNORKELDB``), else a new one.

    What a Snorkel 0.7 notebook's calls without a session (``labeler.apply(split=0)``) work
    in: the notebook's own ``session``, so that it sees their rows at once (a second session
    would leave the notebook's reading an older snapshot on SQLite until it commits).
    """
    engine = get_engine(url)
    last = _latest() if _latest is not None else None
    if last is not None and last.get_bind() is engine:
        return last
    return SnorkelSession(bind=engine)
