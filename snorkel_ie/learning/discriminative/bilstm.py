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
    vectors_for,
)
from snorkel_ie.learning.discriminative.base import NoiseAwareClassifier
from snorkel_ie.learning.discriminative.config import TrainConfig, merge_config
from snorkel_ie.learning.discriminative.inputs import (
    MARKERS,
    Vocabulary,
    candidates_to_sequences,
    truncate_around_markers,
)
from snorkel_ie.learning.discriminative.train_data import (
    as_gold,
    balance_training_set,
    class_balance_weights,
    soft_labels,
)

__all__ = ["BiLSTM", "TrainConfig", "load_word_vectors", "noise_aware_loss", "reRNN"]

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
        self.config: TrainConfig | None = None
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
        config: TrainConfig | None = None,
        dev_groups: Sequence[Any] | None = None,
        **settings: Any,
    ) -> BiLSTM:
        """Train on candidates (or marked token sequences) ``X_train`` and marginals ``Y_train``.

        Parameters
        ----------
        X_train, Y_train
            Training candidates and their marginals, ``(n,)`` P(y=1) or ``(n, k)``.
        X_dev, Y_dev
            Development candidates and gold labels, scored after every epoch.
        config
            The training settings (:class:`~.config.TrainConfig`; its defaults when ``None``).
        dev_groups
            One key per dev candidate: score the dev marginals pooled over candidates
            with equal keys (see :meth:`predictions`).
        **settings
            Fields of :class:`~.config.TrainConfig` overriding ``config``'s, with Snorkel
            0.7's names (``n_epochs``, ``lr``, ``dim``, ``dropout``, ``rebalance``,
            ``dev_ckpt``, ``dev_ckpt_delay``, ``save_dir``, ``print_freq``, ...); an
            unknown name raises :class:`~snorkel_ie.errors.ConfigurationError`.

        Returns
        -------
        BiLSTM
            ``self``, trained; ``history`` holds one row per epoch and ``config`` the settings.

        Notes
        -----
        With a dev split, Keras's ``EarlyStopping(restore_best_weights=True)`` keeps the
        epoch with the best dev F1 (``dev_ckpt``), stops after ``patience`` epochs without
        improvement and only considers epochs after ``dev_ckpt_delay``; with ``save_dir``
        each new best is also written to ``save_dir/<name>`` (``ModelCheckpoint``). See
        :mod:`.callbacks`.
        """
        cfg = merge_config(TrainConfig, config, settings)
        _quiet_tensorflow()
        import keras

        from snorkel_ie.learning.discriminative.callbacks import CallbackModel, DevScores, EpochLoop

        cell = resolve_cell_type(cfg.cell_type)
        if cfg.seed is not None:
            self.seed = cfg.seed
        configure_tf(self.n_threads)
        keras.utils.set_random_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        soft = soft_labels(Y_train, self.cardinality)
        if len(X_train) != len(soft):
            raise ModelError(f"{len(X_train)} training candidates but {len(soft)} marginals")
        self.config = cfg
        self.settings = {
            "cardinality": self.cardinality,
            "dim": cfg.dim,
            "embedding_dim": cfg.embedding_dim or cfg.dim,
            "dropout": cfg.dropout,
            "attention": cfg.attention,
            "pooling": cfg.pooling or ("attention" if cfg.attention else self.default_pooling),
            "cell_type": cell,
            "fused": cfg.fused,
            "train_embeddings": cfg.train_embeddings,
            "max_sentence_length": cfg.max_sentence_length,
            "seed": self.seed,
            "name": self.name,
        }
        seqs = self._sequences(X_train)
        init = self._init_vocab(seqs, cfg)
        self.settings["marker_ids"] = [self.vocab.lookup(m) for m in MARKERS]  # type: ignore[union-attr]
        encoded = self.vocab.encode(seqs)  # type: ignore[union-attr]
        idx, weights = balance_training_set(
            soft, rebalance=cfg.rebalance, uninformative_weight=cfg.uninformative_weight, rng=rng
        )
        cw = class_balance_weights(soft[idx]) if cfg.class_balance else None
        self._net = _build_network(len(self.vocab), self.settings, init)  # type: ignore[arg-type]
        step = make_train_step(self._net, self.cardinality, keras.optimizers.Adam(learning_rate=cfg.lr), cw)
        self._fitted = True
        dev = None
        if X_dev is not None and Y_dev is not None:
            dev_encoded = self._encode(X_dev)  # converted once, scored every epoch
            dev = DevScores(lambda: self._marginals_of(dev_encoded), as_gold(Y_dev), cfg.b, dev_groups, self.cardinality)
        full_len = max(len(e) for e in encoded)
        view = CallbackModel(self._net.get_weights, self._net.set_weights, self._save_checkpoint)
        self.history = EpochLoop(view, cfg, dev, self.name).run(
            lambda _epoch: run_epoch(step, encoded, soft, idx, weights, cfg.batch_size, cfg.bucket, rng, full_len)
        )
        return self

    def _save_checkpoint(self, folder: Path, global_step: int) -> None:
        self.save(folder, verbose=self.config.reports, global_step=global_step)

    def _init_vocab(self, seqs: list[list[str]], cfg: TrainConfig) -> np.ndarray | None:
        word_dict, pretrained = cfg.word_dict, cfg.embeddings
        if isinstance(word_dict, Vocabulary):
            self.vocab = word_dict
        elif word_dict is not None:
            self.vocab = Vocabulary.build([list(word_dict)])
        else:
            self.vocab = Vocabulary.build(seqs, max_vocab=cfg.max_vocab)
            if pretrained is not None:
                for w in pretrained.words:
                    self.vocab.add(w)
        if cfg.embeddings_path is not None:
            vectors = initial_embeddings(cfg.embeddings_path, self.vocab, self.seed)
        elif pretrained is not None:
            vectors = vectors_for(pretrained, self.vocab, self.seed)
        else:
            return None
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
