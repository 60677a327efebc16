"""What the discriminative models share: label checks, the label balancer, scoring.

Scoring uses :mod:`snorkel_ie.learning.utils`. Training labels are marginals: a ``(n,)`` array of P(y=1) for binary tasks or an
``(n, k)`` array of class probabilities. Gold labels are +1/-1 (binary) or 1..k
(categorical), 0 meaning unknown; they may come as a numpy array or a scipy sparse
column (as ``load_gold_labels`` returns them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ModelError, NotFittedError
from snorkel_ie.learning.utils import (
    BinaryScores,
    as_label_vector,
    binary_prf,
    binary_scores,
    categorical_prf,
    predictions_from_marginals,
    print_binary_report,
)

__all__ = ["NoiseAwareClassifier", "as_gold", "balance_training_set", "pool_marginals", "soft_labels"]

_EPS = 1e-6


def soft_labels(Y: Any, cardinality: int) -> np.ndarray:
    """``(n, k)`` float32 class-probability matrix of training marginals ``Y``.

    A ``(n,)`` array (binary only) is read as P(y=1) and becomes ``[1 - p, p]``.
    """
    Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=np.float64)
    if Y.ndim == 2 and Y.shape[1] == 1:
        Y = Y[:, 0]
    if Y.ndim == 1:
        if cardinality != 2:
            raise ModelError(f"got 1-d marginals for cardinality={cardinality}; pass an (n, {cardinality}) array of class probabilities")
        Y = np.column_stack([1.0 - Y, Y])
    if Y.ndim != 2 or Y.shape[1] != cardinality:
        raise ModelError(f"marginals of shape {Y.shape} do not match cardinality={cardinality}; expected (n,) or (n, {cardinality})")
    if not np.all(np.isfinite(Y)) or Y.min() < -_EPS or Y.max() > 1 + _EPS:
        raise ModelError("marginals must be finite probabilities in [0, 1]")
    if not np.allclose(Y.sum(axis=1), 1.0, atol=1e-4):
        raise ModelError("rows of (n, k) marginals must sum to 1")
    return np.clip(Y, 0.0, 1.0).astype(np.float32)


def as_gold(Y: Any) -> np.ndarray:
    """1-d int64 array of gold labels from a numpy array, list or scipy sparse column."""
    return as_label_vector(Y, name="gold labels")


def pool_marginals(marginals: Any, groups: Sequence[Any]) -> np.ndarray:
    """Binary marginals with each candidate's replaced by the largest of its group.

    A group holds the candidates that state the same relation instance, e.g. the
    mentions of one (chemical, disease) pair in one document when gold labels are given
    per pair. A model reads one sentence at a time; the instance holds when any of its
    mentions says so, so the pair takes its most confident mention's marginal.

    Parameters
    ----------
    marginals
        ``(n,)`` P(y=1) of the candidates.
    groups
        ``n`` hashable keys; candidates with equal keys form a group.

    Examples
    --------
    >>> pool_marginals([0.2, 0.9, 0.4], ["a", "a", "b"]).tolist()
    [0.9, 0.9, 0.4]
    """
    m = np.asarray(marginals, dtype=np.float64)
    if m.ndim != 1:
        raise ModelError(f"pooling takes binary marginals of shape (n,); got shape {m.shape}")
    if len(groups) != len(m):
        raise ModelError(f"{len(m)} marginals but {len(groups)} group keys; pass one key per candidate")
    ids: dict[Any, int] = {}
    codes = np.fromiter((ids.setdefault(g, len(ids)) for g in groups), dtype=np.int64, count=len(m))
    best = np.full(len(ids), -np.inf)
    np.maximum.at(best, codes, m)
    return best[codes]


def balance_training_set(
    soft: np.ndarray,
    *,
    rebalance: bool | float = False,
    uninformative_weight: float = 0.0,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights of the training examples to use (the original LabelBalancer).

    Rows whose marginals equal the uninformative prior (0.5 binary, 1/k categorical, to
    1e-6) are dropped when ``uninformative_weight`` is 0 and otherwise kept with that
    weight. With ``rebalance`` the informative examples are subsampled: binary, to a
    fraction ``rebalance`` of positives (``True`` means 0.5), split at P(y=1) = 0.5;
    categorical, to equal counts per arg-max class.

    Returns
    -------
    idx, weights
        Example indices (shuffled) and their loss weights.
    """
    _n, k = soft.shape
    uninformative = np.all(np.abs(soft - 1.0 / k) < _EPS, axis=1)
    informative = np.flatnonzero(~uninformative)
    if rebalance:
        informative = _rebalance(soft, informative, rebalance, rng)
    keep = [informative]
    if uninformative_weight > 0:
        keep.append(np.flatnonzero(uninformative))
    idx = np.concatenate(keep)
    if len(idx) == 0:
        raise ModelError("no informative training marginals (all equal the prior); label more candidates or set uninformative_weight > 0")
    weights = np.where(uninformative[idx], uninformative_weight, 1.0).astype(np.float32)
    order = rng.permutation(len(idx))
    return idx[order], weights[order]


