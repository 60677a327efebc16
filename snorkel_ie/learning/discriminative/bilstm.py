"""A bidirectional LSTM relation classifier trained on probabilistic labels (TensorFlow).

TensorFlow is imported only inside functions, here and in :mod:`._network` (the Keras
network, its training step and forward pass), so ``import snorkel_ie`` stays light. The
model reads a candidate's sentence with the two arguments marked (see :mod:`.inputs`),
embeds the words, runs a bidirectional LSTM and classifies the final states (or an
attention-weighted sum of the hidden states). It is trained with the noise-aware loss:
the cross-entropy against the marginals of the generative model.

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
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.discriminative._network import (
    _SETTINGS,
    _build_network,
    _quiet_tensorflow,
    configure_tf,
    forward_function,
    initial_embeddings,
    load_word_vectors,
    make_train_step,
    network_marginals,
    noise_aware_loss,
    resolve_cell_type,
    restore_network,
    run_epoch,
)
from snorkel_ie.learning.discriminative.base import NoiseAwareClassifier
from snorkel_ie.learning.discriminative.inputs import (
    MARKERS,
    Vocabulary,
    candidates_to_sequences,
    truncate_around_markers,
)
from snorkel_ie.learning.discriminative.training import (
    _format_row,
    as_gold,
    balance_training_set,
    check_dev_ckpt_delay,
    dev_checkpoint_allowed,
    dev_scores,
    soft_labels,
)
from snorkel_ie.log import report

__all__ = ["BiLSTM", "load_word_vectors", "noise_aware_loss", "reRNN"]

_log = logging.getLogger(__name__)


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

    default_pooling = "arguments"
    """What the classifier reads when ``train`` is given neither ``pooling`` nor ``attention``."""

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
        configure_tf(self.n_threads)
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
            "pooling": pooling or ("attention" if attention else self.default_pooling),
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
        step = make_train_step(self._net, self.cardinality, optimizer)
        gold_dev = as_gold(Y_dev) if X_dev is not None and Y_dev is not None else None
        dev_enc = self._encode(X_dev) if gold_dev is not None else []  # converted once, scored every epoch
        self._fitted = True
        self.history = []
        best_f1, best_weights, stale = -1.0, None, 0
        full_len = max(len(e) for e in enc)
        for epoch in range(1, n_epochs + 1):
            row = {"epoch": epoch, **run_epoch(step, enc, soft, idx, weights, batch_size, bucket, rng, full_len)}
            if gold_dev is not None:
                scores = dev_scores(self._marginals_of(dev_enc), gold_dev, b, dev_groups, self.cardinality)
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
                report(_log, _format_row(self.name, n_epochs, row))
            if patience is not None and stale >= patience:
                if verbose:
                    report(_log, f"[{self.name}] no dev F1 improvement in {patience} epochs; stopping")
                break
        if best_weights is not None:
            self._net.set_weights(best_weights)
            if verbose:
                report(_log, f"[{self.name}] restored the weights with the best dev F1={best_f1:.4f}")
        return self

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
        vectors = initial_embeddings(embeddings_path, self.vocab, self.seed)
        self.settings["embedding_dim"] = vectors.shape[1]
        return vectors

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
        return network_marginals(self._forward_fn(), enc, self.cardinality, batch_size)

    def _forward_fn(self) -> Any:
        if self._forward is None or self._forward[0] is not self._net:
            self._forward = (self._net, forward_function(self._net))
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
        self._net = restore_network(len(self.vocab), self.settings, weights)

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
            self._net = restore_network(len(self.vocab), self.settings, weights)  # type: ignore[arg-type]

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
