"""The BiLSTM's Keras network and everything it asks of TensorFlow (see :mod:`.bilstm`).

Recurrent cells by name, the network (embedding, bidirectional recurrent layer, pooling,
output layer), the noise-aware loss, the compiled training step and one epoch of it, the
forward pass to marginals, TensorFlow's settings, and the word vectors that initialise
the embedding. TensorFlow is imported only inside these functions, so importing this
module stays light.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.learning.discriminative.inputs import Vocabulary, pad_batch
from snorkel_ie.learning.discriminative.train_data import _batches

__all__ = [
    "configure_tf",
    "forward_function",
    "initial_embeddings",
    "load_word_vectors",
    "make_train_step",
    "network_marginals",
    "noise_aware_loss",
    "resolve_cell_type",
    "restore_network",
    "run_epoch",
]

# The settings a saved network is rebuilt from.
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
    "train_embeddings",
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


def configure_tf(n_threads: int | None) -> None:
    """Deterministic TensorFlow ops; ``n_threads`` threads per op pool (before TensorFlow first runs)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    if n_threads is not None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n_threads)
            tf.config.threading.set_inter_op_parallelism_threads(n_threads)
        except RuntimeError:
            pass  # TensorFlow already started: its thread pools are fixed for this process.


def noise_aware_loss(logits: Any, soft: Any, weights: Any | None = None, class_weights: Any | None = None) -> Any:
    """Weighted mean cross-entropy of ``logits`` against soft labels (a TF scalar).

    Parameters
    ----------
    logits
        ``(n, 1)`` logits of P(y=1) for binary models, ``(n, k)`` class logits otherwise.
    soft
        ``(n, k)`` class probabilities (``k = 2`` for binary models).
    weights
        ``(n,)`` example weights; the loss is ``sum(w * ce) / sum(w)``.
    class_weights
        ``(k,)`` weights of the classes' terms: ``ce = -sum_c class_weights[c] soft[c] log p_c``
        (see :func:`.training.class_balance_weights`).
    """
    if "tensorflow" not in sys.modules:  # (also traced by AutoGraph inside the train step)
        _quiet_tensorflow()
    import tensorflow as tf

    logits = tf.convert_to_tensor(logits, tf.float32)
    soft = tf.convert_to_tensor(soft, tf.float32)
    if class_weights is not None:
        cw = tf.convert_to_tensor(class_weights, tf.float32)
        if logits.shape[-1] == 1:
            logp = tf.stack([tf.math.log_sigmoid(-logits[:, 0]), tf.math.log_sigmoid(logits[:, 0])], axis=1)
        else:
            logp = tf.nn.log_softmax(logits, axis=-1)
        ce = -tf.reduce_sum(cw * soft * logp, axis=-1)
    elif logits.shape[-1] == 1:
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


def initial_embeddings(path: str | Path, vocab: Vocabulary, seed: int) -> np.ndarray:
    """``vocab``'s word vectors from the file ``path`` (:func:`load_word_vectors`); words not
    in the file get uniform(-0.1, 0.1) vectors drawn with ``seed``, the padding id zeros."""
    vectors, found = load_word_vectors(path, vocab)
    rng = np.random.default_rng(seed)
    vectors[~found] = rng.uniform(-0.1, 0.1, size=(int((~found).sum()), vectors.shape[1]))
    vectors[0] = 0.0
    return vectors


def vectors_for(pretrained: Any, vocab: Vocabulary, seed: int) -> np.ndarray:
    """``vocab``'s rows of the :class:`~.embeddings.WordVectors` ``pretrained``; other words
    get uniform(-0.1, 0.1) vectors drawn with ``seed``, the padding id zeros."""
    rows = pretrained.lookup()
    rng = np.random.default_rng(seed)
    vectors = rng.uniform(-0.1, 0.1, size=(len(vocab), pretrained.dim)).astype(np.float32)
    for word, i in vocab.index.items():
        j = rows.get(word)
        if j is not None:
            vectors[i] = pretrained.vectors[j]
    vectors[0] = 0.0
    return vectors


