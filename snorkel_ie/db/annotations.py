"""The annotation tables as numpy columns: sparse ``(candidate_id, key_id, value)`` rows, marginals.

No ORM objects: PostgreSQL moves rows with binary COPY (:mod:`snorkel_ie.db.copy`),
SQLite through the raw DB-API cursor (``np.fromiter``, ``executemany``, one
``group_concat`` per window of candidates). Statements are Core expressions. Every
function takes an open :class:`~sqlalchemy.engine.Connection`; the caller owns the
transaction. Writing the columns is :func:`snorkel_ie.db.bulk.insert_columns`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import BigInteger, Connection, Integer, Table, and_, any_, bindparam, cast, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from snorkel_ie.db import dbapi
from snorkel_ie.db.bulk import schema_table
from snorkel_ie.db.copy import copy_out_arrays
from snorkel_ie.db.dbapi import is_postgres
from snorkel_ie.db.models import Candidate, CandidateSpan, Marginal
from snorkel_ie.db.views import candidate_filter
from snorkel_ie.errors import ConfigurationError

__all__ = [
    "TABLE_VALUE_TYPE",
    "analyze",
    "argument_row_sums",
    "candidate_ids",
    "candidate_types",
    "check_split",
    "delete_marginals",
    "delete_rows",
    "fetch_columns",
    "read_marginals",
    "read_rows",
]

TABLE_VALUE_TYPE = {"label": "i4", "gold_label": "i4", "feature": "f8"}
"""Value type of each sparse table (Integer -> int4, Float -> float8 on PostgreSQL)."""

_SCAN_CANDIDATES = 100_000
_MAX_SQL_KEYS = 500


def _np_type(t: str) -> str:
    return {"i4": "i8", "f8": "f8", "bool": "?"}[t]


def fetch_columns(conn: Connection, stmt, types: Sequence[str]) -> list[np.ndarray]:
    """The rows of the Core ``stmt`` (no NULLs; columns of ``types``) as numpy columns."""
    if is_postgres(conn):
        rec = copy_out_arrays(conn, stmt, types)
        return [np.asarray(rec[f"v{i}"]).astype(_np_type(t)) for i, t in enumerate(types)]
    sql, params = dbapi.compile_statement(conn, stmt)
    dt = np.dtype([(f"v{i}", _np_type(t)) for i, t in enumerate(types)])
    with dbapi.cursor(conn) as cur:
        cur.execute(sql, params)
        rec = np.fromiter(cur, dtype=dt)
    return [rec[f"v{i}"].copy() for i in range(len(types))]


MAX_SPLIT = 2**31 - 1
"""The largest split the ``candidate.split`` column (a 32-bit integer) holds."""


def check_split(split: int | None) -> None:
    """Refuse a split the database cannot hold (not a whole number in 0 .. 2**31 - 1), before any query."""
    if split is None:
        return
    if isinstance(split, bool) or not isinstance(split, (int, np.integer)) or not 0 <= int(split) <= MAX_SPLIT:
        raise ConfigurationError(
            f"split must be a whole number from 0 to {MAX_SPLIT} (0 train, 1 dev, 2 test); got {split!r}"
        )


def candidate_ids(conn: Connection, *, split: int | None, candidate_type: str | None) -> np.ndarray:
    """Sorted ids of the candidates of ``split`` (and ``candidate_type``, when given)."""
    check_split(split)
    c = Candidate.__table__
    stmt = select(c.c.id).where(*candidate_filter(split=split, candidate_type=candidate_type)).order_by(c.c.id)
    (ids,) = fetch_columns(conn, stmt, ["i4"])
    return ids


def candidate_types(conn: Connection, *, split: int | None) -> list[str]:
    """The candidate types present in ``split`` (None: any)."""
    check_split(split)
    c = Candidate.__table__
    stmt = select(c.c.type).where(*candidate_filter(split=split, candidate_type=None)).distinct()
    return sorted(r[0] for r in dbapi.fetchall(conn, stmt))


def _sparse_table(table: str | Table) -> Table:
    t = schema_table(table)
    if t.name not in TABLE_VALUE_TYPE:
        raise ValueError(f"{t.name!r} is not a sparse annotation table ({sorted(TABLE_VALUE_TYPE)})")
    return t


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
    t = _sparse_table(table)
    vtype = TABLE_VALUE_TYPE[t.name]
    if key_ids is not None and len(key_ids) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, _np_type(vtype))
    if key_ids is not None and len(key_ids) > _MAX_SQL_KEYS:
        # A long IN list (a training split's thousands of feature names) makes SQLite's
        # planner probe the table once per key: read the split's rows and filter here.
        cids, kids, vals = read_rows(conn, table, split=split, candidate_type=candidate_type, row_ids=row_ids)
        keep = np.isin(kids, np.asarray(key_ids, dtype=np.int64))
        return cids[keep], kids[keep], vals[keep]
    keys = [int(k) for k in key_ids] if key_ids is not None else None
    if not is_postgres(conn) and vtype == "i4" and row_ids is not None:
        if len(row_ids) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
        return _sqlite_scan(conn, t, int(row_ids[0]), int(row_ids[-1]), keys)
    c = Candidate.__table__
    stmt = (
        select(t.c.candidate_id, t.c.key_id, t.c.value)
        .join(c, c.c.id == t.c.candidate_id)
        .where(*candidate_filter(split=split, candidate_type=candidate_type))
    )
    if keys is not None:
        stmt = stmt.where(t.c.key_id.in_(keys))
    cids, kids, vals = fetch_columns(conn, stmt, ["i4", "i4", vtype])
    return cids, kids, vals


def _sqlite_scan(conn: Connection, t: Table, lo: int, hi: int, keys: list[int] | None) -> tuple[np.ndarray, ...]:
    """Integer rows of candidates ``lo..hi``, three group_concat strings per window of candidates.

    The row tables are ``WITHOUT ROWID`` with primary key ``(candidate_id, key_id)``, so a
    window of candidate ids is one sequential range of the table. SQLite's Python cursor
    costs about a microsecond a row; aggregating each column into one string in C and
    parsing it with numpy is several times faster.
    """
    out: list[list[np.ndarray]] = [[], [], []]
    concat = select(func.group_concat(t.c.candidate_id), func.group_concat(t.c.key_id), func.group_concat(t.c.value))
    if keys is not None:  # key_id + 0: a filter, not an index probe per key
        concat = concat.where((t.c.key_id + 0).in_(keys))
    for start in range(lo, hi + 1, _SCAN_CANDIDATES):
        window = concat.where(t.c.candidate_id >= start, t.c.candidate_id < min(start + _SCAN_CANDIDATES, hi + 1))
        row = dbapi.fetchall(conn, window)[0]
        if row[0] is None:
            continue
        for i in range(3):
            out[i].append(np.fromstring(row[i], dtype=np.int64, sep=","))  # C parser; text mode is not deprecated
    return tuple(np.concatenate(o) if o else np.empty(0, np.int64) for o in out)


def _delete_for_candidates(conn: Connection, t: Table, conds: list, ids: np.ndarray) -> None:
    """Delete the rows of ``t`` matching ``conds`` of the candidates ``ids``."""
    ids_list = np.asarray(ids, dtype=np.int64).tolist()
    if is_postgres(conn):
        any_ids = any_(bindparam("ids", ids_list, type_=ARRAY(BigInteger)))
        conn.execute(delete(t).where(*conds, t.c.candidate_id == any_ids))
    else:
        stmt = delete(t).where(*conds, t.c.candidate_id == bindparam("cid", None, type_=Integer))
        dbapi.executemany(conn, stmt, ["cid"], ((i,) for i in ids_list))


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
    t = _sparse_table(table)
    conds = []
    if key_ids is not None:
        if len(key_ids) == 0:
            return
        conds.append(t.c.key_id.in_([int(k) for k in key_ids]))
    if candidate_ids_ is not None:
        _delete_for_candidates(conn, t, conds, candidate_ids_)
        return
    c = Candidate.__table__
    in_split = select(c.c.id).where(*candidate_filter(split=split, candidate_type=candidate_type))
    dbapi.execute(conn, delete(t).where(*conds, t.c.candidate_id.in_(in_split)))


def delete_marginals(conn: Connection, ids: np.ndarray, *, training: bool) -> None:
    """Delete the training (or prediction) marginals of the candidates ``ids``."""
    m = Marginal.__table__
    _delete_for_candidates(conn, m, [m.c.training == bool(training)], ids)


def read_marginals(
    conn: Connection, *, training: bool, split: int | None = None, candidate_type: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(candidate_id, value, probability)`` columns of the stored marginals (of a split, when given)."""
    m, c = Marginal.__table__, Candidate.__table__
    stmt = (
        select(m.c.candidate_id, m.c.value, m.c.probability)
        .join(c, c.c.id == m.c.candidate_id)
        .where(m.c.training == bool(training), *candidate_filter(split=split, candidate_type=candidate_type))
    )
    cids, vals, probs = fetch_columns(conn, stmt, ["i4", "i4", "f8"])
    return cids, vals, probs


