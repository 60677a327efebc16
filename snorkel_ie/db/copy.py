"""PostgreSQL's COPY through psycopg2: the one place that speaks it.

psycopg2 has no COPY API of its own beyond ``cursor.copy_expert(sql, file)``; this
module is the small layer psycopg 3's ``cursor.copy()`` would be. Three uses:

- :func:`copy_rows`: tuples of Python values in COPY's text format (documents, sentences, spans);
- :func:`copy_arrays`: parallel numpy columns in COPY's binary format, built by numpy
  without a Python loop per row (labels, features, marginals);
- :func:`copy_out_arrays`: the result of a Core ``select`` read back in binary and parsed by numpy.

Table and column names come from the schema (``Base.metadata``), never from callers'
strings; the query of :func:`copy_out_arrays` is a Core statement with bound parameters.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, Table

from snorkel_ie.db.dbapi import compile_statement, cursor

__all__ = ["copy_arrays", "copy_out_arrays", "copy_rows", "quoted_columns"]

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_BINARY = {"i4": (">i4", 4), "f8": (">f8", 8), "bool": ("?", 1)}
"""Binary layout (numpy type, byte length) of the column types the sparse tables use."""


def quoted_columns(conn: Connection, table: Table | str, columns: Sequence[str]) -> str:
    """``"table" (col, ...)`` quoted for ``conn``'s dialect; every column must belong to ``table``.

    A ``str`` table is a temporary copy of a schema table (its columns are checked by PostgreSQL).
    """
    quote = conn.dialect.identifier_preparer.quote
    if isinstance(table, Table):
        unknown = [c for c in columns if c not in table.c]
        if unknown:
            raise ValueError(f"table {table.name!r} has no columns {unknown}")
        name = table.name
    else:
        name = table
    return f"{quote(name)} ({', '.join(quote(c) for c in columns)})"


def _copy(conn: Connection, sql: str, buf: io.IOBase, size: int) -> None:
    """``COPY ... FROM STDIN`` of ``buf`` (``size`` long) in one read.

    psycopg2 reads the file in ``size`` pieces with the GIL held and sends each with the GIL
    released; the 8 kB default makes a writer thread wait for the GIL ~170 times per MB
    while another thread runs Python, one read sends the buffer at once.
    """
    with cursor(conn) as cur:
        cur.copy_expert(sql, buf, size=max(size, 8192))


def _text_field(value: Any) -> str:
    """One field in COPY's text format."""
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
    """COPY ``rows`` (tuples in ``columns`` order) into ``table``; returns the number of rows written."""
    buf = io.StringIO()
    n = 0
    for row in rows:
        buf.write("\t".join(_text_field(v) for v in row))
        buf.write("\n")
        n += 1
    if n == 0:
        return 0
    size = buf.tell()
    buf.seek(0)
    _copy(conn, f"COPY {quoted_columns(conn, table, columns)} FROM STDIN", buf, size)
    return n


def _binary_dtype(types: Sequence[str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, t in enumerate(types):
        fields += [(f"l{i}", ">i4"), (f"v{i}", _BINARY[t][0])]
    return np.dtype(fields)


def copy_arrays(conn: Connection, table: Table, columns: Sequence[str], types: Sequence[str], arrays) -> int:
    """COPY parallel numpy ``arrays`` (no NULLs; ``types`` of ``i4``/``f8``/``bool``) into ``table`` in binary."""
    n = len(arrays[0])
    if n == 0:
        return 0
    rec = np.empty(n, dtype=_binary_dtype(types))
    rec["n"] = len(columns)
    for i, (t, a) in enumerate(zip(types, arrays, strict=True)):
        rec[f"l{i}"] = _BINARY[t][1]
        rec[f"v{i}"] = a
    buf = io.BytesIO()
    buf.write(_HEADER)
    buf.write(rec.tobytes())
    buf.write(_TRAILER)
    size = buf.tell()
    buf.seek(0)
    _copy(conn, f"COPY {quoted_columns(conn, table, columns)} FROM STDIN WITH (FORMAT binary)", buf, size)
    return n


def copy_out_arrays(conn: Connection, stmt: Select, types: Sequence[str]) -> np.ndarray:
    """The rows of ``stmt`` (no NULLs; columns of ``types``) as a record array with fields ``v0, v1, ...``."""
    sql, params = compile_statement(conn, stmt)
    buf = io.BytesIO()
    with cursor(conn) as cur:
        query = cur.mogrify(sql, params).decode()
        cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buf)
    raw = buf.getbuffer()
    start = 19 + struct.unpack_from(">i", raw, 15)[0]
    dt = _binary_dtype(types)
    n = (len(raw) - start - 2) // dt.itemsize
    rec = np.frombuffer(raw, dtype=dt, count=n, offset=start)
    if n and (rec["n"] != len(types)).any():  # a NULL or a mismatched layout would show up here
        raise RuntimeError("unexpected COPY layout while reading rows")
    return rec
