"""A bidirectional LSTM relation classifier trained on probabilistic labels (TensorFlow).

This is the only module of snorkel-ie that imports TensorFlow, and it does so inside
functions, so ``import snorkel_ie`` stays light. The model reads a candidate's sentence
with the two arguments marked (see :mod:`.inputs`), embeds the words, runs a
bidirectional LSTM and classifies the final states (or an attention-weighted sum of
the hidden states). It is trained with the noise-aware loss: the cross-entropy against
the marginals of the generative model.

Examples
--------
>>> lstm = BiLSTM(seed=1701, cardinality=2)                       # doctest: +SKIP
>>> lstm.train(train_cands, train_marginals, dev_cands, L_gold_dev,
...            n_epochs=10, lr=0.01, dim=50, dropout=0.25)          # doctest: +SKIP
>>> p, r, f1 = lstm.score(dev_cands, L_gold_dev)                   # doctest: +SKIP
>>> lstm.save()                          # checkpoints/BiLSTM       # doctest: +SKIP

Snorkel 0.7's ``reRNN`` is :class:`reRNN`, the same model under 0.7's name.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snorkel_ie.errors import ConfigurationError, ModelError, ParseError
from snorkel_ie.learning.discriminative.base import (
    NoiseAwareClassifier,
    as_gold,
    balance_training_set,
    check_dev_ckpt_delay,
    dev_checkpoint_allowed,
    pool_marginals,
    soft_labels,
)
from snorkel_ie.learning.discriminative.inputs import (
    MARKERS,
    Vocabulary,
    candidates_to_sequences,
    pad_batch,
    truncate_around_markers,
)
from snorkel_ie.learning.utils import binary_prf, categorical_prf, predictions_from_marginals

__all__ = ["BiLSTM", "load_word_vectors", "noise_aware_loss", "reRNN"]

_SETTINGS = (
    "cardinality",
    "dim",
    "embedding_dim",
    "dropout",
    "attention",
    "pooling",
    "cell_type",
    "marker_ids",
    "fused",
    "max_sentence_length",
    "seed",
    "name",
)


# Recurrent cells by (lower-cased) name: Snorkel 0.7 took a TensorFlow 1 cell class
# (default BasicLSTMCell); snorkel-ie builds the matching Keras layer.
_CELLS = {
    "lstm": "lstm",
    "basiclstmcell": "lstm",
    "lstmcell": "lstm",
    "gru": "gru",
    "grucell": "gru",
    "rnn": "rnn",
    "simplernn": "rnn",
    "simplernncell": "rnn",
    "basicrnncell": "rnn",
}


def resolve_cell_type(cell_type: Any) -> str:
    """``"lstm"``, ``"gru"`` or ``"rnn"`` for a cell class (0.7's ``BasicLSTMCell``, ``LSTMCell``,
    ``GRUCell``, ``BasicRNNCell``, or Keras's ``LSTMCell``/``GRUCell``/``SimpleRNNCell``) or name.

    Raises
    ------
    ConfigurationError
        For any other cell.
    """
    name = cell_type if isinstance(cell_type, str) else getattr(cell_type, "__name__", None)
    kind = _CELLS.get(name.lower()) if isinstance(name, str) else None
    if kind is None:
        raise ConfigurationError(
            f"cell_type={cell_type!r} is not supported; expected an LSTM, GRU or basic RNN cell "
            "(BasicLSTMCell, LSTMCell, GRUCell, BasicRNNCell, or 'lstm', 'gru', 'rnn')"
        )
    return kind


def _quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up messages off stderr (unless the user set these variables).

    ``TF_CPP_MIN_LOG_LEVEL=2`` hides its info and warning logs; the oneDNN notice is
    printed before that level is read, so the oneDNN graph rewrites (no faster for
    these small recurrent matrix products) are switched off too. Both only take
    effect before TensorFlow is first imported.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def noise_aware_loss(logits: Any, soft: Any, weights: Any | None = None) -> Any:
    """Weighted mean cross-entropy of ``logits`` against soft labels (a TF scalar).

    Parameters
    ----------
    logits
        ``(n, 1)`` logits of P(y=1) for binary models, ``(n, k)`` class logits otherwise.
    soft
        ``(n, k)`` class probabilities (``k = 2`` for binary models).
    weights
        ``(n,)`` example weights; the loss is ``sum(w * ce) / sum(w)``.
    """
    if "tensorflow" not in sys.modules:  # (also traced by AutoGraph inside the train step)
        _quiet_tensorflow()
    import tensorflow as tf

    logits = tf.convert_to_tensor(logits, tf.float32)
    soft = tf.convert_to_tensor(soft, tf.float32)
    if logits.shape[-1] == 1:
        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=soft[:, 1], logits=logits[:, 0])
    else:
        ce = tf.nn.softmax_cross_entropy_with_logits(labels=soft, logits=logits)
    if weights is None:
        return tf.reduce_mean(ce)
    w = tf.convert_to_tensor(weights, tf.float32)
    return tf.reduce_sum(w * ce) / tf.maximum(tf.reduce_sum(w), 1e-12)


def load_word_vectors(path: str | Path, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of ``vocab``'s words from a word2vec/GloVe text file.

    Returns
    -------
    vectors, found
        ``(len(vocab), d)`` float32 matrix (rows of words not in the file are zero) and a
        boolean mask of the rows that were found. Words are matched after lowercasing.
    """
    vectors: np.ndarray | None = None
    found = np.zeros(len(vocab), dtype=bool)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip().split(" ")
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header: "<n words> <dim>"
            if len(parts) < 2:
                continue
            i = vocab.index.get(parts[0].lower())
            if vectors is None:
                vectors = np.zeros((len(vocab), len(parts) - 1), dtype=np.float32)
            if len(parts) - 1 != vectors.shape[1]:
                raise ParseError(f"vector of {len(parts) - 1} numbers; expected {vectors.shape[1]}", str(path), lineno)
            if i is not None and not found[i]:
                try:
                    vectors[i] = np.asarray(parts[1:], dtype=np.float32)
                except ValueError as err:
                    raise ParseError(f"not a number in the vector of {parts[0]!r}", str(path), lineno) from err
                found[i] = True
    if vectors is None:
        raise ParseError("no word vectors in the file", str(path))
    return vectors, found


def _build_network(vocab_size: int, s: dict[str, Any], init_embeddings: np.ndarray | None) -> Any:
    """Keras model: ids (batch, T) -> logits (batch, 1 or k)."""
    _quiet_tensorflow()
    import keras

    ids = keras.Input(shape=(None,), dtype="int32")
    if init_embeddings is not None:
        emb_init = keras.initializers.Constant(init_embeddings)
    else:
        emb_init = keras.initializers.RandomUniform(-0.1, 0.1)
    emb = keras.layers.Embedding(vocab_size, s["embedding_dim"], embeddings_initializer=emb_init, mask_zero=True)(ids)
    emb = keras.layers.Dropout(s["dropout"])(emb)
    pooling = s.get("pooling") or ("attention" if s["attention"] else "final")
    sequences = pooling != "final"
    cell = s.get("cell_type", "lstm")
    if cell == "lstm" and s.get("fused", False):
        from snorkel_ie.learning.discriminative._rnn import FusedBiLSTM

        h = FusedBiLSTM(s["dim"], return_sequences=sequences)(emb)
    else:
        if cell == "lstm":
            layer = keras.layers.LSTM(s["dim"], return_sequences=sequences)
        elif cell == "gru":  # TensorFlow 1's GRUCell applies the reset gate before the recurrent product
            layer = keras.layers.GRU(s["dim"], return_sequences=sequences, reset_after=False)
        else:
            layer = keras.layers.SimpleRNN(s["dim"], return_sequences=sequences)
        h = keras.layers.Bidirectional(layer)(emb)
    if pooling == "attention":
        h = _attention_pool(ids, h, s["dim"])
    elif pooling == "arguments":
        h = _argument_pool(ids, h, s["marker_ids"])
    h = keras.layers.Dropout(s["dropout"])(h)
    out = keras.layers.Dense(1 if s["cardinality"] == 2 else s["cardinality"])(h)
    return keras.Model(ids, out)


def _attention_pool(ids: Any, h: Any, dim: int) -> Any:
    """Attention-weighted sum of the hidden states of the real tokens."""
    import keras
    from keras import ops

    mask = ops.not_equal(ids, 0)
    scores = keras.layers.Dense(1, use_bias=False)(keras.layers.Dense(dim, activation="tanh")(h))[..., 0]
    alpha = ops.softmax(ops.where(mask, scores, -1e9), axis=1)
    return ops.sum(h * alpha[..., None], axis=1)


def _argument_pool(ids: Any, h: Any, marker_ids: Sequence[int]) -> Any:
    """The hidden states at the four argument markers, concatenated (``(B, 4 * 2H)``).

    The state at an opening marker has read the argument and what follows it (backward
    half) and what precedes it (forward half); the closing marker's state the reverse.
    A marker that was cut away by truncation contributes zeros.
    """
    from keras import ops

    pooled = []
    for m in marker_ids:
        at = ops.cast(ops.equal(ids, m), h.dtype)[..., None]
        pooled.append(ops.sum(h * at, axis=1) / ops.maximum(ops.sum(at, axis=1), 1.0))
    return ops.concatenate(pooled, axis=-1)


class BiLSTM(NoiseAwareClassifier):
    """Bidirectional LSTM over marked sentences, trained with the noise-aware loss.

    Parameters
    ----------
    n_threads
        Threads for TensorFlow ops (only takes effect before TensorFlow first runs).
    seed
        Seeds TensorFlow, Keras and the batch order; the same seed gives the same model.
    deterministic
        Snorkel 0.7's switch for deterministic TensorFlow ops. snorkel-ie always runs
        TensorFlow with op determinism on, so both values give reproducible models
        (0.7's ``True`` was only implemented for binary models; here it is for all).
    cardinality
        Number of classes; 2 for binary relations.
    name
        Used in progress reports and as the default ``model_name`` of :meth:`save` and
        :meth:`load`; defaults to the class name.
    """

    def __init__(
        self,
        n_threads: int | None = None,
        seed: int = 1701,
        deterministic: bool = False,
        *,
        cardinality: int = 2,
        name: str | None = None,
    ):
        if cardinality < 2:
            raise ConfigurationError(f"cardinality={cardinality}; expected an integer >= 2")
        self.n_threads = n_threads
        self.seed = seed
        self.deterministic = bool(deterministic)
        self.cardinality = cardinality
        self.name = name or type(self).__name__
        self.settings: dict[str, Any] = {}
        self.history: list[dict[str, float]] = []
        self.vocab: Vocabulary | None = None
        self._net: Any = None
        self._forward: tuple[Any, Any] | None = None
        self._fitted = False

    # ------------------------------------------------------------------ input
    def _sequences(self, X: Sequence[Any]) -> list[list[str]]:
        seqs = candidates_to_sequences(X)
        L = self.settings.get("max_sentence_length")
        return [truncate_around_markers(s, L) for s in seqs] if L else seqs

    def _encode(self, X: Sequence[Any]) -> list[np.ndarray]:
        assert self.vocab is not None
        return self.vocab.encode(self._sequences(X))

    # ------------------------------------------------------------------ train
    def train(
        self,
        X_train: Sequence[Any],
        Y_train: Any,
        X_dev: Sequence[Any] | None = None,
        Y_dev: Any = None,
        *,
        dev_groups: Sequence[Any] | None = None,
        n_epochs: int = 10,
        lr: float = 0.01,
        batch_size: int = 64,
        dim: int = 50,
        embedding_dim: int | None = None,
        dropout: float = 0.25,
        attention: bool = False,
        pooling: str | None = None,
        fused: bool = True,
        max_sentence_length: int | None = 100,
        word_dict: Vocabulary | Sequence[str] | None = None,
        max_vocab: int | None = None,
        embeddings_path: str | Path | None = None,
        rebalance: bool | float = False,
        uninformative_weight: float = 0.0,
        bucket: bool = True,
        dev_ckpt: bool = True,
        dev_ckpt_delay: float | None = None,
        save_dir: str | Path | None = None,
        patience: int | None = None,
        b: float = 0.5,
        seed: int | None = None,
        print_freq: int = 1,
        verbose: bool = True,
        cell_type: Any = "lstm",
        attn_window: int | None = None,
    ) -> BiLSTM:
        """Train on candidates (or marked token sequences) ``X_train`` and marginals ``Y_train``.

        Parameters
        ----------
        X_train, Y_train
            Training candidates and their marginals, ``(n,)`` P(y=1) or ``(n, k)``.
        X_dev, Y_dev
            Development candidates and gold labels, scored after every epoch.
        dev_groups
            One key per dev candidate: score the dev marginals pooled over candidates
            with equal keys (see :meth:`predictions`).
        n_epochs, lr, batch_size
            Adam optimisation settings.
        dim, embedding_dim, dropout
            Hidden size per direction, word-vector size (default ``dim``, or the file's
            size with ``embeddings_path``), dropout rate.
        attention, pooling
            What the classifier reads: ``"arguments"`` (default), the hidden states at
            the four argument markers; ``"final"``, the final states of both
            directions; ``"attention"``, an attention-weighted sum of the hidden states
            (``attention=True`` is the original's switch for it).
        fused
            Run both LSTM directions in one scan with the input projection hoisted out
            of the loop (:class:`._rnn.FusedBiLSTM`); ``False`` uses Keras's
            ``Bidirectional(LSTM)`` (several times slower on CPU). LSTM cells only.
        cell_type
            The recurrent cell, as Snorkel 0.7's ``cell_type``: an LSTM (default; 0.7's
            ``BasicLSTMCell`` or ``LSTMCell``), a GRU (``GRUCell``) or a plain tanh RNN
            (``BasicRNNCell``), given as a cell class or as ``"lstm"``, ``"gru"``,
            ``"rnn"`` (see :func:`resolve_cell_type`). Other cells raise
            :class:`~snorkel_ie.errors.ConfigurationError`.
        attn_window
            Snorkel 0.7's attention inside the recurrent cell over a window of its last
            outputs. Only its default (``None`` or 0: no such attention) is supported;
            ``attention=True`` attends over all hidden states instead.
        max_sentence_length
            Longer sequences are cut to a window around the arguments.
        word_dict, max_vocab
            A fixed vocabulary, or the cap on the one built from ``X_train``.
        embeddings_path
            A word2vec/GloVe text file to initialise the word vectors.
        rebalance, uninformative_weight
            See :func:`.base.balance_training_set`.
        bucket
            Batch sequences of similar length together (less padding); ``False`` gives
            randomly ordered batches padded to the longest sequence of the training set.
        dev_ckpt, patience
            Keep the weights of the epoch with the best dev F1; stop after ``patience``
            epochs without improvement.
        dev_ckpt_delay
            Consider only epochs after this fraction of ``n_epochs`` for the best dev
            F1, by Snorkel 0.7's rule (0-based epoch ``t > dev_ckpt_delay * n_epochs``);
            ``None`` (the default; 0.7's was 0.75) considers every epoch.
        save_dir
            Also write each new best checkpoint to ``save_dir/<name>`` (see
            :meth:`save`), as 0.7 did; ``None`` (0.7's default was ``"checkpoints"``)
            keeps the best weights in memory only.
        b
            Decision threshold for dev scoring.
        seed
            Overrides the constructor's seed.
        print_freq, verbose
            Print every ``print_freq`` epochs; ``print_freq <= 0`` prints nothing (as in
            0.7), nor does ``verbose=False``.
        """
        _quiet_tensorflow()
        import keras
        import tensorflow as tf

        if n_epochs < 1 or batch_size < 1 or dim < 1 or not 0 <= dropout < 1 or lr <= 0:
            raise ConfigurationError(
                f"invalid training settings: n_epochs={n_epochs}, batch_size={batch_size}, dim={dim}, dropout={dropout}, lr={lr}"
            )
        if pooling not in (None, "final", "attention", "arguments"):
            raise ConfigurationError(f"pooling={pooling!r}; expected 'final', 'attention' or 'arguments'")
        if attn_window:
            raise ConfigurationError(
                f"attn_window={attn_window!r}: Snorkel 0.7's attention inside the cell is not implemented; "
                "leave attn_window=None and pass attention=True to attend over all hidden states"
            )
        cell = resolve_cell_type(cell_type)
        check_dev_ckpt_delay(dev_ckpt_delay)
        verbose = verbose and print_freq > 0
        if seed is not None:
            self.seed = seed
        self._configure_tf()
        keras.utils.set_random_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        soft = soft_labels(Y_train, self.cardinality)
        if len(X_train) != len(soft):
            raise ModelError(f"{len(X_train)} training candidates but {len(soft)} marginals")
        self.settings = {
            "cardinality": self.cardinality,
            "dim": dim,
            "embedding_dim": embedding_dim or dim,
            "dropout": dropout,
            "attention": attention,
            "pooling": pooling or ("attention" if attention else "arguments"),
            "cell_type": cell,
            "fused": fused,
            "max_sentence_length": max_sentence_length,
            "seed": self.seed,
            "name": self.name,
        }
        seqs = self._sequences(X_train)
        init = self._init_vocab(seqs, word_dict, max_vocab, embeddings_path)
        self.settings["marker_ids"] = [self.vocab.lookup(m) for m in MARKERS]  # type: ignore[union-attr]
        enc = self.vocab.encode(seqs)  # type: ignore[union-attr]
        idx, weights = balance_training_set(
            soft, rebalance=rebalance, uninformative_weight=uninformative_weight, rng=rng
        )
        self._net = _build_network(len(self.vocab), self.settings, init)  # type: ignore[arg-type]
        optimizer = keras.optimizers.Adam(learning_rate=lr)
        step = self._make_train_step(optimizer)
        gold_dev = as_gold(Y_dev) if X_dev is not None and Y_dev is not None else None
        dev_enc = self._encode(X_dev) if gold_dev is not None else []  # converted once, scored every epoch
        self._fitted = True
        self.history = []
        best_f1, best_weights, stale = -1.0, None, 0
        full_len = max(len(e) for e in enc)
        for epoch in range(1, n_epochs + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            total, seen = 0.0, 0
            for bi in _batches(idx, enc, batch_size, bucket=bucket, rng=rng):
                x = pad_batch(enc, idx[bi], length=None if bucket else full_len)
                loss = step(tf.constant(x), tf.constant(soft[idx[bi]]), tf.constant(weights[bi]))
                total += float(loss) * len(bi)
                seen += len(bi)
            secs = time.perf_counter() - t0
            row = {
                "epoch": epoch,
                "loss": total / seen,
                "seconds": secs,
                "cpu_seconds": time.process_time() - c0,
                "train_per_s": seen / secs,
            }
            if gold_dev is not None:
                scores = self._dev_scores(dev_enc, gold_dev, b, dev_groups)
                row.update(zip(("dev_p", "dev_r", "dev_f1"), scores, strict=True))
                if not dev_checkpoint_allowed(epoch, n_epochs, dev_ckpt_delay):
                    pass
                elif row["dev_f1"] > best_f1:
                    best_f1, stale = row["dev_f1"], 0
                    best_weights = [w.copy() for w in self._net.get_weights()] if dev_ckpt else None
                    if dev_ckpt and save_dir is not None:
                        self.save(save_dir=save_dir, verbose=verbose, global_step=epoch)
                else:
                    stale += 1
            self.history.append(row)
            if verbose and (epoch % print_freq == 0 or epoch == n_epochs):
                print(_format_row(self.name, n_epochs, row))
            if patience is not None and stale >= patience:
                if verbose:
                    print(f"[{self.name}] no dev F1 improvement in {patience} epochs; stopping")
                break
        if best_weights is not None:
            self._net.set_weights(best_weights)
            if verbose:
                print(f"[{self.name}] restored the weights with the best dev F1={best_f1:.4f}")
        return self

    def _dev_scores(
        self, enc: list[np.ndarray], gold: np.ndarray, b: float, groups: Sequence[Any] | None = None
    ) -> tuple[float, float, float]:
        m = self._marginals_of(enc)
        pred = predictions_from_marginals(m if groups is None else pool_marginals(m, groups), b=b)
        if len(pred) != len(gold):
            raise ModelError(f"{len(pred)} dev candidates but {len(gold)} gold labels")
        if self.cardinality == 2:
            return binary_prf(pred, gold)
        return categorical_prf(pred, gold, average="micro")

    def _configure_tf(self) -> None:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        if self.n_threads is not None:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(self.n_threads)
                tf.config.threading.set_inter_op_parallelism_threads(self.n_threads)
            except RuntimeError:
                pass  # TensorFlow already started: its thread pools are fixed for this process.

    def _init_vocab(
        self, seqs: list[list[str]], word_dict: Any, max_vocab: int | None, embeddings_path: str | Path | None
    ) -> np.ndarray | None:
        if isinstance(word_dict, Vocabulary):
            self.vocab = word_dict
        elif word_dict is not None:
            self.vocab = Vocabulary.build([list(word_dict)])
        else:
            self.vocab = Vocabulary.build(seqs, max_vocab=max_vocab)
        if embeddings_path is None:
            return None
        vectors, found = load_word_vectors(embeddings_path, self.vocab)
        rng = np.random.default_rng(self.seed)
        vectors[~found] = rng.uniform(-0.1, 0.1, size=(int((~found).sum()), vectors.shape[1]))
        vectors[0] = 0.0
        self.settings["embedding_dim"] = vectors.shape[1]
        return vectors

    def _make_train_step(self, optimizer: Any) -> Any:
        import tensorflow as tf

        net, k = self._net, self.cardinality
        spec = [
            tf.TensorSpec([None, None], tf.int32),
            tf.TensorSpec([None, k], tf.float32),
            tf.TensorSpec([None], tf.float32),
        ]

        @tf.function(input_signature=spec)
        def step(x: Any, y: Any, w: Any) -> Any:
            with tf.GradientTape() as tape:
                loss = noise_aware_loss(net(x, training=True), y, w)
            grads = tape.gradient(loss, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
            return loss

        return step

    # ------------------------------------------------------------ prediction
    def marginals(self, X: Sequence[Any], batch_size: int | None = None) -> np.ndarray:
        """P(y=1) as ``(n,)`` for binary models, ``(n, k)`` class probabilities otherwise.

        ``batch_size`` candidates (default 1024) go through the network at a time; it
        bounds memory and changes the marginals by float round-off at most (batches are
        padded to their longest sequence).
        """
        self._check_fitted()
        if batch_size is None:
            batch_size = 1024
        if int(batch_size) < 1:
            raise ConfigurationError(f"batch_size={batch_size}; expected a positive number of candidates")
        return self._marginals_of(self._encode(X), int(batch_size))

    def _marginals_of(self, enc: list[np.ndarray], batch_size: int = 1024) -> np.ndarray:
        import tensorflow as tf

        k = self.cardinality
        out = np.zeros((len(enc), 1 if k == 2 else k), dtype=np.float32)
        order = np.argsort([len(e) for e in enc], kind="stable")
        forward = self._forward_fn()
        for s in range(0, len(order), batch_size):
            bi = order[s : s + batch_size]
            out[bi] = forward(tf.constant(pad_batch(enc, bi))).numpy()
        if k == 2:
            return 1.0 / (1.0 + np.exp(-out[:, 0].astype(np.float64)))
        z = out.astype(np.float64) - out.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def _forward_fn(self) -> Any:
        import tensorflow as tf

        if self._forward is None or self._forward[0] is not self._net:
            net = self._net
            f = tf.function(lambda x: net(x, training=False), input_signature=[tf.TensorSpec([None, None], tf.int32)])
            self._forward = (net, f)
        return self._forward[1]

    # ------------------------------------------------------------ persistence
    # save / load: NoiseAwareClassifier's, with Snorkel 0.7's parameters.
    def _checkpoint_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def _write_weights(self, folder: Path) -> None:
        (folder / "vocab.json").write_text(json.dumps(self.vocab.words))  # type: ignore[union-attr]
        np.savez(folder / "weights.npz", *self._net.get_weights())

    def _read_weights(self, folder: Path, settings: dict[str, Any]) -> None:
        words = json.loads((folder / "vocab.json").read_text())
        with np.load(folder / "weights.npz") as z:
            weights = [z[f"arr_{i}"] for i in range(len(z.files))]
        self.settings = {k: settings[k] for k in _SETTINGS if k in settings}
        self.vocab = Vocabulary(words[2:])
        self._net = _build_network(len(self.vocab), self.settings, None)
        self._net.set_weights(weights)

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state: the network travels as its weight arrays (e.g. to and from worker processes)."""
        state = self.__dict__.copy()
        net = state.pop("_net", None)
        state["_forward"] = None
        state["_weights"] = None if net is None else net.get_weights()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("_weights", None)
        self.__dict__.update(state)
        self._net = None
        if weights is not None:
            self._net = _build_network(len(self.vocab), self.settings, None)  # type: ignore[arg-type]
            self._net.set_weights(weights)

    @staticmethod
    def portable_inputs(X: Sequence[Any] | None) -> list[list[str]] | None:
        """``X`` as marked token sequences, which the model reads exactly as the candidates.

        Database candidates cannot travel to another process (their words are loaded
        through the session); :class:`~snorkel_ie.learning.tuning.GridSearch` sends
        these sequences to its worker processes instead.
        """
        return None if X is None else candidates_to_sequences(X)


class reRNN(BiLSTM):
    """Snorkel 0.7's name for :class:`BiLSTM`: the same model, whose default ``name`` (and so
    its default checkpoint folder, ``checkpoints/reRNN``) is ``"reRNN"`` as in 0.7."""


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


def _format_row(name: str, n_epochs: int, row: dict[str, float]) -> str:
    msg = f"[{name}] epoch {row['epoch']}/{n_epochs} loss={row['loss']:.4f}"
    if "dev_f1" in row:
        msg += f" dev P={row['dev_p']:.4f} R={row['dev_r']:.4f} F1={row['dev_f1']:.4f}"
    return msg + f" ({row['seconds']:.1f}s, {row['train_per_s']:.0f} cand/s)"
