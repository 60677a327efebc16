"""Bulk writes on both backends."""

from __future__ import annotations

from sqlalchemy import select

from snorkel_ie.db.bulk import allocate_ids, get_or_create_keys, insert_rows
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
