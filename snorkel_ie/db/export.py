"""Database reads for :mod:`snorkel_ie.export`: the candidates of a split with their argument spans.

Core queries (no SQL text) over ``candidate``, ``candidate_span``, ``span``, ``sentence``
and ``document``; the caller turns the rows into a table.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import Candidate, CandidateSpan, Document, Sentence, Span

__all__ = ["ArgumentRow", "argument_rows", "split_candidate_types"]


class ArgumentRow(NamedTuple):
    """One argument of one candidate, with its sentence and document."""

    candidate_id: int
    type: str
    split: int
    position: int
    span_stable_id: str
    char_start: int
    char_end: int
    sentence_stable_id: str
    sentence_text: str
    document: str


def split_candidate_types(session: Session, split: int | None) -> list[str]:
    """The candidate types that have candidates in ``split`` (every split for None), sorted."""
    c = Candidate.__table__
    query = select(c.c.type).distinct().order_by(c.c.type)
    if split is not None:
        query = query.where(c.c.split == split)
    return list(session.execute(query).scalars())


def argument_rows(session: Session, split: int | None, candidate_type: str) -> list[ArgumentRow]:
    """Every argument of the ``candidate_type`` candidates of ``split``, by candidate id and position."""
    c, cs, sp, se, d = (t.__table__ for t in (Candidate, CandidateSpan, Span, Sentence, Document))
    query = (
        select(
            c.c.id,
            c.c.type,
            c.c.split,
            cs.c.position,
            sp.c.stable_id,
            sp.c.char_start,
            sp.c.char_end,
            se.c.stable_id,
            se.c.text,
            d.c.name,
        )
        .select_from(c)
        .join(cs, cs.c.candidate_id == c.c.id)
        .join(sp, sp.c.id == cs.c.span_id)
        .join(se, se.c.id == c.c.sentence_id)
        .join(d, d.c.id == se.c.document_id)
        .where(c.c.type == candidate_type)
        .order_by(c.c.id, cs.c.position)
    )
    if split is not None:
        query = query.where(c.c.split == split)
    return [ArgumentRow(*row) for row in session.execute(query)]
