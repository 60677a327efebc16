"""Attach :class:`~snorkel_ie.db.models.StableLabel` rows to candidates as gold labels.

A stable label names its candidate by the stable ids of its arguments (``"~~"``-joined),
so it survives re-parsing and re-extraction; :func:`reload_annotator_labels` finds the
candidates of one class and split whose arguments have those stable ids and writes the
labels as that annotator's gold labels (Snorkel 0.7's ``snorkel.db_helpers`` function).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import (
    AnnotationKey,
    Candidate,
    CandidateSpan,
    GoldLabel,
    RawText,
    Span,
    StableLabel,
)
from snorkel_ie.errors import CandidateError
from snorkel_ie.labeling.gold import save_gold_labels
from snorkel_ie.labeling.matrix import candidate_type_of

__all__ = ["reload_annotator_labels"]

logger = logging.getLogger("snorkel_ie.labeling.stable_labels")

_CHUNK = 900


def _span_ids(session: Session, stable_ids: set[str]) -> dict[str, int]:
    """Span id of each stable id that names a span, or a RawText (its whole-text span)."""
    found: dict[str, int] = {}
    ids = sorted(stable_ids)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        found.update(
            (sid, i) for sid, i in session.execute(select(Span.stable_id, Span.id).where(Span.stable_id.in_(part)))
        )
        rest = [s for s in part if s not in found]
        if rest:
            q = select(RawText.stable_id, RawText.span_id).where(RawText.stable_id.in_(rest))
            found.update((sid, i) for sid, i in session.execute(q))
    return found


def _candidates_by_spans(session: Session, ctype: str, split: int) -> dict[tuple[int, ...], int]:
    """Candidate id of each tuple of argument span ids, for one class and split."""
    q = (
        select(CandidateSpan.candidate_id, CandidateSpan.span_id)
        .join(Candidate, Candidate.id == CandidateSpan.candidate_id)
        .where(Candidate.type == ctype, Candidate.split == split)
        .order_by(CandidateSpan.candidate_id, CandidateSpan.position)
    )
    args: dict[int, list[int]] = {}
    for cid, span_id in session.execute(q):
        args.setdefault(cid, []).append(span_id)
    return {tuple(spans): cid for cid, spans in args.items()}


def _labelled(session: Session, annotator_name: str) -> set[int]:
    q = (
        select(GoldLabel.candidate_id)
        .join(AnnotationKey, AnnotationKey.id == GoldLabel.key_id)
        .where(AnnotationKey.kind == "gold", AnnotationKey.name == annotator_name)
    )
    return set(session.scalars(q))


def reload_annotator_labels(
    session: Session,
    candidate_class: Any,
    annotator_name: str,
    split: int,
    filter_label_split: bool = True,
    create_missing_cands: bool = False,
) -> int:
    """Write annotator ``annotator_name``'s stable labels as gold labels of ``candidate_class``'s ``split``.

    Parameters
    ----------
    session
        An open session.
    candidate_class
        The class made by :func:`~snorkel_ie.db.models.candidate_subclass`.
    annotator_name
        Whose stable labels; also the name under which :func:`load_gold_labels` finds them.
    split
        The candidates' split.
    filter_label_split
        Use only the stable labels stored with ``split``; ``False`` tries every stable
        label of the annotator against this split's candidates.
    create_missing_cands
        Create the candidate when every argument's context exists but the candidate does not.

    Returns
    -------
    int
        The number of gold labels written. A candidate that already has a gold label of
        this annotator keeps it (as in Snorkel 0.7); labels whose contexts or candidate
        are missing are counted in the log.
    """
    if not (isinstance(candidate_class, type) and issubclass(candidate_class, Candidate)):
        raise CandidateError(
            f"reload_annotator_labels needs a class made by candidate_subclass; got {candidate_class!r}"
        )
    ctype = candidate_type_of(candidate_class)
    q = select(StableLabel).where(StableLabel.annotator_name == annotator_name)
    if filter_label_split:
        q = q.where(StableLabel.split == split)
    labels = session.scalars(q.order_by(StableLabel.context_stable_ids)).all()
    wanted = {sid for sl in labels for sid in sl.stable_ids()}
    span_of = _span_ids(session, wanted)
    by_spans = _candidates_by_spans(session, ctype, split)
    have = _labelled(session, annotator_name)
    new: dict[int, int] = {}
    created = missing_contexts = missing_candidates = 0
    n_args = len(candidate_class.__argnames__)
    for sl in labels:
        sids = sl.stable_ids()
        spans = tuple(span_of.get(s) for s in sids)
        if len(spans) != n_args or None in spans:
            missing_contexts += 1
            continue
        cid = by_spans.get(spans)
        if cid is None and create_missing_cands:
            cid = _create_candidate(session, candidate_class, spans, split)
            by_spans[spans] = cid
            created += 1
        if cid is None:
            missing_candidates += 1
        elif cid not in have and cid not in new:
            new[cid] = int(sl.value)
    session.commit()
    written = save_gold_labels(session, list(new), list(new.values()), annotator_name=annotator_name) if new else 0
    logger.info(
        "AnnotatorLabels created: %d (%d candidates created; %d stable labels without their contexts, %d without a candidate)",
        written,
        created,
        missing_contexts,
        missing_candidates,
    )
    return written


def _create_candidate(session: Session, candidate_class: Any, span_ids: tuple[int, ...], split: int) -> int:
    spans = [session.get(Span, i) for i in span_ids]
    cand = candidate_class(split=split, **dict(zip(candidate_class.__argnames__, spans, strict=True)))
    session.add(cand)
    session.flush()
    return cand.id