def _argument_hash(a: int, b: int):
    """A per-row hash of an argument row, below 2**31 so that a sum of them cannot overflow."""
    cs = CandidateSpan.__table__
    first = (cast(cs.c.candidate_id, BigInteger) * a + cs.c.position) % 2147483629
    second = (cast(cs.c.span_id, BigInteger) + b) % 2147483587
    return (first * second) % 2147483647


def argument_row_sums(
    conn: Connection, lo: int, hi: int, *, candidate_type: str | None, split: int | None
) -> tuple[int, int, int]:
    """Count and two sums of a non-linear hash of the argument rows of candidates ``lo..hi``.

    No row leaves the database; :func:`snorkel_ie.labeling._annotator_base.candidate_fingerprint`
    folds the three numbers into its digest.
    """
    cs, c = CandidateSpan.__table__, Candidate.__table__
    stmt = (
        select(func.count(), func.sum(_argument_hash(1000003, 7919)), func.sum(_argument_hash(1597334677, 104729)))
        .select_from(cs.join(c, c.c.id == cs.c.candidate_id))
        .where(and_(*candidate_filter(split=split, candidate_type=candidate_type), c.c.id.between(lo, hi)))
    )
    row = conn.execute(stmt).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def analyze(conn: Connection, table: str) -> None:
    """Refresh PostgreSQL's planner statistics of ``candidate`` and ``table`` after a bulk write (no-op on SQLite).

    Without them the planner believes the freshly loaded tables are empty and joins the
    split's candidates to their rows with a nested loop: ten times slower to load.
    """
    if not is_postgres(conn):
        return
    quote = conn.dialect.identifier_preparer.quote
    for name in ("candidate", schema_table(table).name):
        conn.exec_driver_sql(f"ANALYZE {quote(name)}")
