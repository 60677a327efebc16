"""Fast reads and writes of sparse ``(candidate_id, key_id, value)`` rows, as numpy columns.

No ORM objects: PostgreSQL moves rows with binary ``COPY`` parsed or built by numpy,
SQLite through the raw DB-API cursor (``np.fromiter`` / ``executemany``). Every
function takes an open :class:`~sqlalchemy.engine.Connection`; the caller owns the
transaction.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection

_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_TRAILER = struct.pack(">h", -1)
_PG_TYPES = {"i4": (">i4", 4), "f8": (">f8", 8), "bool": ("?", 1)}

# Column types of the sparse tables on PostgreSQL (Integer -> int4, Float -> float8).
TABLE_VALUE_TYPE = {"label": "i4", "gold_label": "i4", "feature": "f8"}


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _dbapi_cursor(conn: Connection):
    return conn.connection.dbapi_connection.cursor()


def _pg_dtype(types: Sequence[str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, t in enumerate(types):
        fields += [(f"l{i}", ">i4"), (f"v{i}", _PG_TYPES[t][0])]
    return np.dtype(fields)


def copy_in_binary(conn: Connection, table: str, columns: Sequence[str], types: Sequence[str], arrays) -> int:
    """Write columns ``arrays`` into ``table`` with PostgreSQL's binary COPY (no NULLs)."""
    n = len(arrays[0])
    if n == 0:
        return 0
    dt = _pg_dtype(types)
    rec = np.empty(n, dtype=dt)
    rec["n"] = len(columns)
    for i, (t, a) in enumerate(zip(types, arrays, strict=True)):
        rec[f"l{i}"] = _PG_TYPES[t][1]
        rec[f"v{i}"] = a
    buf = io.BytesIO()
    buf.write(_PG_HEADER)
    buf.write(rec.tobytes())
    buf.write(_PG_TRAILER)
    buf.seek(0)
    cursor = _dbapi_cursor(conn)
    try:
        cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT binary)', buf)
    finally:
        cursor.close()
    return n


def copy_out_binary(conn: Connection, query: str, types: Sequence[str]) -> np.ndarray:
    """Run ``query`` through ``COPY (...) TO STDOUT`` in binary and parse it into a record array."""
    buf = io.BytesIO()
    cursor = _dbapi_cursor(conn)
    try:
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buf)
    finally:
        cursor.close()
    raw = buf.getbuffer()
    ext = struct.unpack_from(">i", raw, 15)[0]
    start = 19 + ext
    dt = _pg_dtype(types)
    n = (len(raw) - start - 2) // dt.itemsize
    rec = np.frombuffer(raw, dtype=dt, count=n, offset=start)
    if n and (rec["n"] != len(types)).any():  # a NULL or a mismatched layout would show up here
        raise RuntimeError("unexpected COPY layout while reading annotation rows")
    return rec


def fetch_columns(conn: Connection, query: str, params: Sequence, types: Sequence[str]) -> list[np.ndarray]:
    """Run ``query`` (DB-API ``?`` / ``%s`` placeholders already chosen by the caller) into numpy columns."""
    if is_postgres(conn):
        if params:
            cursor = _dbapi_cursor(conn)
            try:
                query = cursor.mogrify(query, tuple(params)).decode()
            finally:
                cursor.close()
        rec = copy_out_binary(conn, query, types)
        return [np.asarray(rec[f"v{i}"]).astype(_np_type(t)) for i, t in enumerate(types)]
    cursor = _dbapi_cursor(conn)
    try:
        cursor.execute(query, tuple(params))
        dt = np.dtype([(f"v{i}", _np_type(t)) for i, t in enumerate(types)])
        rec = np.fromiter(cursor, dtype=dt)
    finally:
        cursor.close()
    return [rec[f"v{i}"].copy() for i in range(len(types))]


def _np_type(t: str) -> str:
    return {"i4": "i8", "f8": "f8", "bool": "?"}[t]


def placeholder(conn: Connection) -> str:
    return "%s" if is_postgres(conn) else "?"


def insert_columns(conn: Connection, table: str, columns: Sequence[str], types: Sequence[str], arrays) -> int:
    """Insert parallel numpy columns into ``table`` in bulk (binary COPY / executemany)."""
    n = len(arrays[0])
    if n == 0:
        return 0
    if is_postgres(conn):
        return copy_in_binary(conn, table, columns, types, arrays)
    cursor = _dbapi_cursor(conn)
    marks = ", ".join("?" for _ in columns)
    try:
        cursor.executemany(
            f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',
            zip(*(np.asarray(a).tolist() for a in arrays), strict=True),
        )
    finally:
        cursor.close()
    return n


def split_filter(conn: Connection, alias: str, *, split: int | None, candidate_type: str | None) -> tuple[str, list]:
    """SQL conditions (and parameters) selecting candidates of ``split`` and ``candidate_type``."""
    p = placeholder(conn)
    conds, params = [], []
    if candidate_type is not None:
        conds.append(f"{alias}.type = {p}")
        params.append(candidate_type)
    if split is not None:
        conds.append(f"{alias}.split = {p}")
        params.append(int(split))
    return (" AND ".join(conds) or "1 = 1"), params