def _build_network(vocab_size: int, s: dict[str, Any], init_embeddings: np.ndarray | None) -> Any:
    """Keras model: ids (batch, T) -> logits (batch, 1 or k)."""
    _quiet_tensorflow()
    import keras

    ids = keras.Input(shape=(None,), dtype="int32")
    if init_embeddings is not None:
        emb_init = keras.initializers.Constant(init_embeddings)
    else:
        emb_init = keras.initializers.RandomUniform(-0.1, 0.1)
    emb = keras.layers.Embedding(
        vocab_size,
        s["embedding_dim"],
        embeddings_initializer=emb_init,
        mask_zero=True,
        trainable=s.get("train_embeddings", True),
    )(ids)
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


def restore_network(vocab_size: int, s: dict[str, Any], weights: list[np.ndarray]) -> Any:
    """The network of :func:`_build_network` (settings ``s``) holding ``weights``."""
    net = _build_network(vocab_size, s, None)
    net.set_weights(weights)
    return net


def make_train_step(net: Any, k: int, optimizer: Any, class_weights: np.ndarray | None = None) -> Any:
    """A compiled step that updates ``net`` (``k`` classes) by ``optimizer`` on one batch; returns the loss.

    ``class_weights`` (``(k,)``) weighs the classes' terms of the loss (:func:`noise_aware_loss`).
    """
    import tensorflow as tf

    cw = None if class_weights is None else tf.constant(np.asarray(class_weights, dtype=np.float32))
    spec = [
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None, k], tf.float32),
        tf.TensorSpec([None], tf.float32),
    ]

    @tf.function(input_signature=spec)
    def step(x: Any, y: Any, w: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = noise_aware_loss(net(x, training=True), y, w, cw)
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    return step


def run_epoch(
    step: Any,
    enc: list[np.ndarray],
    soft: np.ndarray,
    idx: np.ndarray,
    weights: np.ndarray,
    batch_size: int,
    bucket: bool,
    rng: np.random.Generator,
    full_len: int,
) -> dict[str, float]:
    """One pass of the train ``step`` over examples ``idx`` of ``enc`` (see :func:`.training._batches`).

    Returns the epoch's mean loss, wall and CPU seconds, and training examples per second.
    """
    import tensorflow as tf

    t0, c0 = time.perf_counter(), time.process_time()
    total, seen = 0.0, 0
    for bi in _batches(idx, enc, batch_size, bucket=bucket, rng=rng):
        x = pad_batch(enc, idx[bi], length=None if bucket else full_len)
        loss = step(tf.constant(x), tf.constant(soft[idx[bi]]), tf.constant(weights[bi]))
        total += float(loss) * len(bi)
        seen += len(bi)
    secs = time.perf_counter() - t0
    return {
        "loss": total / seen,
        "seconds": secs,
        "cpu_seconds": time.process_time() - c0,
        "train_per_s": seen / secs,
    }


def forward_function(net: Any) -> Any:
    """``net``'s inference pass, compiled for ``(batch, T)`` int32 id batches of any size."""
    import tensorflow as tf

    return tf.function(lambda x: net(x, training=False), input_signature=[tf.TensorSpec([None, None], tf.int32)])


def network_marginals(forward: Any, enc: list[np.ndarray], k: int, batch_size: int) -> np.ndarray:
    """Marginals of encoded sequences ``enc`` through the compiled ``forward`` pass of a
    ``k``-class network, ``batch_size`` sequences of similar length at a time."""
    import tensorflow as tf

    out = np.zeros((len(enc), 1 if k == 2 else k), dtype=np.float32)
    order = np.argsort([len(e) for e in enc], kind="stable")
    for s in range(0, len(order), batch_size):
        bi = order[s : s + batch_size]
        out[bi] = forward(tf.constant(pad_batch(enc, bi))).numpy()
    if k == 2:
        return 1.0 / (1.0 + np.exp(-out[:, 0].astype(np.float64)))
    z = out.astype(np.float64) - out.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
