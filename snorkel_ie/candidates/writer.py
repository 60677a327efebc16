"""Write extracted candidates in bulk: spans, candidates, argument rows.

Each table gets one bulk insert that skips rows already present (its unique
constraint decides), and ids come back with one SELECT per table, so a partition
costs a handful of statements whatever its size, and re-running it adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from snorkel_ie.candidates.rows import chunks
from snorkel_ie.db.bulk import insert_rows
from snorkel_ie.db.models import Candidate, CandidateSpan, Span, span_key, span_stable_id
from snorkel_ie.db.models.context import TemporarySpan

__all__ = ["write_candidates"]


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

    Returns
    -------
    (candidates, created, in_other_split)
        Distinct candidates asked for, how many were new, and how many already
        existed in another split (they stay there).
    """
    wanted: dict[tuple[int, str], tuple[Any, tuple[TemporarySpan, ...]]] = {}
    for sentence, tuples in found:
        for args in tuples:
            key = span_key([(a.char_start, a.char_end) for a in args])
            wanted.setdefault((sentence.id, key), (sentence, args))
    if not wanted:
        return 0, 0, 0
    existing = _existing_candidates(conn, type_name, [sid for sid, _ in wanted])
    new = {k: v for k, v in wanted.items() if k not in existing}
    other_split = sum(1 for k in wanted if k in existing and existing[k][1] != split)
    if not new:
        return len(wanted), 0, other_split

    span_rows = {}
    for sentence, args in new.values():
        base = sentence.abs_char_start
        for a in args:
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
    span_ids = _span_ids(conn, new_sentences)
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
        arg_rows.extend((cid, i, span_ids[(sid, a.char_start, a.char_end)]) for i, a in enumerate(args))
    insert_rows(
        conn, CandidateSpan.__table__, ["candidate_id", "position", "span_id"], arg_rows, on_conflict_ignore=True
    )
    return len(wanted), len(new), other_split