def candidate_ids(conn: Connection, *, split: int | None, candidate_type: str | None) -> np.ndarray:
    """Sorted ids of the candidates of ``split`` (and ``candidate_type``, when given)."""
    where, params = split_filter(conn, "c", split=split, candidate_type=candidate_type)
    (ids,) = fetch_columns(conn, f"SELECT c.id FROM candidate c WHERE {where} ORDER BY c.id", params, ["i4"])
    return ids


def candidate_types(conn: Connection, *, split: int | None) -> list[str]:
    """The candidate types present in ``split``."""
    p = placeholder(conn)
    cursor = _dbapi_cursor(conn)
    try:
        if split is None:
            cursor.execute("SELECT DISTINCT type FROM candidate")
        else:
            cursor.execute(f"SELECT DISTINCT type FROM candidate WHERE split = {p}", (int(split),))
        return sorted(r[0] for r in cursor.fetchall())
    finally:
        cursor.close()


def read_rows(
    conn: Connection,
    table: str,
    *,
    split: int | None,
    candidate_type: str | None,
    key_ids: Sequence[int] | None = None,
    row_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(candidate_id, key_id, value)`` columns of ``table`` for the candidates of a split.

    Rows of candidates outside the split may be returned too when ``row_ids`` (the split's
    sorted candidate ids) is given: the caller drops them while building the matrix.
    """
    vtype = TABLE_VALUE_TYPE[table]
    if key_ids is not None and len(key_ids) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, _np_type(vtype))
    if key_ids is not None and len(key_ids) > _MAX_SQL_KEYS:
        # A long IN list (a training split's thousands of feature names) makes SQLite's
        # planner probe the table once per key: read the split's rows and filter here.
        cids, kids, vals = read_rows(conn, table, split=split, candidate_type=candidate_type, row_ids=row_ids)
        keep = np.isin(kids, np.asarray(key_ids, dtype=np.int64))
        return cids[keep], kids[keep], vals[keep]
    keys = f" AND {{k}}key_id IN ({', '.join(str(int(k)) for k in key_ids)})" if key_ids is not None else ""
    if not is_postgres(conn) and vtype == "i4" and row_ids is not None:
        if len(row_ids) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
        return _sqlite_scan(conn, table, int(row_ids[0]), int(row_ids[-1]), keys.format(k="+"))
    where, params = split_filter(conn, "c", split=split, candidate_type=candidate_type)
    query = (
        f'SELECT a.candidate_id, a.key_id, a.value FROM "{table}" a JOIN candidate c ON c.id = a.candidate_id '
        f"WHERE {where}{keys.format(k='a.')}"
    )
    cids, kids, vals = fetch_columns(conn, query, params, ["i4", "i4", vtype])
    return cids, kids, vals


_SCAN_CANDIDATES = 100_000
_MAX_SQL_KEYS = 500


def _sqlite_scan(conn: Connection, table: str, lo: int, hi: int, keys: str) -> tuple[np.ndarray, ...]:
    """Integer rows of candidates ``lo..hi``, three group_concat strings per window of candidates.

    The row tables are ``WITHOUT ROWID`` with primary key ``(candidate_id, key_id)``, so a
    window of candidate ids is one sequential range of the table. SQLite's Python cursor
    costs about a microsecond a row; aggregating each column into one string in C and
    parsing it with numpy is several times faster.
    """
    cursor = _dbapi_cursor(conn)
    out: list[list[np.ndarray]] = [[], [], []]
    try:
        for start in range(lo, hi + 1, _SCAN_CANDIDATES):
            row = cursor.execute(
                f'SELECT group_concat(candidate_id), group_concat(key_id), group_concat(value) FROM "{table}" '
                f"WHERE candidate_id >= ? AND candidate_id < ?{keys}",
                (start, min(start + _SCAN_CANDIDATES, hi + 1)),
            ).fetchone()
            if row[0] is None:
                continue
            for i in range(3):
                out[i].append(np.fromstring(row[i], dtype=np.int64, sep=","))  # C parser; text mode is not deprecated
    finally:
        cursor.close()
    return tuple(np.concatenate(o) if o else np.empty(0, np.int64) for o in out)


def delete_rows(
    conn: Connection,
    table: str,
    *,
    key_ids: Sequence[int] | None,
    split: int | None,
    candidate_type: str | None,
    candidate_ids_: np.ndarray | None = None,
) -> None:
    """Delete rows of ``table`` for keys ``key_ids`` (all keys when None) on the candidates of a split.

    With ``candidate_ids_`` only those candidates' rows go.
    """
    conds = []
    if key_ids is not None:
        if len(key_ids) == 0:
            return
        conds.append(f"key_id IN ({', '.join(str(int(k)) for k in key_ids)})")
    cursor = _dbapi_cursor(conn)
    try:
        if candidate_ids_ is not None:
            ids = np.asarray(candidate_ids_, dtype=np.int64).tolist()
            if is_postgres(conn):
                cond = " AND ".join([*conds, "candidate_id = ANY(%s)"])
                cursor.execute(f'DELETE FROM "{table}" WHERE {cond}', (ids,))
            else:
                cond = " AND ".join([*conds, "candidate_id = ?"])
                cursor.executemany(f'DELETE FROM "{table}" WHERE {cond}', ((i,) for i in ids))
            return
        where, params = split_filter(conn, "c", split=split, candidate_type=candidate_type)
        conds.append(f"candidate_id IN (SELECT c.id FROM candidate c WHERE {where})")
        cursor.execute(f'DELETE FROM "{table}" WHERE {" AND ".join(conds)}', tuple(params))
    finally:
        cursor.close()
