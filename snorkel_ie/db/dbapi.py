"""The raw DB-API cursor, for the few reads and writes where SQLAlchemy's row objects cost too much.

Statements are still SQLAlchemy Core expressions: :func:`compile_statement` renders one
for the connection's dialect with its bound parameters, and the DB-API cursor runs it
(``executemany`` on SQLite, ``np.fromiter`` over the cursor). Nothing here builds SQL
from strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Executable

__all__ = ["compile_statement", "cursor", "execute", "executemany", "fetchall", "is_postgres"]


def is_postgres(conn: Connection | Any) -> bool:
    """True when ``conn`` (a Connection, Engine or Session bind) talks to PostgreSQL."""
    return conn.dialect.name == "postgresql"


@contextmanager
def cursor(conn: Connection) -> Iterator[Any]:
    """The DB-API cursor of ``conn``'s connection, closed on exit (the transaction stays the caller's)."""
    cur = conn.connection.dbapi_connection.cursor()
    try:
        yield cur
    finally:
        cur.close()


def compile_statement(conn: Connection, stmt: Executable) -> tuple[str, Any]:
    """``(sql, parameters)`` of a Core statement for ``conn``'s DB-API driver.

    Expanding ``IN`` lists are rendered in place, so the SQL has one placeholder per value.
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        return str(compiled), tuple(params[name] for name in compiled.positiontup)
    return str(compiled), params


def execute(conn: Connection, stmt: Executable) -> None:
    """Run ``stmt`` on the raw cursor (no result)."""
    sql, params = compile_statement(conn, stmt)
    with cursor(conn) as cur:
        cur.execute(sql, params)


def fetchall(conn: Connection, stmt: Executable) -> list[tuple[Any, ...]]:
    """Every row of ``stmt`` as plain tuples (no result processing: JSON columns come back as stored)."""
    sql, params = compile_statement(conn, stmt)
    with cursor(conn) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def executemany(conn: Connection, stmt: Executable, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Run ``stmt`` once per row of ``rows`` with ``executemany``.

    ``names`` are the bound parameters each row fills, in row order; the statement's
    other parameters keep the values bound in it.
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    fixed = compiled.params
    if compiled.positional:
        keys = list(compiled.positiontup)
        if keys == list(names):
            params: Iterable[Any] = rows
        else:
            where = {n: i for i, n in enumerate(names)}
            params = (tuple(row[where[k]] if k in where else fixed[k] for k in keys) for row in rows)
    else:
        params = ({**fixed, **dict(zip(names, row, strict=True))} for row in rows)
    with cursor(conn) as cur:
        cur.executemany(str(compiled), params)
