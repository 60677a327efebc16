"""Bulk writes on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from snorkel_ie.db.bulk import allocate_ids, get_or_create_keys, insert_columns, insert_rows
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import AnnotationKey, Document


def test_insert_rows_escapes_and_ignores_conflicts(session) -> None:
    names = ["plain", "tab\there", "new\nline", "back\\slash", "ünïcødé ✓"]
    with session.engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        ids = allocate_ids(conn, "document", len(names))
        rows = [(i, f"{n}::document:0:0", n, {"k": n, "list": [1, None]}) for i, n in zip(ids, names, strict=True)]
        insert_rows(conn, "document", ["id", "stable_id", "name", "meta"], rows)
    with session.engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        insert_rows(conn, "document", ["id", "stable_id", "name", "meta"], rows, on_conflict_ignore=True)
    docs = session.scalars(select(Document).order_by(Document.id)).all()
    assert [d.name for d in docs] == names
    assert [d.meta["k"] for d in docs] == names
    assert docs[0].meta["list"] == [1, None]


def test_allocate_ids_never_reuses(session) -> None:
    with session.engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        first = allocate_ids(conn, "document", 3)
        insert_rows(conn, "document", ["id", "stable_id", "name"], [(i, f"d{i}", f"d{i}") for i in first])
        second = allocate_ids(conn, "document", 2)
    assert len(set(first) | set(second)) == 5


def test_get_or_create_keys_is_idempotent(session) -> None:
    with session.engine.begin() as conn:
        a = get_or_create_keys(conn, "label", ["LF_a", "LF_b"])
        b = get_or_create_keys(conn, "label", ["LF_b", "LF_c"])
    assert a["LF_b"] == b["LF_b"]
    assert session.query(AnnotationKey).count() == 3


@pytest.mark.parametrize("spread", [2**20, 2**31 - 2])
def test_insert_columns_round_trips_integer_columns(session, spread: int) -> None:
    """Label-like integer columns come back exactly, whether SQLite packs them into one statement or not.

    A candidate-id range of 2**20 packs into 62 bits with the keys and values; one near 2**31
    with key ids near 2**31 does not (SQLite then takes ``executemany``).
    """
    rng = np.random.default_rng(3)
    n = 2000
    with session.engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        conn.exec_driver_sql("CREATE TEMP TABLE cols (a INTEGER, b INTEGER, c INTEGER)")
        table = Table("cols", MetaData(), Column("a", Integer), Column("b", Integer), Column("c", Integer))
        a = rng.integers(1, spread, n)
        b = rng.integers(2**31 - spread, 2**31 - 1, n)
        c = rng.integers(-1, 2, n)
        assert insert_columns(conn, table, ["a", "b", "c"], ["i4"] * 3, [a, b, c]) == n
        got = np.array(conn.exec_driver_sql("SELECT a, b, c FROM cols ORDER BY a, b, c").fetchall())
    want = np.stack([a, b, c], axis=1)
    want = want[np.lexsort((want[:, 2], want[:, 1], want[:, 0]))]
    np.testing.assert_array_equal(got, want)
