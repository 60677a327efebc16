"""Scoring on the ground floor: confusion counts, precision/recall/F1 and reports, on ``sklearn.metrics``.

Shared by labeling (``lf_stats``, majority vote) and by the generative and discriminative
models; :mod:`snorkel_ie.learning.utils` re-exports these names under their Snorkel 0.7 path.

Gold labels follow the label-matrix encoding: binary gold is ``+1``/``-1``, categorical
gold is ``1..k``, and ``0`` means *unknown*: such candidates are ignored by every score.

Examples
--------
>>> import numpy as np
>>> binary_scores(np.array([1, 1, -1, -1]), np.array([1, -1, -1, 0]))
BinaryScores(tp=1, fp=1, tn=1, fn=0)
>>> binary_prf(np.array([1, 1, -1, -1]), np.array([1, -1, -1, 0]))
(0.5, 1.0, 0.6666666666666666)
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ModelError
from snorkel_ie.log import report

__all__ = [
    "BinaryScores",
    "as_label_vector",
    "binary_prf",
    "binary_scores",
    "categorical_accuracy",
    "categorical_prf",
    "predictions_from_marginals",
    "print_binary_report",
]

_log = logging.getLogger(__name__)


class BinaryScores(NamedTuple):
    """Confusion counts of binary predictions against gold (unknown gold excluded)."""

    tp: int
    fp: int
    tn: int
    fn: int


def as_label_vector(labels: Any, *, name: str = "L_gold") -> np.ndarray:
    """Turn gold labels (sparse ``(n, 1)`` column, ``(n,)`` or ``(n, 1)`` array, list) into an int64 vector.

    Raises
    ------
    ModelError
        When the input is not one column, holds NaN or non-integer values.
    """
    if sp.issparse(labels):
        if labels.shape[1] != 1:
            raise ModelError(f"{name} must be one column, got a sparse matrix of shape {labels.shape}")
        arr = np.asarray(labels.toarray()).ravel()
    else:
        arr = np.asarray(labels)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr.ravel()
        if arr.ndim != 1:
            raise ModelError(f"{name} must be a vector or an (n, 1) column, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise ModelError(f"{name} contains NaN; use 0 for unknown labels")
        if np.any(arr != np.round(arr)):
            raise ModelError(f"{name} must hold integer labels, got non-integer values")
    elif arr.dtype.kind not in "iub":
        raise ModelError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _check_same_length(pred: np.ndarray, gold: np.ndarray) -> None:
    if pred.shape[0] != gold.shape[0]:
        raise ModelError(f"predictions have {pred.shape[0]} rows but gold has {gold.shape[0]}; they must align")


def binary_scores(pred: Any, gold: Any) -> BinaryScores:
    """Count true/false positives/negatives of ``+1``/``-1`` predictions; gold ``0`` is ignored."""
    p = as_label_vector(pred, name="predictions")
    g = as_label_vector(gold)
    _check_same_length(p, g)
    known = g != 0
    if not known.any():
        return BinaryScores(0, 0, 0, 0)
    from sklearn.metrics import confusion_matrix  # sklearn.metrics imports pandas: keep it off import

    matrix = confusion_matrix(g[known] == 1, p[known] == 1, labels=[False, True])
    (tn, fp), (fn, tp) = matrix.tolist()
    return BinaryScores(tp=int(tp), fp=int(fp), tn=int(tn), fn=int(fn))


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from confusion counts (0 where undefined), as ``sklearn.metrics`` reports them."""
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def binary_prf(pred: Any, gold: Any, *, beta: float = 1.0) -> tuple[float, float, float]:
    """Precision, recall and F1 (F-``beta``) of the positive class (``+1``); gold ``0`` is ignored."""
    p = as_label_vector(pred, name="predictions")
    g = as_label_vector(gold)
    _check_same_length(p, g)
    known = g != 0
    if not known.any():
        return 0.0, 0.0, 0.0
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        g[known] == 1, p[known] == 1, beta=beta, labels=[True], average="binary", pos_label=True, zero_division=0
    )
    return float(precision), float(recall), float(f1)


def categorical_accuracy(pred: Any, gold: Any) -> float:
    """Fraction of candidates with known gold (``!= 0``) whose prediction equals it."""
    p = as_label_vector(pred, name="predictions")
    g = as_label_vector(gold)
    _check_same_length(p, g)
    known = g != 0
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(g[known], p[known])) if known.any() else 0.0


def categorical_prf(pred: Any, gold: Any, *, average: str = "macro", beta: float = 1.0) -> tuple[float, float, float]:
    """Precision, recall and F1 (F-``beta``) over classes ``1..k`` (``average='macro'`` or ``'micro'``); gold ``0`` ignored."""
    p = as_label_vector(pred, name="predictions")
    g = as_label_vector(gold)
    _check_same_length(p, g)
    known = g != 0
    p, g = p[known], g[known]
    classes = np.union1d(np.unique(g), np.unique(p[p != 0]))
    if average not in ("macro", "micro"):
        raise ModelError(f"average must be 'macro' or 'micro', got {average!r}")
    if len(classes) == 0:
        return 0.0, 0.0, 0.0
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        g, p, beta=beta, labels=classes, average=average, zero_division=0
    )
    return float(precision), float(recall), float(f1)


def predictions_from_marginals(marginals: np.ndarray, *, b: float = 0.5, tie: int = -1) -> np.ndarray:
    """Hard labels from marginals.

    For a vector of ``P(y=+1)``: ``+1`` where the marginal is above ``b``, ``-1`` below it,
    and ``tie`` where it equals ``b`` exactly (``-1`` by default, as Snorkel 0.7's ``> b``).
    For an ``(n, k)`` matrix: the arg-max class, ``1..k``.
    """
    m = np.asarray(marginals, dtype=np.float64)
    if m.ndim == 2:
        return np.argmax(m, axis=1).astype(np.int64) + 1
    out = np.where(m > b, 1, -1).astype(np.int64)
    out[m == b] = tie
    return out


def print_binary_report(scores: BinaryScores, *, title: str = "Scores", b: float | None = None) -> None:
    """Show precision, recall, F1 and the confusion counts in a small block (:func:`snorkel_ie.log.report`)."""
    precision, recall, f1 = _prf(scores.tp, scores.fp, scores.fn)
    bar = "=" * 40
    neg = scores.tn / (scores.tn + scores.fp) if scores.tn + scores.fp > 0 else 0.0
    lines = [
        bar,
        f"{title}" + (f" (b={b})" if b is not None else ""),
        bar,
        f"Pos. class accuracy: {recall:.3f}",
        f"Neg. class accuracy: {neg:.3f}",
        f"Precision            {precision:.3f}",
        f"Recall               {recall:.3f}",
        f"F1                   {f1:.3f}",
        "-" * 40,
        f"TP: {scores.tp} | FP: {scores.fp} | TN: {scores.tn} | FN: {scores.fn}",
        bar,
    ]
    report(_log, "\n".join(lines))
