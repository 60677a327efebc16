"""The end models' training data (not the generative `training.py`): labels, the label balancer, batches, dev scores.

Training labels are marginals: a ``(n,)`` array of P(y=1) for binary tasks or an ``(n, k)``
array of class probabilities (:func:`soft_labels`). Gold labels are +1/-1 (binary) or 1..k
(categorical), 0 meaning unknown; they may come as a numpy array or a scipy sparse
column, as ``load_gold_labels`` returns them (:func:`as_gold`). After each epoch the dev
set is scored (:func:`dev_scores`) and :func:`dev_checkpoint_allowed` says whether that
epoch's weights may be kept. :mod:`.base` re-exports the names it defined before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.scoring import as_label_vector, binary_prf, categorical_prf, predictions_from_marginals

__all__ = [
    "as_gold",
    "balance_training_set",
    "check_dev_ckpt_delay",
    "class_balance_weights",
    "dev_checkpoint_allowed",
    "dev_scores",
    "matched_threshold",
    "pool_marginals",
    "soft_labels",
]

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
            raise ModelError(
                f"got 1-d marginals for cardinality={cardinality}; pass an (n, {cardinality}) array of class probabilities"
            )
        Y = np.column_stack([1.0 - Y, Y])
    if Y.ndim != 2 or Y.shape[1] != cardinality:
        raise ModelError(
            f"marginals of shape {Y.shape} do not match cardinality={cardinality}; expected (n,) or (n, {cardinality})"
        )
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
        raise ModelError(
            "no informative training marginals (all equal the prior); label more candidates or set uninformative_weight > 0"
        )
    weights = np.where(uninformative[idx], uninformative_weight, 1.0).astype(np.float32)
    order = rng.permutation(len(idx))
    return idx[order], weights[order]


def class_balance_weights(soft: np.ndarray) -> np.ndarray:
    """Per-class loss weights ``(k,)`` that give each class the same total weight.

    Class ``c`` weighs ``1 / (k * share_c)``, where ``share_c`` is its share of the summed
    soft labels: in the class-weighted cross-entropy ``-sum_c w_c q_c log p_c`` every
    class then carries ``n / k`` of the mass (1 each when the classes are balanced). A
    class with no mass gets weight 0.

    Examples
    --------
    >>> class_balance_weights(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])).tolist()
    [0.6666666666666666, 2.0]
    """
    k = soft.shape[1]
    share = soft.sum(axis=0) / max(float(soft.sum()), 1e-12)
    return np.where(share > 0, 1.0 / (k * np.maximum(share, 1e-12)), 0.0)


def matched_threshold(model_marginals: Any, label_marginals: Any, *, b: float = 0.5) -> float:
    """The decision threshold at which a model predicts as many positives as its training labels.

    The labels (binary marginals of the training candidates) call ``n`` candidates
    positive (marginal ``> b``); the returned threshold ``t`` makes the model's marginals
    of the same candidates ``> t`` for their ``n`` largest (fewer when values tie). No
    gold label is read: the model keeps the labels' positive rate and decides which
    candidates are the positive ones by its own ranking. The labels' own marginals are
    their own matched threshold's fixed point (their predictions at ``b`` are unchanged).

    A model trained with the noise-aware loss on over-confident marginals predicts
    positive more often than its labels when read at 0.5 (on spouse, 10.7% of the train
    candidates against the labels' 9.0%); at this threshold it predicts as often.

    Parameters
    ----------
    model_marginals
        ``(n,)`` P(y=1) of the training candidates from the end model.
    label_marginals
        ``(n,)`` the training marginals (e.g. the generative model's), same order.
    b
        The labels' threshold.

    Examples
    --------
    >>> matched_threshold([0.9, 0.8, 0.7, 0.2], [1.0, 0.0, 0.6, 0.5])
    0.7
    """
    m = np.asarray(model_marginals, dtype=np.float64).ravel()
    y = np.asarray(label_marginals, dtype=np.float64).ravel()
    if len(m) != len(y) or len(m) == 0:
        raise ModelError(f"{len(m)} model marginals and {len(y)} label marginals; expected the same number > 0")
    n_pos = int(np.sum(y > b))
    if n_pos == 0:
        return float(min(1.0, m.max()))
    if n_pos >= len(m):
        return 0.0
    return float(np.sort(m)[::-1][n_pos])


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


def _batches(
    idx: np.ndarray, enc: Sequence[np.ndarray], batch_size: int, *, bucket: bool, rng: np.random.Generator
) -> list[np.ndarray]:
    """Positions into ``idx`` for each batch of one epoch.

    Bucketed: sort by length with random tie-breaking, cut into batches, shuffle the
    batches. Otherwise: a random permutation cut into batches.
    """
    n = len(idx)
    if bucket:
        lengths = np.fromiter((len(enc[i]) for i in idx), dtype=np.float64, count=n)
        order = np.argsort(lengths + rng.random(n), kind="stable")
    else:
        order = rng.permutation(n)
    batches = [order[s : s + batch_size] for s in range(0, n, batch_size)]
    if bucket:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def check_dev_ckpt_delay(dev_ckpt_delay: float | None) -> None:
    if dev_ckpt_delay is not None and not (
        isinstance(dev_ckpt_delay, int | float) and math.isfinite(dev_ckpt_delay) and dev_ckpt_delay >= 0
    ):
        raise ConfigurationError(f"dev_ckpt_delay={dev_ckpt_delay!r}; expected None or a fraction of n_epochs >= 0")


def dev_checkpoint_allowed(epoch: int, n_epochs: int, dev_ckpt_delay: float | None) -> bool:
    """Whether the dev score of 1-based ``epoch`` may be kept as the best checkpoint.

    ``None``: every epoch. A number: Snorkel 0.7's rule, epochs after that fraction of
    ``n_epochs`` (0-based epoch index ``t > dev_ckpt_delay * n_epochs``).
    """
    return dev_ckpt_delay is None or (epoch - 1) > dev_ckpt_delay * n_epochs


def dev_scores(
    m: np.ndarray, gold: np.ndarray, b: float, groups: Sequence[Any] | None, cardinality: int
) -> tuple[float, float, float]:
    """Precision, recall and F1 (micro-averaged when categorical) of dev marginals ``m`` against ``gold``.

    ``b`` is the binary threshold; ``groups`` pools the marginals first (:func:`pool_marginals`).
    """
    pred = predictions_from_marginals(m if groups is None else pool_marginals(m, groups), b=b)
    if len(pred) != len(gold):
        raise ModelError(f"{len(pred)} dev candidates but {len(gold)} gold labels")
    if cardinality == 2:
        return binary_prf(pred, gold)
    return categorical_prf(pred, gold, average="micro")


def _format_row(name: str, n_epochs: int, row: dict[str, float]) -> str:
    msg = f"[{name}] epoch {row['epoch']}/{n_epochs} loss={row['loss']:.4f}"
    if "dev_f1" in row:
        msg += f" dev P={row['dev_p']:.4f} R={row['dev_r']:.4f} F1={row['dev_f1']:.4f}"
    return msg + f" ({row['seconds']:.1f}s, {row['train_per_s']:.0f} cand/s)"
