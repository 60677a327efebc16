"""Sparse logistic regression trained on marginals with the noise-aware loss (numpy/scipy).

The baseline end model over a candidate-by-feature sparse matrix (bag of words,
dependency paths, ... as the ``FeatureAnnotator`` writes them). Binary models have one
weight column and a sigmoid; categorical models ``k`` columns and a softmax. Training is
mini-batch Adam on the weighted cross-entropy against the marginals plus optional L1
and L2 penalties.

Examples
--------
>>> lr = SparseLogisticRegression(seed=1701)                                      # doctest: +SKIP
>>> lr.train(F_train, train_marginals, F_dev, L_gold_dev, n_epochs=20, lr=0.01)  # doctest: +SKIP
>>> lr.score(F_dev, L_gold_dev)                                                   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.discriminative.base import NoiseAwareClassifier
from snorkel_ie.learning.discriminative.config import LogisticConfig, merge_config
from snorkel_ie.learning.discriminative.train_data import (
    _format_row,
    as_gold,
    balance_training_set,
    class_balance_weights,
    soft_labels,
)
from snorkel_ie.log import report

__all__ = ["SparseLogisticRegression", "cross_entropy"]

_log = logging.getLogger(__name__)


def _probs(z: np.ndarray) -> np.ndarray:
    """Sigmoid of ``(n, 1)`` logits as ``(n, 1)``; softmax of ``(n, k)`` logits."""
    if z.shape[1] == 1:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(
    logits: np.ndarray, soft: np.ndarray, weights: np.ndarray | None = None, class_weights: np.ndarray | None = None
) -> float:
    """The noise-aware loss: weighted mean cross-entropy of ``logits`` against soft labels.

    ``logits`` is ``(n, 1)`` (binary, logit of P(y=1)) or ``(n, k)``; ``soft`` is ``(n, k)``
    with ``k = 2`` for binary. ``class_weights`` (``(k,)``) weighs each class's term.
    Numerically stable for large logits.
    """
    z = np.asarray(logits, dtype=np.float64)
    soft = np.asarray(soft, dtype=np.float64)
    if class_weights is not None:
        soft = soft * np.asarray(class_weights, dtype=np.float64)
        if z.shape[1] == 1:  # -a log s(z) - b log(1 - s(z)) = a softplus(-z) + b softplus(z)
            ce = soft[:, 1] * np.logaddexp(0.0, -z[:, 0]) + soft[:, 0] * np.logaddexp(0.0, z[:, 0])
        else:
            lse = z.max(axis=1) + np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1))
            ce = (soft * (lse[:, None] - z)).sum(axis=1)
    elif z.shape[1] == 1:
        # -p log s(z) - (1-p) log(1 - s(z)) = softplus(z) - p z
        ce = np.logaddexp(0.0, z[:, 0]) - soft[:, 1] * z[:, 0]
    else:
        lse = z.max(axis=1) + np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1))
        ce = lse - (soft * z).sum(axis=1)
    w = np.ones(len(ce)) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(np.sum(w * ce) / max(np.sum(w), 1e-12))


class SparseLogisticRegression(NoiseAwareClassifier):
    """Logistic regression over a sparse feature matrix, trained on marginals.

    Parameters
    ----------
    seed
        Seeds initialisation and batch order.
    deterministic
        Snorkel 0.7's switch for deterministic TensorFlow ops; this numpy model is
        deterministic with either value.
    cardinality
        Number of classes.
    name
        Used in progress reports and as the default ``model_name`` of :meth:`save` and
        :meth:`load`; defaults to the class name.
    """

    def __init__(self, *, seed: int = 1701, deterministic: bool = False, cardinality: int = 2, name: str | None = None):
        if cardinality < 2:
            raise ConfigurationError(f"cardinality={cardinality}; expected an integer >= 2")
        self.seed = seed
        self.deterministic = bool(deterministic)
        self.cardinality = cardinality
        self.name = name or type(self).__name__
        self.W: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.history: list[dict[str, float]] = []
        self.config: LogisticConfig | None = None
        self._fitted = False

    @staticmethod
    def _as_csr(X: Any) -> sp.csr_matrix:
        if sp.issparse(X):
            return sp.csr_matrix(X, dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ModelError(f"features must be a 2-d (sparse) matrix; got shape {X.shape}")
        return sp.csr_matrix(X)

    def _logits(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self.W) + self.bias  # type: ignore[operator]

    def train(
        self,
        X_train: Any,
        Y_train: Any,
        X_dev: Any = None,
        Y_dev: Any = None,
        *,
        config: LogisticConfig | None = None,
        dev_groups: Any = None,
        **settings: Any,
    ) -> SparseLogisticRegression:
        """Fit on features ``X_train`` (candidates x features) and marginals ``Y_train``.

        The settings are a :class:`~.config.LogisticConfig` and/or its fields as keywords
        (Snorkel 0.7's: ``n_epochs``, ``lr``, ``l1_penalty``, ``l2_penalty``,
        ``rebalance``, ``dev_ckpt``, ``dev_ckpt_delay``, ``save_dir``, ``print_freq``, ...).
        The loss is the weighted cross-entropy against the marginals plus
        ``l1_penalty * |W|_1 + l2_penalty * |W|_2^2 / 2``. With ``X_dev``/``Y_dev`` the
        model is scored after every epoch and the epochs run under the Keras callbacks of
        :mod:`.callbacks` (best dev-F1 weights kept with ``dev_ckpt``, ``patience``,
        ``dev_ckpt_delay``, ``save_dir``), as for
        :meth:`~snorkel_ie.learning.discriminative.bilstm.BiLSTM.train`; ``dev_groups``
        pools the dev marginals as :meth:`~.base.NoiseAwareClassifier.predictions` does.
        """
        cfg = merge_config(LogisticConfig, config, settings)
        if cfg.seed is not None:
            self.seed = cfg.seed
        rng = np.random.default_rng(self.seed)
        X = self._as_csr(X_train)
        soft = soft_labels(Y_train, self.cardinality).astype(np.float64)
        if X.shape[0] != len(soft):
            raise ModelError(f"{X.shape[0]} feature rows but {len(soft)} marginals")
        idx, weights = balance_training_set(
            soft, rebalance=cfg.rebalance, uninformative_weight=cfg.uninformative_weight, rng=rng
        )
        cw = class_balance_weights(soft[idx]) if cfg.class_balance else None
        k_out = 1 if self.cardinality == 2 else self.cardinality
        self.W = rng.normal(0.0, 0.01, size=(X.shape[1], k_out))
        self.bias = np.zeros(k_out)
        self._fitted = True
        self.config = cfg
        adam = _Adam([self.W, self.bias], cfg.lr)

        def epoch(_epoch: int) -> dict[str, float]:
            t0 = time.perf_counter()
            perm = rng.permutation(len(idx))
            total = 0.0
            for s in range(0, len(perm), cfg.batch_size):
                bi = perm[s : s + cfg.batch_size]
                loss = self._step(X[idx[bi]], soft[idx[bi]], weights[bi], adam, cfg.l1_penalty, cfg.l2_penalty, cw)
                total += loss * len(bi)
            secs = time.perf_counter() - t0
            return {"loss": total / len(idx), "seconds": secs, "train_per_s": len(idx) / max(secs, 1e-9)}

        if X_dev is None or Y_dev is None:  # nothing to watch: plain epochs, no Keras
            self.history = []
            for e in range(1, cfg.n_epochs + 1):
                self.history.append({"epoch": e, **epoch(e)})
                if cfg.reports and (e % cfg.print_freq == 0 or e == cfg.n_epochs):
                    report(_log, _format_row(self.name, cfg.n_epochs, self.history[-1]))
            return self
        from snorkel_ie.learning.discriminative.callbacks import CallbackModel, DevScores, EpochLoop

        X_dev_csr = self._as_csr(X_dev)
        dev = DevScores(lambda: self.marginals(X_dev_csr), as_gold(Y_dev), cfg.b, dev_groups, self.cardinality)
        view = CallbackModel(lambda: [self.W, self.bias], self._set_weights, self._save_checkpoint)
        self.history = EpochLoop(view, cfg, dev, self.name).run(epoch)
        return self

    def _set_weights(self, weights: list[np.ndarray]) -> None:
        self.W[:], self.bias[:] = weights  # type: ignore[index]

    def _save_checkpoint(self, folder: Path, global_step: int) -> None:
        self.save(folder, verbose=self.config.reports, global_step=global_step)  # type: ignore[union-attr]

    def _step(
        self,
        Xb: sp.csr_matrix,
        yb: np.ndarray,
        wb: np.ndarray,
        adam: _Adam,
        l1: float,
        l2: float,
        class_weights: np.ndarray | None = None,
    ) -> float:
        """One Adam step on a batch; returns the batch's loss before the step."""
        z = self._logits(Xb)
        p = _probs(z)
        q = yb if class_weights is None else yb * class_weights  # class-weighted soft labels
        target = q[:, 1:2] if z.shape[1] == 1 else q
        wn = wb / max(wb.sum(), 1e-12)
        g = (p * q.sum(axis=1, keepdims=True) - target) * wn[:, None]  # d loss / d logits
        assert self.W is not None
        gW = np.asarray(Xb.T @ g)
        if l2:
            gW += l2 * self.W
        if l1:
            gW += l1 * np.sign(self.W)
        penalty = l1 * np.abs(self.W).sum() + 0.5 * l2 * np.square(self.W).sum()
        adam.step([gW, g.sum(axis=0)])
        return cross_entropy(z, yb, wb, class_weights) + float(penalty)

    def marginals(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """P(y=1) as ``(n,)`` for binary models, ``(n, k)`` class probabilities otherwise.

        With ``batch_size``, rows are scored that many at a time (memory only; the
        marginals are the same).
        """
        self._check_fitted()
        X = self._as_csr(X)
        if batch_size is None:
            p = _probs(self._logits(X))
        else:
            if int(batch_size) < 1:
                raise ConfigurationError(f"batch_size={batch_size}; expected a positive number of rows")
            step = int(batch_size)
            k = 1 if self.cardinality == 2 else self.cardinality
            p = np.empty((X.shape[0], k))
            for s in range(0, X.shape[0], step):
                p[s : s + step] = _probs(self._logits(X[s : s + step]))
        return p[:, 0] if self.cardinality == 2 else p

    # save / load: NoiseAwareClassifier's, with Snorkel 0.7's parameters.
    def _write_weights(self, folder: Path) -> None:
        np.savez(folder / "weights.npz", W=self.W, bias=self.bias)

    def _read_weights(self, folder: Path, settings: dict[str, Any]) -> None:
        with np.load(folder / "weights.npz") as z:
            self.W, self.bias = z["W"], z["bias"]


class _Adam:
    """Adam updates of a list of numpy arrays, in place."""

    def __init__(self, params: list[np.ndarray], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
