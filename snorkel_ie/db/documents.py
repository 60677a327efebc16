"""Document storage: the bulk writer of parsed documents, sentences and mention spans.

:func:`write_documents` writes one batch in the caller's transaction (COPY on
PostgreSQL, ``executemany`` on SQLite), skipping the documents stored meanwhile, so a
batch written twice is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, select

from snorkel_ie.db.bulk import allocate_ids, insert_rows
from snorkel_ie.db.locks import transaction_lock
from snorkel_ie.db.models import Document
from snorkel_ie.db.models.context import TOKEN_ATTRIBUTES, document_stable_id
from snorkel_ie.db.views import chunks

__all__ = ["SENTENCE_COLUMNS", "Written", "delete_documents", "stored_document_names", "write_documents"]

SENTENCE_COLUMNS = ("id", "stable_id", "document_id", "position", "text", *TOKEN_ATTRIBUTES)
"""Columns of a sentence row, in the order :func:`write_documents` expects after ``document_id``."""


class Written(NamedTuple):
    """What :func:`write_documents` stored, and how many documents it skipped (already stored)."""

    documents: int = 0
    sentences: int = 0
    spans: int = 0
    tokens: int = 0
    skipped: int = 0


def stored_document_names(conn: Connection, names: Sequence[str]) -> set[str]:
    """The names among ``names`` of documents already stored."""
    d = Document.__table__
    out: set[str] = set()
    for part in chunks(list(names)):
        out.update(conn.execute(select(d.c.name).where(d.c.name.in_(list(part)))).scalars())
    return out


def write_documents(conn: Connection, docs: Sequence[Any]) -> Written:
    """Write a batch of encoded documents in the caller's transaction; documents stored meanwhile are skipped.

    Each document has ``name``, ``meta`` (JSON text), ``sentences`` (rows of
    ``SENTENCE_COLUMNS`` after ``document_id``, token arrays as JSON text), ``spans``
    (``(sentence index, stable_id, char_start, char_end)``) and ``tokens`` (a count).
    """
    if not docs:
        return Written()
    # Two jobs writing the same documents at once: the second waits here until the first
    # commits, then finds those names stored (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises).
    transaction_lock(conn, "documents")
    stored = stored_document_names(conn, [d.name for d in docs])
    docs = [d for d in docs if d.name not in stored]
    n_sent = sum(len(d.sentences) for d in docs)
    doc_ids = allocate_ids(conn, "document", len(docs))
    sent_ids = iter(allocate_ids(conn, "sentence", n_sent))
    span_ids = iter(allocate_ids(conn, "span", sum(len(d.spans) for d in docs)))
    doc_rows, sent_rows, span_rows = [], [], []
    tokens = 0
    for doc_id, d in zip(doc_ids, docs, strict=True):
        doc_rows.append((doc_id, document_stable_id(d.name), d.name, d.meta))
        ids = [next(sent_ids) for _ in d.sentences]
        for sid, row in zip(ids, d.sentences, strict=True):
            sent_rows.append((sid, row[0], doc_id, *row[1:]))
        span_rows.extend((next(span_ids), stable, ids[p], a, b) for p, stable, a, b in d.spans)
        tokens += d.tokens
    insert_rows(conn, "document", ("id", "stable_id", "name", "meta"), doc_rows)
    insert_rows(conn, "sentence", SENTENCE_COLUMNS, sent_rows)
    insert_rows(conn, "span", ("id", "stable_id", "sentence_id", "char_start", "char_end"), span_rows)
    return Written(len(docs), n_sent, len(span_rows), tokens, len(stored))


def delete_documents(conn: Connection) -> None:
    """Delete every document; the database cascades to sentences, spans, candidates and annotations."""
    conn.execute(delete(Document.__table__))
