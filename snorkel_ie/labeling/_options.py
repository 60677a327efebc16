"""Snorkel 0.7 options shared by the annotators and the loaders (``gold.py``, ``marginals.py``).

``key_group`` (only 0), ``cids_query`` (which candidates), ``count`` (a progress bar's
total) and ``zero_one`` / ``load_as_array`` (how a loaded matrix is returned).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import Candidate
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.matrix import AnnotationMatrix


def check_key_group(key_group: Any) -> None:
    """Reject a Snorkel 0.7 ``key_group`` other than the default 0.

    0.7 kept annotation keys in numbered groups; snorkel-ie's keys have no group column,
    so every key is in 0.7's default group 0 and another group cannot be honoured.
    """
    if isinstance(key_group, bool) or not isinstance(key_group, (int, np.integer)) or key_group != 0:
        raise ConfigurationError(
            f"key_group={key_group!r} is not supported: annotation keys have no group in snorkel-ie (every key is "
            "in Snorkel 0.7's default group 0). Leave key_group=0; to keep two key sets apart, give their "
            "LFs or features different names"
        )


def query_candidate_ids(session: Session, cids_query: Any) -> np.ndarray:
    """Sorted, unique candidate ids selected by a Snorkel 0.7 ``cids_query``.

    Parameters
    ----------
    session
        An open session, to run the query.
    cids_query
        A query or ``select`` whose first column is candidate ids (or candidates), e.g.
        ``session.query(Candidate.id).filter(Candidate.split == 0)``, or an iterable of
        candidates or ids.

    Raises
    ------
    ConfigurationError
        When an item is neither a candidate nor an integer id, or an id is no candidate's.
    """
    ids = _requested_ids(session, cids_query)
    _check_candidates_exist(session, ids)
    return ids


def _requested_ids(session: Session, cids_query: Any) -> np.ndarray:
    if isinstance(cids_query, np.ndarray) and cids_query.dtype.kind in "iu":
        return np.unique(cids_query.astype(np.int64))
    if hasattr(cids_query, "statement") or hasattr(cids_query, "subquery"):
        items: Iterable[Any] = (row[0] for row in session.execute(getattr(cids_query, "statement", cids_query)))
    elif isinstance(cids_query, (str, bytes)) or not isinstance(cids_query, Iterable):
        raise ConfigurationError(
            f"cids_query must be a query of candidate ids, or candidates or ids; got {type(cids_query).__name__}"
        )
    else:
        items = cids_query
    ids = []
    for i, item in enumerate(items, start=1):
        value = getattr(item, "id", item)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ConfigurationError(f"cids_query item {i} is {item!r}; expected a candidate or an integer id")
        ids.append(int(value))
    return np.unique(np.asarray(ids, dtype=np.int64))


def _check_candidates_exist(session: Session, ids: np.ndarray) -> None:
    """Refuse ids that name no candidate (a typo would otherwise come back as an empty row)."""
    if not ids.size:
        return
    if ids.size <= 500:
        known = np.fromiter(session.scalars(select(Candidate.id).where(Candidate.id.in_(ids.tolist()))), np.int64)
    else:  # long lists: compare in numpy rather than bind thousands of parameters
        known = np.fromiter(session.scalars(select(Candidate.id)), np.int64)
    missing = ids[~np.isin(ids, known)]
    if missing.size:
        shown = ", ".join(str(i) for i in missing[:10]) + (", ..." if missing.size > 10 else "")
        raise ConfigurationError(f"cids_query names {missing.size} id(s) that are no candidate's: {shown}")


def finish_matrix(
    matrix: AnnotationMatrix, *, zero_one: bool = False, load_as_array: bool = False
) -> AnnotationMatrix | np.ndarray:
    """Apply Snorkel 0.7's ``zero_one`` and ``load_as_array`` options to a loaded matrix.

    ``zero_one`` keeps 1 and turns every other value (-1, and the classes 2..k of a
    categorical matrix) into 0, as 0.7 did; ``load_as_array`` returns
    ``np.squeeze(matrix.toarray())`` (a vector for a one-column gold matrix).
    """
    if zero_one:
        matrix = matrix.copy()
        matrix.data = (matrix.data == 1).astype(matrix.dtype)
        matrix.eliminate_zeros()
    return np.squeeze(matrix.toarray()) if load_as_array else matrix


def _check_count(count: Any) -> None:
    if count is not None and (isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0):
        raise ConfigurationError(f"count must be a non-negative integer (the progress bar's total); got {count!r}")


def _matrix_rows(
    session: Session, split: int | None, cids_query: Any, candidate_ids: np.ndarray | None
) -> tuple[int | None, np.ndarray | None]:
    """``(split, row ids)`` for ``load_matrix``: a ``cids_query`` picks the rows whatever their split."""
    if cids_query is None:
        return split, candidate_ids
    if candidate_ids is not None:
        raise ConfigurationError("give cids_query or candidate_ids, not both")
    return None, query_candidate_ids(session, cids_query)
