"""Bulk writes: COPY on PostgreSQL, executemany on SQLite, never one INSERT per row.

Every function takes an open :class:`~sqlalchemy.engine.Connection` inside a
transaction; the caller decides what one transaction covers (a batch of documents, one
partition), so a failure leaves nothing of it behind.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, text

from snorkel_ie.db.models import Base


def _table(table: Table | str) -> Table:
    return Base.metadata.tables[table] if isinstance(table, str) else table


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _copy_field(value: Any) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        value = repr(value)
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(conn: Connection, table: Table | str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` into ``table`` on PostgreSQL; returns the number of rows written."""
    buf = io.StringIO()
    n = 0
    for row in rows:
        buf.write("\t".join(_copy_field(v) for v in row))
        buf.write("\n")
        n += 1
    if n == 0:
        return 0
    buf.seek(0)
    name = table if isinstance(table, str) else table.name
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f'COPY "{name}" ({", ".join(columns)}) FROM STDIN', buf)
    finally:
        cursor.close()
    return n


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


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
    t = _table(table)
    cols = ", ".join(columns)
    if is_postgres(conn):
        if not on_conflict_ignore:
            return copy_rows(conn, t, columns, rows)
        tmp = f"_tmp_{t.name}"
        conn.execute(text(f'CREATE TEMP TABLE IF NOT EXISTS "{tmp}" (LIKE "{t.name}" INCLUDING DEFAULTS) ON COMMIT DROP'))
        conn.execute(text(f'TRUNCATE "{tmp}"'))
        copy_rows(conn, tmp, columns, rows)
        conn.execute(text(f'INSERT INTO "{t.name}" ({cols}) SELECT {cols} FROM "{tmp}" ON CONFLICT DO NOTHING'))
        return len(rows)
    verb = "INSERT OR IGNORE" if on_conflict_ignore else "INSERT"
    marks = ", ".join("?" for _ in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(f'{verb} INTO "{t.name}" ({cols}) VALUES ({marks})', ([_sqlite_value(v) for v in row] for row in rows))
    finally:
        cursor.close()
    return len(rows)


def allocate_ids(conn: Connection, table: Table | str, n: int) -> list[int]:
    """Reserve ``n`` primary-key values of ``table`` so children can be written in the same batch.

    PostgreSQL draws them from the table's sequence (safe with concurrent writers). On
    SQLite the caller must hold the write lock (see ``WRITE_LOCK`` in
    :mod:`snorkel_ie.db.engine`); ids continue from the current maximum.
    """
    if n <= 0:
        return []
    name = _table(table).name
    if is_postgres(conn):
        rows = conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"), {"t": name, "n": n}
        )
        return [r[0] for r in rows]
    start = conn.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')).scalar_one() + 1
    return list(range(start, start + n))


def get_or_create_keys(conn: Connection, kind: str, names: Sequence[str]) -> dict[str, int]:
    """Ids of the annotation keys ``(kind, name)``, creating the missing ones."""
    from snorkel_ie.db.models import AnnotationKey

    table = AnnotationKey.__table__
    insert_rows(conn, table, ["kind", "name"], [(kind, n) for n in dict.fromkeys(names)], on_conflict_ignore=True)
    found = conn.execute(table.select().where(table.c.kind == kind, table.c.name.in_(list(names))))
    return {row.name: row.id for row in found}
