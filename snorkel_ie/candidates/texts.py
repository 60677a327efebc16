"""Classification candidates: one candidate per text (a comment, a tweet, a review), no span pairs.

:func:`add_text_candidates` turns the records of any reader (the tabular readers,
JSONL, TSV...) into :class:`~snorkel_ie.db.models.RawText` contexts and one candidate of
a one-argument class over each, so a text-classification task runs through the same
labeling functions, label matrices, generative model, export and end models as a
relation task. The candidate's argument is the span over the whole text:
``c.comment.text`` is the text, ``c.get_parent()`` its one sentence (tokens split at
word boundaries and punctuation, no spaCy needed), ``c.get_parent().document.meta`` the
record's meta.

Examples
--------
>>> Comment = candidate_subclass("Comment", ["comment"])                                    # doctest: +SKIP
>>> reader = CSVDocPreprocessor("comments.csv", text="CONTENT", id="COMMENT_ID")           # doctest: +SKIP
>>> add_text_candidates(session, Comment, reader, split=0,
...                     gold=lambda r: 1 if r.meta["CLASS"] == "1" else -1)                 # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy.orm import Session

from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import Candidate, RawText, save_candidate_class
from snorkel_ie.db.texts import stored_text_ids
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.parsing.preprocessors import DocPreprocessor, DocRecord

__all__ = ["TextCandidateSummary", "add_text_candidates"]

log = logging.getLogger("snorkel_ie.candidates.texts")


class TextCandidateSummary(NamedTuple):
    """What :func:`add_text_candidates` did."""

    added: int
    """Candidates (and texts) stored."""
    skipped: int
    """Records whose text was already stored (a re-run resumes)."""
    gold: int
    """Gold labels stored (non-zero values of ``gold``)."""


def add_text_candidates(
    session: Session,
    candidate_class: type[Candidate],
    records: DocPreprocessor | Iterable[DocRecord],
    *,
    split: int | Callable[[DocRecord], int] = 0,
    gold: Callable[[DocRecord], int | None] | None = None,
    gold_annotator: str = "gold",
    batch_size: int = 2000,
) -> TextCandidateSummary:
    """Store each record as a RawText with one ``candidate_class`` candidate over it.

    Parameters
    ----------
    session
        An open session.
    candidate_class
        A one-argument class from :func:`~snorkel_ie.candidate_subclass`.
    records
        A reader (its ``records()``) or an iterable of
        :class:`~snorkel_ie.parsing.DocRecord`; each record's name is the text's stable id.
    split
        The split of every candidate, or a function of the record that gives it.
    gold
        A function of the record giving its gold label (``0``/None: unknown), stored for
        ``gold_annotator`` (as :func:`~snorkel_ie.labeling.save_gold_labels` does).
    batch_size
        Records per transaction.
    """
    from snorkel_ie.labeling import save_gold_labels

    if len(getattr(candidate_class, "__argnames__", ())) != 1:
        raise CandidateError(
            f"add_text_candidates needs a one-argument candidate class, e.g. candidate_subclass('Comment', ['comment']); "
            f"got {candidate_class!r}"
        )
    if not (isinstance(split, int) or callable(split)):
        raise ConfigurationError(f"split must be an int or a function of the record; got {split!r}")
    (arg,) = candidate_class.__argnames__
    with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        save_candidate_class(conn, candidate_class)
    source = records.records() if isinstance(records, DocPreprocessor) else iter(records)
    added = skipped = n_gold = 0
    while batch := [r for _, r in zip(range(batch_size), source, strict=False)]:
        stored = stored_text_ids(session, [r.name for r in batch])
        new = [r for r in batch if r.name not in stored]
        skipped += len(batch) - len(new)
        cands = [
            candidate_class(
                split=split if isinstance(split, int) else int(split(r)),
                **{arg: RawText(stable_id=r.name, text=r.text, meta=r.meta or None)},
            )
            for r in new
        ]
        session.add_all(cands)
        session.commit()
        added += len(cands)
        if gold is not None and cands:
            n_gold += save_gold_labels(session, cands, [int(gold(r) or 0) for r in new], annotator_name=gold_annotator)
    log.info("added %d text candidates (%d already stored), %d gold labels", added, skipped, n_gold)
    return TextCandidateSummary(added, skipped, n_gold)
