"""An entity-pair end model: a small Keras network over hashed sparse features, trained on marginals.

Document-level relation extraction answers per entity pair (a document's chemical and
disease, say), not per mention. :class:`PairModel` reads one bag of string features per
pair (whatever the task computes: words between the mentions, the entities' counts and
positions, knowledge-base facts, the LFs' votes on the pair) and learns from one soft
label per pair (the generative model's marginals aggregated over the pair's mention
candidates) with the noise-aware loss: binary cross-entropy against the marginal,
optionally class-balanced (each class's term weighed by ``1 / (2 share_c)``, the shares
taken from the marginals). Features are hashed into ``2**n_bits`` columns (CRC32, no
vocabulary to store), so unseen pairs of new documents need nothing but their strings.

The network is a sparse linear layer (an embedding bag) into ``hidden`` ReLU units and a
sigmoid, or logistic regression when ``hidden=0`` (the default); float32, Adam,
mini-batches. A seeded tenth of the training pairs is held out, and training stops when
their noise-aware loss stops falling (``patience`` epochs), restoring the best weights;
no gold label is read. ``n_models`` networks with different seeds average their
marginals (an ensemble).

Examples
--------
>>> model = PairModel(seed=1701)                                   # doctest: +SKIP
>>> model.train(train_features, pair_marginals)                    # doctest: +SKIP
>>> scores = model.marginals(dev_features)                         # doctest: +SKIP
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ModelError

__all__ = ["PairModel", "hash_features"]

_log = logging.getLogger(__name__)


def hash_features(rows: Sequence[Sequence[str]], *, n_bits: int = 18) -> sp.csr_matrix:
    """One row per bag of strings: 1.0 in column ``crc32(feature) mod 2**n_bits`` (duplicates count once)."""
    mask = (1 << n_bits) - 1
    indptr, indices = [0], []
    for bag in rows:
        cols = sorted({zlib.crc32(f.encode("utf-8")) & mask for f in bag})
        indices.extend(cols)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, np.asarray(indices, dtype=np.int64), indptr), shape=(len(rows), 1 << n_bits))


class PairModel:
    """Noise-aware classifier of entity pairs over hashed features (see the module docstring).

    Parameters
    ----------
    hidden
        ReLU units after the sparse layer; 0 gives logistic regression.
    n_bits
        Hashed feature columns: ``2**n_bits``.
    l2
        L2 penalty on the sparse layer's weights (per example, as Keras regularisers add it).
    lr, batch_size, max_epochs, patience
        Adam's step size, the mini-batch size, and early stopping on the held-out tenth.
    class_balance
        Weigh each class's loss term by ``1 / (2 share_c)``.
    n_models
        Train this many networks (seeds ``seed``, ``seed + 1000``, ...; each with its own
        held-out tenth) and average their marginals.
    seed
        Seeds the held-out split, the weights and the batch order.
    """

    def __init__(
        self,
        *,
        hidden: int = 0,
        n_bits: int = 16,
        l2: float = 1e-4,
        lr: float = 0.01,
        batch_size: int = 256,
        max_epochs: int = 30,
        patience: int = 3,
        class_balance: bool = False,
        n_models: int = 1,
        seed: int = 1701,
    ):
        if hidden < 0 or n_bits < 4 or max_epochs < 1 or n_models < 1:
            raise ModelError(
                "hidden >= 0, n_bits >= 4, max_epochs >= 1 and n_models >= 1 needed; "
                f"got {hidden}, {n_bits}, {max_epochs}, {n_models}"
            )
        self.hidden, self.n_bits, self.l2, self.lr = hidden, n_bits, l2, lr
        self.batch_size, self.max_epochs, self.patience = batch_size, max_epochs, patience
        self.class_balance, self.n_models, self.seed = class_balance, n_models, seed
        self.models_: list = []
        self.epochs_run_: list[int] = []
        """Epochs each network ran."""
        self.history_: list[list[tuple[float, float]]] = []
        """Per network, per epoch: (mean training loss, held-out noise-aware loss)."""

    def _build(self, seed: int):
        from tensorflow import keras

        inputs = keras.Input(shape=(1 << self.n_bits,), sparse=True, dtype="float32")
        reg = keras.regularizers.L2(self.l2) if self.l2 else None
        init = keras.initializers.GlorotUniform(seed=seed)
        x = keras.layers.Dense(self.hidden or 1, kernel_initializer=init, kernel_regularizer=reg, name="sparse")(inputs)
        if self.hidden:
            x = keras.layers.ReLU()(x)
            x = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1), name="out")(x)
        return keras.Model(inputs, x)

    @staticmethod
    def _sparse(X: sp.csr_matrix):
        import tensorflow as tf

        coo = X.tocoo()
        idx = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
        return tf.sparse.reorder(tf.SparseTensor(idx, coo.data.astype(np.float32), coo.shape))

    def _matrix(self, X: sp.spmatrix | Sequence[Sequence[str]]) -> sp.csr_matrix:
        if sp.issparse(X):
            if X.shape[1] != 1 << self.n_bits:
                raise ModelError(f"expected {1 << self.n_bits} feature columns, got {X.shape[1]}")
            return sp.csr_matrix(X, dtype=np.float32)
        return hash_features(X, n_bits=self.n_bits)

    def train(self, X: sp.spmatrix | Sequence[Sequence[str]], marginals: Sequence[float]) -> PairModel:
        """Fit on pairs ``X`` (hashed matrix or bags of strings) against their marginals P(y = +1)."""
        X = self._matrix(X)
        y = np.clip(np.asarray(marginals, dtype=np.float32), 0.0, 1.0)
        if len(y) != X.shape[0] or len(y) < 10:
            raise ModelError(f"need one marginal per pair and at least 10 pairs; got {len(y)} for {X.shape[0]}")
        self.models_, self.epochs_run_, self.history_ = [], [], []
        for i in range(self.n_models):
            model, history, best = self._fit(X, y, self.seed + 1000 * i)
            self.models_.append(model)
            self.history_.append(history)
            self.epochs_run_.append(len(history))
            _log.info("   pair model %d: %d epochs, held-out noise-aware loss %.4f", i, len(history), best)
        return self

    def _fit(self, X: sp.csr_matrix, y: np.ndarray, seed: int) -> tuple[Any, list[tuple[float, float]], float]:
        import tensorflow as tf

        rng = np.random.default_rng(seed)
        order = rng.permutation(len(y))
        held, fit = order[: max(1, len(y) // 10)], order[max(1, len(y) // 10) :]
        w_pos, w_neg = 1.0, 1.0
        if self.class_balance:
            share = float(np.clip(y[fit].mean(), 1e-3, 1 - 1e-3))
            w_pos, w_neg = 0.5 / share, 0.5 / (1.0 - share)
        model = self._build(seed)
        opt = tf.keras.optimizers.Adam(self.lr)

        def loss_of(z: tf.Tensor, t: tf.Tensor) -> tf.Tensor:
            z = tf.squeeze(z, axis=1)
            return tf.reduce_mean(w_pos * t * tf.nn.softplus(-z) + w_neg * (1.0 - t) * tf.nn.softplus(z))

        @tf.function(reduce_retracing=True)
        def step(xb: tf.SparseTensor, tb: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = loss_of(model(xb, training=True), tb) + tf.add_n(model.losses or [tf.constant(0.0)])
            opt.apply_gradients(
                zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
            )
            return loss

        X_held, y_held = self._sparse(X[held]), tf.constant(y[held])
        best, best_weights, waited, history = np.inf, model.get_weights(), 0, []
        for _epoch in range(self.max_epochs):
            perm = rng.permutation(fit)
            losses = [
                float(step(self._sparse(X[b]), tf.constant(y[b])))
                for b in np.array_split(perm, max(1, len(perm) // self.batch_size))
            ]
            held_loss = float(loss_of(model(X_held, training=False), y_held))
            history.append((float(np.mean(losses)), held_loss))
            if held_loss < best - 1e-4:
                best, best_weights, waited = held_loss, model.get_weights(), 0
            else:
                waited += 1
                if waited >= self.patience:
                    break
        model.set_weights(best_weights)
        return model, history, best

    def marginals(self, X: sp.spmatrix | Sequence[Sequence[str]]) -> np.ndarray:
        """P(y = +1) per pair (the mean over the networks)."""
        if not self.models_:
            raise ModelError("train the PairModel first")
        X = self._matrix(X)
        if X.shape[0] == 0:
            return np.zeros(0)
        inputs = self._sparse(X)
        z = np.stack([m(inputs, training=False).numpy()[:, 0].astype(np.float64) for m in self.models_])
        return (1.0 / (1.0 + np.exp(-z))).mean(axis=0)
