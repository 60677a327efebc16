"""Bulk writes: COPY on PostgreSQL, executemany on SQLite, never one INSERT per row.

Every function takes an open :class:`~sqlalchemy.engine.Connection` inside a
transaction; the caller decides what one transaction covers (a batch of documents, one
partition), so a failure leaves nothing of it behind. Tables are the schema's
(``Base.metadata``): a name that is not one of them is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, bindparam, column, func, insert, select
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.postgresql import insert as pg_insert

from snorkel_ie.db import dbapi
from snorkel_ie.db.copy import copy_arrays, copy_rows
from snorkel_ie.db.dbapi import is_postgres
from snorkel_ie.db.models import Base

__all__ = [
    "allocate_ids",
    "copy_rows",
    "get_or_create_keys",
    "insert_columns",
    "insert_rows",
    "is_postgres",
    "schema_table",
]


def schema_table(table: Table | str) -> Table:
    """The schema's table ``table`` (a name must be one of ``Base.metadata``'s tables)."""
    if isinstance(table, Table):
        return table
    try:
        return Base.metadata.tables[table]
    except KeyError:
        raise ValueError(f"{table!r} is not a table of the snorkel-ie schema") from None


_table = schema_table


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _sqlite_insert(conn: Connection, t: Table, columns: Sequence[str], rows: Any, *, ignore: bool) -> None:
    stmt = insert(t).values({c: bindparam(c, None) for c in columns})
    if ignore:
        stmt = stmt.prefix_with("OR IGNORE", dialect="sqlite")
    dbapi.executemany(conn, stmt, columns, rows)


def _pg_insert_ignoring_conflicts(conn: Connection, t: Table, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """COPY into a temporary copy of ``t``, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``."""
    quote = conn.dialect.identifier_preparer.quote
    tmp = f"_tmp_{t.name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {quote(tmp)} (LIKE {quote(t.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    conn.exec_driver_sql(f"TRUNCATE {quote(tmp)}")
    copy_rows(conn, tmp, columns, rows)
    source = table_clause(tmp, *(column(c) for c in columns))
    conn.execute(pg_insert(t).from_select(list(columns), select(*source.c)).on_conflict_do_nothing())


def insert_rows(
    conn: Connection,
    table: Table | str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict_ignore: bool = False,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in bulk.

    With ``on_conflict_ignore`` rows that violate a unique constraint are skipped
    (PostgreSQL: COPY into a temporary table, then ``INSERT ... ON CONFLICT DO
    NOTHING``; SQLite: ``INSERT OR IGNORE``), which makes re-running a job idempotent.
    Returns the number of rows handed over (not the number inserted).
    """
    if not rows:
        return 0
    t = schema_table(table)
    if is_postgres(conn):
        if on_conflict_ignore:
            _pg_insert_ignoring_conflicts(conn, t, columns, rows)
            return len(rows)
        return copy_rows(conn, t, columns, rows)
    _sqlite_insert(conn, t, columns, ([_sqlite_value(v) for v in row] for row in rows), ignore=on_conflict_ignore)
    return len(rows)


def insert_columns(conn: Connection, table: Table | str, columns: Sequence[str], types: Sequence[str], arrays) -> int:
    """Insert parallel numpy columns (``types``: ``i4``/``f8``/``bool``, no NULLs) in bulk.

    PostgreSQL: binary COPY built by numpy; SQLite: ``executemany``.
    """
    n = len(arrays[0])
    if n == 0:
        return 0
    t = schema_table(table)
    if is_postgres(conn):
        return copy_arrays(conn, t, columns, types, arrays)
    _sqlite_insert(conn, t, columns, zip(*(np.asarray(a).tolist() for a in arrays), strict=True), ignore=False)
    return n


def allocate_ids(conn: Connection, table: Table | str, n: int) -> list[int]:
    """Reserve ``n`` primary-key values of ``table`` so children can be written in the same batch.

    PostgreSQL draws them from the table's sequence (safe with concurrent writers). On
    SQLite the caller must hold the write lock (see ``WRITE_LOCK`` in
    :mod:`snorkel_ie.db.engine`); ids continue from the current maximum.
    """
    if n <= 0:
        return []
    t = schema_table(table)
    if is_postgres(conn):
        series = func.generate_series(1, n).table_valued("i")
        stmt = select(func.nextval(func.pg_get_serial_sequence(t.name, "id"))).select_from(series)
        return list(conn.execute(stmt).scalars())
    start = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one() + 1
    return list(range(start, start + n))


def get_or_create_keys(conn: Connection, kind: str, names: Sequence[str]) -> dict[str, int]:
    """Ids of the annotation keys ``(kind, name)``, creating the missing ones."""
    from snorkel_ie.db.models import AnnotationKey

    table = AnnotationKey.__table__
    insert_rows(conn, table, ["kind", "name"], [(kind, n) for n in dict.fromkeys(names)], on_conflict_ignore=True)
    found = conn.execute(table.select().where(table.c.kind == kind, table.c.name.in_(list(names))))
    return {row.name: row.id for row in found}
