"""Candidate storage: the bulk writer, and the reads and deletes extraction needs.

:func:`write_candidates` gives each table one bulk insert that skips rows already
present (its unique constraint decides) and reads ids back with one query per table,
so a partition costs a handful of statements whatever its size, and re-running it adds
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select

from snorkel_ie.db.bulk import insert_rows
from snorkel_ie.db.models import (
    AnnotatorRun,
    Candidate,
    CandidateSpan,
    Document,
    Sentence,
    Span,
    argument_key,
    span_stable_id,
)
from snorkel_ie.db.models.context import TemporarySpan
from snorkel_ie.db.views import chunks

__all__ = [
    "count_candidates",
    "delete_candidates",
    "delete_documents_with_prefix",
    "forget_lf_runs",
    "sentence_ids_by_document",
    "sentence_ids_by_document_name",
    "sentence_ids_of_documents",
    "write_candidates",
]


def sentence_ids_of_documents(conn: Connection, document_ids: Sequence[int]) -> list[int]:
    """Ids of the sentences of these documents."""
    s = Sentence.__table__
    out: list[int] = []
    for ids in chunks(list(document_ids)):
        out.extend(conn.execute(select(s.c.id).where(s.c.document_id.in_(list(ids)))).scalars())
    return out


def sentence_ids_by_document_name(conn: Connection, names: Sequence[str] | None) -> tuple[list[int], set[str]]:
    """Ids of the sentences of the documents called ``names`` (all sentences when None), and the names found."""
    s, d = Sentence.__table__, Document.__table__
    if names is None:
        return list(conn.execute(select(s.c.id)).scalars()), set()
    ids: list[int] = []
    found: set[str] = set()
    for batch in chunks(list(names)):
        stmt = select(s.c.id, d.c.name).join(d, d.c.id == s.c.document_id).where(d.c.name.in_(list(batch)))
        for sid, name in conn.execute(stmt):
            ids.append(sid)
            found.add(name)
    return ids, found


def sentence_ids_by_document(conn: Connection, sentence_ids: Sequence[int]) -> list[list[int]]:
    """``sentence_ids`` grouped by document (documents by id, sentences by position)."""
    s = Sentence.__table__
    rows: list[tuple[int, int, int]] = []
    for ids in chunks(sorted(set(sentence_ids))):
        stmt = select(s.c.document_id, s.c.position, s.c.id).where(s.c.id.in_(list(ids)))
        rows.extend(tuple(r) for r in conn.execute(stmt))
    groups: dict[int, list[int]] = {}
    for doc_id, _position, sid in sorted(rows):
        groups.setdefault(doc_id, []).append(sid)
    return list(groups.values())


def delete_documents_with_prefix(conn: Connection, prefix: str) -> int:
    """Delete the documents whose names start with ``prefix`` (cascading to their sentences,
    spans, candidates and annotations); returns how many."""
    if not prefix:
        raise ValueError("delete_documents_with_prefix needs a non-empty prefix")
    d = Document.__table__
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return conn.execute(delete(d).where(d.c.name.like(escaped + "%", escape="\\"))).rowcount


def forget_lf_runs(conn: Connection, candidate_type: str, split: int) -> None:
    """Delete the records of the LFs applied to the candidates of ``candidate_type`` in ``split``."""
    runs = AnnotatorRun.__table__
    conn.execute(delete(runs).where(runs.c.candidate_type == candidate_type, runs.c.split == split))


def delete_candidates(conn: Connection, candidate_type: str, split: int) -> int:
    """Delete the candidates of ``candidate_type`` in ``split`` (annotations go by cascade); returns how many."""
    table = Candidate.__table__
    return conn.execute(delete(table).where(table.c.type == candidate_type, table.c.split == split)).rowcount


def count_candidates(conn: Connection, candidate_type: str, *, except_split: int | None = None) -> int:
    """The number of candidates of ``candidate_type`` (outside ``except_split``, when given)."""
    table = Candidate.__table__
    query = select(func.count()).select_from(table).where(table.c.type == candidate_type)
    if except_split is not None:
        query = query.where(table.c.split != except_split)
    return int(conn.scalar(query) or 0)


def _existing_candidates(
    conn: Connection, type_name: str, sentence_ids: Sequence[int]
) -> dict[tuple[int, str], tuple[int, int]]:
    c = Candidate.__table__
    out = {}
    for ids in chunks(sorted(set(sentence_ids))):
        stmt = select(c.c.id, c.c.sentence_id, c.c.span_key, c.c.split).where(
            c.c.type == type_name, c.c.sentence_id.in_(list(ids))
        )
        for row in conn.execute(stmt):
            out[(row.sentence_id, row.span_key)] = (row.id, row.split)
    return out


def _span_ids(conn: Connection, sentence_ids: Sequence[int]) -> dict[tuple[int, int, int], int]:
    s = Span.__table__
    out = {}
    for ids in chunks(sorted(set(sentence_ids))):
        stmt = select(s.c.id, s.c.sentence_id, s.c.char_start, s.c.char_end).where(s.c.sentence_id.in_(list(ids)))
        for row in conn.execute(stmt):
            out[(row.sentence_id, row.char_start, row.char_end)] = row.id
    return out


def write_candidates(
    conn: Connection,
    type_name: str,
    split: int,
    found: Sequence[tuple[Any, Sequence[tuple[TemporarySpan, ...]]]],
) -> tuple[int, int, int]:
    """Persist the argument tuples ``found`` per sentence as candidates of ``type_name`` in ``split``.

    A candidate belongs to the sentence of its first argument (whatever sentence a
    tuple is listed under); its other arguments may lie in other sentences of the
    document (document scope), and each span is written in its own sentence.

    Returns
    -------
    (candidates, created, in_other_split)
        Distinct candidates asked for, how many were new, and how many already
        existed in another split (they stay there).
    """
    wanted: dict[tuple[int, str], tuple[Any, tuple[TemporarySpan, ...]]] = {}
    for _sentence, tuples in found:
        for args in tuples:
            anchor = args[0].sentence
            wanted.setdefault((anchor.id, argument_key(args)), (anchor, args))
    if not wanted:
        return 0, 0, 0
    existing = _existing_candidates(conn, type_name, [sid for sid, _ in wanted])
    new = {k: v for k, v in wanted.items() if k not in existing}
    other_split = sum(1 for k in wanted if k in existing and existing[k][1] != split)
    if not new:
        return len(wanted), 0, other_split

    span_rows = {}
    for _anchor, args in new.values():
        for a in args:
            sentence = a.sentence
            base = sentence.abs_char_start
            span_rows.setdefault(
                (sentence.id, a.char_start, a.char_end),
                span_stable_id(sentence.document.name, base + a.char_start, base + a.char_end),
            )
    insert_rows(
        conn,
        Span.__table__,
        ["stable_id", "sentence_id", "char_start", "char_end"],
        [(sid_, sid, start, end) for (sid, start, end), sid_ in span_rows.items()],
        on_conflict_ignore=True,
    )
    new_sentences = sorted({sid for sid, _ in new})
    span_ids = _span_ids(conn, sorted({sid for sid, _start, _end in span_rows}))
    insert_rows(
        conn,
        Candidate.__table__,
        ["type", "split", "sentence_id", "span_key"],
        [(type_name, split, sid, key) for sid, key in new],
        on_conflict_ignore=True,
    )
    ids = _existing_candidates(conn, type_name, new_sentences)
    arg_rows = []
    for (sid, key), (_sentence, args) in new.items():
        cid = ids[(sid, key)][0]
        arg_rows.extend((cid, i, span_ids[(a.sentence.id, a.char_start, a.char_end)]) for i, a in enumerate(args))
    insert_rows(
        conn, CandidateSpan.__table__, ["candidate_id", "position", "span_id"], arg_rows, on_conflict_ignore=True
    )
    return len(wanted), len(new), other_split