def _rebalance(soft: np.ndarray, idx: np.ndarray, rebalance: bool | float, rng: np.random.Generator) -> np.ndarray:
    k = soft.shape[1]
    if k == 2:
        p = soft[idx, 1]
        pos, neg = idx[p > 0.5 + _EPS], idx[p < 0.5 - _EPS]
        if len(pos) == 0 or len(neg) == 0:
            raise ModelError(f"cannot rebalance: {len(pos)} positive and {len(neg)} negative training marginals")
        frac = 0.5 if rebalance is True else float(rebalance)
        if not 0 < frac < 1:
            raise ModelError(f"rebalance={rebalance!r}; expected True or a fraction of positives in (0, 1)")
        n_pos = min(len(pos), round(frac / (1 - frac) * len(neg)))
        n_neg = min(len(neg), round((1 - frac) / frac * n_pos))
        return np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)])
    groups = [idx[soft[idx].argmax(axis=1) == c] for c in range(k)]
    m = min(len(g) for g in groups if len(g))
    return np.concatenate([rng.choice(g, m, replace=False) for g in groups if len(g)])


class NoiseAwareClassifier:
    """Predictions, scoring and error analysis on top of a subclass's ``marginals``."""

    cardinality: int = 2
    name: str = "model"

    def marginals(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not getattr(self, "_fitted", False):
            raise NotFittedError(f"{type(self).__name__} is not trained; call train(...) or load(...) first")

    def predictions(self, X: Any, b: float = 0.5, *, groups: Sequence[Any] | None = None) -> np.ndarray:
        """Hard labels: +1/-1 for binary (marginal > ``b``), 1..k (arg-max) for categorical.

        With ``groups`` (binary only), one key per candidate, the marginals are first
        pooled over candidates with the same key (:func:`pool_marginals`).
        """
        m = self.marginals(X)
        return predictions_from_marginals(m if groups is None else pool_marginals(m, groups), b=b)

    def score(
        self, X: Any, Y: Any, b: float = 0.5, *, groups: Sequence[Any] | None = None, display: bool = True
    ) -> tuple[float, float, float]:
        """Precision, recall and F1 against gold ``Y`` (0 = unknown, ignored).

        Binary: of the positive class, predicting +1 where the marginal is above ``b``
        (pooled over ``groups`` when given, see :meth:`predictions`).
        Categorical: micro-averaged over classes (the accuracy on candidates with gold).
        """
        gold = as_gold(Y)
        pred = self.predictions(X, b=b, groups=groups)
        if len(gold) != len(pred):
            raise ModelError(f"{len(pred)} candidates but {len(gold)} gold labels")
        if self.cardinality == 2:
            p, r, f1 = binary_prf(pred, gold)
            if display:
                print_binary_report(binary_scores(pred, gold), title=self.name, b=b)
        else:
            p, r, f1 = categorical_prf(pred, gold, average="micro")
            if display:
                print(f"{self.name}: micro precision={p:.4f} recall={r:.4f} F1={f1:.4f}")
        return float(p), float(r), float(f1)

    def error_analysis(
        self,
        session: Any,
        X: Sequence[Any],
        Y: Any,
        b: float = 0.5,
        *,
        groups: Sequence[Any] | None = None,
        display: bool = True,
    ) -> tuple[set, set, set, set]:
        """True/false positive/negative candidate sets (binary; gold 0 is skipped).

        ``groups``: as for :meth:`predictions`.

        ``session`` is accepted for compatibility with Snorkel 0.7 and not used: ``X``
        holds the candidates themselves.
        """
        if self.cardinality != 2:
            raise ModelError("error_analysis is defined for binary models only")
        gold = as_gold(Y)
        pred = self.predictions(X, b=b, groups=groups)
        tp: set = set()
        fp: set = set()
        tn: set = set()
        fn: set = set()
        for c, yp, yg in zip(X, pred, gold, strict=True):
            if yg == 0:
                continue
            if yp == 1:
                (tp if yg == 1 else fp).add(c)
            else:
                (fn if yg == 1 else tn).add(c)
        if display:
            print_binary_report(BinaryScores(len(tp), len(fp), len(tn), len(fn)), title=f"{self.name} error analysis", b=b)
        return tp, fp, tn, fn

    def save_marginals(self, session: Any, X: Sequence[Any], *, training: bool = False) -> int:
        """Write this model's marginals on candidates ``X`` to the database; returns the row count.

        Stored as predictions (``training=False``) unless asked otherwise, so they never
        overwrite the generative model's training marginals.
        """
        from snorkel_ie.labeling.marginals import save_marginals

        m = self.marginals(X)
        return save_marginals(session, [c.id for c in X], m, training=training)
