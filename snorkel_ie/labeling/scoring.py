"""Quick scores of a label matrix against gold, as in Snorkel 0.7's tutorials."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.utils import as_label_vector, binary_prf, binary_scores
from snorkel_ie.log import report

__all__ = ["majority_vote", "majority_vote_score"]

_log = logging.getLogger(__name__)


def majority_vote(L: Any) -> np.ndarray:
    """Binary majority vote of each row: +1 when the votes sum above 0, else -1 (ties and empty rows negative)."""
    s = np.asarray(sp.csr_matrix(L).sum(axis=1)).ravel() if sp.issparse(L) else np.asarray(L).sum(axis=1)
    return np.where(s > 0, 1, -1).astype(np.int64)


def majority_vote_score(L: Any, L_gold: Any) -> tuple[float, float, float]:
    """Print pos/neg counts, precision, recall and F1 of the majority vote; return (P, R, F1).

    Candidates whose gold is 0 (unknown) are left out.
    """
    gold = as_label_vector(L_gold)
    pred = majority_vote(L)
    s = binary_scores(pred, gold)
    pos, neg = s.tp + s.fn, s.fp + s.tn
    total = max(pos + neg, 1)
    p, r, f1 = binary_prf(pred, gold)
    report(
        _log,
        f"pos/neg    {pos}:{neg} {100 * pos / total:.1f}%/{100 * neg / total:.1f}%\n"
        f"precision  {100 * p:.2f}\nrecall     {100 * r:.2f}\nf1         {100 * f1:.2f}",
    )
    return p, r, f1
