"""Noise-aware losses for any end model: train on the label model's marginals, not on hard labels.

Data programming trains the end model to minimise the *expected* loss under the label
model's marginals (Ratner et al., NIPS 2016): for a binary task with marginal
``p = P(y = 1 | L)`` and prediction ``q``, the loss is ``-(p log q + (1 - p) log(1 - q))``.

Three forms of it:

* :func:`noise_aware_binary_loss` and :func:`noise_aware_categorical_loss` take
  ``(y_true=marginals, y_pred)`` in Keras' order and return one loss per example, so
  ``model.compile(loss=noise_aware_binary_loss)`` works; given numpy arrays they compute
  with numpy (TensorFlow is imported only when they receive tensors).
* :func:`expand_for_sample_weights`: the recipe for scikit-learn (or any estimator
  with ``sample_weight``): each example appears once as positive with weight ``p`` and
  once as negative with weight ``1 - p`` (once per class with weight ``p_k`` for
  categorical marginals). A weighted log-loss on the expanded data is exactly the
  noise-aware loss on the original data.

No database here: marginals come in as arrays (``load_marginals``,
:func:`snorkel_ie.export_training_data`, or a label model's output).

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> marginals = np.array([0.1, 0.3, 0.8, 0.9])
>>> X2, y2, w2 = expand_for_sample_weights(X, marginals)
>>> X2.shape, y2.tolist(), w2.round(1).tolist()
((8, 1), [1, 1, 1, 1, 0, 0, 0, 0], [0.1, 0.3, 0.8, 0.9, 0.9, 0.7, 0.2, 0.1])
>>> clf = LogisticRegression().fit(X2, y2, sample_weight=w2)
>>> bool(clf.predict_proba([[3.0]])[0, 1] > 0.5)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snorkel_ie.errors import ModelError

__all__ = ["expand_for_sample_weights", "noise_aware_binary_loss", "noise_aware_categorical_loss"]

EPSILON = 1e-7
"""Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` before the logarithm (Keras' default)."""


def _is_numpy(*values: Any) -> bool:
    return all(isinstance(v, (np.ndarray, np.generic, list, tuple, float, int)) for v in values)


def noise_aware_binary_loss(y_true: Any, y_pred: Any, *, from_logits: bool = False) -> Any:
    """Per-example expected binary cross-entropy under marginals ``y_true``.

    Parameters
    ----------
    y_true
        ``P(y = 1)`` per example, shape ``(n,)`` or ``(n, 1)`` (Keras passes ``(n, 1)``).
    y_pred
        The model's ``P(y = 1)`` (or its logit with ``from_logits=True``), same shape.
    from_logits
        ``y_pred`` holds logits (numerically stable: no clipping needed).

    Returns
    -------
    The loss of each example, shape ``(n,)``: a numpy array for numpy input, a tensor
    for tensors.
    """
    if _is_numpy(y_true, y_pred):
        p, q = _binary_pair(y_true, y_pred)
        if from_logits:  # -(p log s(z) + (1-p) log(1-s(z))) = max(z, 0) - z p + log(1 + exp(-|z|))
            return np.maximum(q, 0) - q * p + np.log1p(np.exp(-np.abs(q)))
        q = np.clip(q, EPSILON, 1 - EPSILON)
        return -(p * np.log(q) + (1 - p) * np.log1p(-q))
    import tensorflow as tf

    p = tf.reshape(tf.cast(y_true, tf.float32), [-1])
    q = tf.reshape(tf.cast(y_pred, tf.float32), [-1])
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=p, logits=q)
    q = tf.clip_by_value(q, EPSILON, 1 - EPSILON)
    return -(p * tf.math.log(q) + (1 - p) * tf.math.log1p(-q))


def noise_aware_categorical_loss(y_true: Any, y_pred: Any, *, from_logits: bool = False) -> Any:
    """Per-example expected categorical cross-entropy under marginals ``y_true``.

    Parameters
    ----------
    y_true
        ``(n, k)`` class marginals (rows sum to 1), as :meth:`GenerativeModel.marginals`
        returns them for a categorical task.
    y_pred
        ``(n, k)`` class probabilities (or logits with ``from_logits=True``).
    """
    if _is_numpy(y_true, y_pred):
        p = np.asarray(y_true, dtype=np.float64)
        q = np.asarray(y_pred, dtype=np.float64)
        if p.ndim != 2 or p.shape != q.shape:
            raise ModelError(f"expected y_true and y_pred of one shape (n, k); got {p.shape} and {q.shape}")
        if from_logits:
            shifted = q - q.max(axis=1, keepdims=True)
            log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        else:
            log_q = np.log(np.clip(q, EPSILON, 1 - EPSILON))
        return -(p * log_q).sum(axis=1)
    import tensorflow as tf

    p = tf.cast(y_true, tf.float32)
    q = tf.cast(y_pred, tf.float32)
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=p, logits=q)
    return -tf.reduce_sum(p * tf.math.log(tf.clip_by_value(q, EPSILON, 1 - EPSILON)), axis=-1)


def _binary_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(y_true, dtype=np.float64).reshape(-1)
    q = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if p.shape != q.shape:
        raise ModelError(f"y_true has {p.size} values, y_pred {q.size}; give one prediction per marginal")
    return p, q


def expand_for_sample_weights(
    X: Any, marginals: Any, *, classes: Any = None, drop_zero: bool = True
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Training data for an estimator with ``sample_weight``: each example once per class, weighted.

    Parameters
    ----------
    X
        Features: an array, a scipy sparse matrix or a pandas DataFrame, ``n`` rows.
    marginals
        ``(n,)`` ``P(y = 1)`` for a binary task, or ``(n, k)`` class marginals.
    classes
        The label of each class column: default ``[1, 0]`` order for binary (positives
        first, labels 1 and 0), ``0..k-1`` for ``(n, k)`` marginals.
    drop_zero
        Leave out copies of weight 0 (some estimators reject them).

    Returns
    -------
    ``(X_expanded, y, sample_weight)``: the rows of ``X`` repeated once per class
    (class by class), their labels and weights; ``fit(X_expanded, y, sample_weight=...)``
    minimises the noise-aware loss.
    """
    m = np.asarray(marginals, dtype=np.float64)
    n = _n_rows(X)
    if m.ndim == 1 or (m.ndim == 2 and m.shape[1] == 1):
        m = m.reshape(-1)
        weights = np.stack([m, 1 - m], axis=1)
        labels = np.asarray([1, 0] if classes is None else classes)
    elif m.ndim == 2:
        weights = m
        labels = np.arange(m.shape[1]) if classes is None else np.asarray(classes)
    else:
        raise ModelError(f"marginals must be (n,) or (n, k); got shape {m.shape}")
    if weights.shape[0] != n:
        raise ModelError(f"X has {n} rows but there are {weights.shape[0]} marginals")
    if len(labels) != weights.shape[1]:
        raise ModelError(f"{len(labels)} classes given for {weights.shape[1]} marginal columns")
    if not np.all(np.isfinite(weights)) or weights.min(initial=0) < 0 or weights.max(initial=0) > 1:
        raise ModelError("marginals must be probabilities in [0, 1] (no NaN)")
    rows = np.tile(np.arange(n), weights.shape[1])
    y = np.repeat(labels, n)
    w = weights.T.reshape(-1)
    if drop_zero:
        keep = w > 0
        rows, y, w = rows[keep], y[keep], w[keep]
    return _take_rows(X, rows), y, w


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    if hasattr(X, "iloc"):  # pandas
        return X.iloc[rows].reset_index(drop=True)
    if hasattr(X, "tocsr"):  # scipy sparse
        return X.tocsr()[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    return [X[i] for i in rows]  # a list of texts, for a pipeline that vectorises them
