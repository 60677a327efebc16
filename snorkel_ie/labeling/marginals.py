"""Marginals in the database: bulk save and aligned load.

A binary model stores ``P(y = +1)`` as one row ``value=1`` per candidate; a categorical
model (k classes) stores one row per class ``value=1..k``. ``training=True`` marks
training labels (from the generative model), ``False`` a model's predictions.

The signatures are Snorkel 0.7's: ``save_marginals(session, X, marginals, training)`` and
``load_marginals(session, X, split, cids_query, training)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.bulk import insert_columns
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.annotator import query_candidate_ids
from snorkel_ie.labeling.matrix import candidate_type_of

__all__ = ["load_marginals", "save_marginals"]


def _candidate_ids(X: Any) -> np.ndarray:
    ids = getattr(X, "candidate_ids", None)
    if ids is not None:
        return np.asarray(ids, dtype=np.int64)
    return np.asarray([int(getattr(c, "id", c)) for c in X], dtype=np.int64)


def save_marginals(session: Session, X: Any, marginals: Sequence[float] | np.ndarray, training: bool = True) -> int:
    """Write ``marginals`` for the candidates of ``X``, replacing their previous marginals.

    Parameters
    ----------
    session
        An open session.
    X
        An :class:`~snorkel_ie.labeling.AnnotationMatrix` (its rows' candidates), or a
        sequence of candidates or candidate ids, aligned with ``marginals``.
    marginals
        ``(n,)`` probabilities of the positive class, or ``(n, k)`` class probabilities.
    training
        Training marginals (True) or predictions (False); the two never overwrite each other.

    Returns
    -------
    int
        The number of rows written.
    """
    ids = _candidate_ids(X)
    m = np.asarray(marginals, dtype=np.float64)
    if m.ndim == 2 and m.shape[1] == 1:
        m = m.ravel()
    if m.ndim not in (1, 2) or m.shape[0] != len(ids):
        raise ConfigurationError(f"marginals of shape {m.shape} do not fit {len(ids)} candidates")
    if np.isnan(m).any() or (m < 0).any() or (m > 1).any():
        raise ConfigurationError("marginals must be probabilities in [0, 1] without NaN")
    if len(np.unique(ids)) != len(ids):
        raise ConfigurationError("X lists a candidate more than once")
    k = 1 if m.ndim == 1 else m.shape[1]
    cids = np.repeat(ids, k)
    values = np.tile(np.arange(1, k + 1, dtype=np.int64), len(ids))
    probs = m.ravel()
    session.commit()
    with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        annotations.delete_marginals(conn, ids, training=training)
        flags = np.full(len(cids), bool(training))
        insert_columns(
            conn,
            "marginal",
            ["candidate_id", "training", "value", "probability"],
            ["i4", "bool", "i4", "f8"],
            [cids, flags, values, probs],
        )
    session.commit()  # end the read snapshot: see the rows just written
    return len(cids)


def load_marginals(
    session: Session,
    X: Any = None,
    split: int | None = 0,
    cids_query: Any = None,
    training: bool = True,
    *,
    candidate_class: Any = None,
    cardinality: int | None = None,
) -> np.ndarray:
    """Marginals aligned with the rows of ``X`` (or of the split's label matrix: candidates by id).

    Returns ``(n,)`` for binary marginals and ``(n, k)`` for categorical ones (k from
    ``cardinality``, the candidate class, or the largest stored value). Candidates with no
    stored marginal get NaN.

    Parameters
    ----------
    session
        An open session.
    X
        An :class:`~snorkel_ie.labeling.AnnotationMatrix` or a sequence of candidates or
        ids: the rows, in its order. Default: the candidates of ``split`` (or of
        ``cids_query``) by id.
    split
        The candidates' split, when neither ``X`` nor ``cids_query`` is given.
    cids_query
        Only the marginals of these candidates (a query of ids, or candidates/ids): the
        rows when ``X`` is None; with ``X``, its rows outside the query get NaN.
    training
        Training marginals (True) or predictions (False).
    candidate_class
        Restrict the split's rows to one candidate class; gives k for categorical ones.
    cardinality
        The number of classes, when neither the class nor the stored values tell.
    """
    conn = session.connection()
    ctype = candidate_type_of(candidate_class)
    wanted = None if cids_query is None else query_candidate_ids(session, cids_query)
    if X is not None:
        ids = _candidate_ids(X)
        cids, vals, probs = annotations.read_marginals(conn, training=training)
    elif wanted is not None:
        ids = wanted
        cids, vals, probs = annotations.read_marginals(conn, training=training)
    else:
        ids = annotations.candidate_ids(conn, split=split, candidate_type=ctype)
        cids, vals, probs = annotations.read_marginals(conn, training=training, split=split, candidate_type=ctype)
    if wanted is not None:
        keep = np.isin(cids, wanted)
        cids, vals, probs = cids[keep], vals[keep], probs[keep]
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids, cids, sorter=order)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    rows = order[pos] if len(ids) else pos
    hit = (ids[rows] == cids) if len(ids) else np.zeros(0, bool)
    rows, vals, probs = rows[hit], vals[hit], probs[hit]
    k = cardinality or getattr(candidate_class, "cardinality", None)
    k = int(k) if k is not None and k > 2 else (int(vals.max()) if len(vals) and vals.max() > 1 else 1)
    if k == 1:
        out = np.full(len(ids), np.nan)
        out[rows[vals == 1]] = probs[vals == 1]
        return out
    out2 = np.full((len(ids), k), np.nan)
    out2[rows, vals - 1] = probs
    return out2
