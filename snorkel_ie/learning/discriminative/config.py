"""Training settings of the end models as config objects (as snorkel 0.10's ``TrainConfig``).

``BiLSTM.train`` and ``SparseLogisticRegression.train`` take a config object and/or
the same settings as keyword arguments (Snorkel 0.7's spelling: ``lstm.train(X, Y,
n_epochs=10, lr=0.01)`` keeps working). Keywords override the config's fields; a
keyword that is no field raises :class:`~snorkel_ie.errors.ConfigurationError` naming
the closest field. Every check of a setting is here, in ``__post_init__``.

Examples
--------
>>> cfg = TrainConfig(n_epochs=5, dropout=0.5)
>>> merge_config(TrainConfig, cfg, {"lr": 0.003}).lr
0.003
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from snorkel_ie.errors import ConfigurationError

__all__ = ["EpochConfig", "LogisticConfig", "TrainConfig", "merge_config"]

C = TypeVar("C", bound="EpochConfig")

POOLINGS = ("final", "attention", "arguments")


def _fraction_or_none(name: str, value: Any) -> None:
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ConfigurationError(f"{name}={value!r}; expected None or a fraction of n_epochs >= 0")


@dataclass(frozen=True, kw_only=True)
class EpochConfig:
    """Settings shared by the end models trained by epochs of mini-batch Adam.

    Parameters
    ----------
    n_epochs, lr, batch_size
        Adam optimisation settings.
    rebalance, uninformative_weight
        See :func:`.training.balance_training_set`.
    class_balance
        Weigh each training example's loss by the inverse of its (soft) class's share of
        the training marginals, so both classes weigh the same in total. ``False`` (the
        default) weighs every example 1.
    dev_ckpt, patience, dev_ckpt_delay
        Keep the weights of the epoch with the best dev F1 (Keras ``EarlyStopping`` with
        ``restore_best_weights``); stop after ``patience`` epochs without improvement;
        consider only 0-based epochs ``t > dev_ckpt_delay * n_epochs`` (Snorkel 0.7's
        rule; ``None`` considers every epoch).
    save_dir
        Also write each new best checkpoint to ``save_dir/<name>``; ``None`` keeps the best
        weights in memory only.
    b
        Decision threshold for dev scoring.
    seed
        Overrides the model's seed.
    print_freq, verbose
        Report every ``print_freq`` epochs; ``print_freq <= 0`` or ``verbose=False`` report nothing.
    """

    n_epochs: int = 10
    lr: float = 0.01
    batch_size: int = 64
    rebalance: bool | float = False
    uninformative_weight: float = 0.0
    class_balance: bool = False
    dev_ckpt: bool = True
    dev_ckpt_delay: float | None = None
    save_dir: str | Path | None = None
    patience: int | None = None
    b: float = 0.5
    seed: int | None = None
    print_freq: int = 1
    verbose: bool = True

    def __post_init__(self) -> None:
        bad = []
        if not isinstance(self.n_epochs, int) or self.n_epochs < 1:
            bad.append(f"n_epochs={self.n_epochs!r} (expected an integer >= 1)")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            bad.append(f"batch_size={self.batch_size!r} (expected an integer >= 1)")
        if not isinstance(self.lr, int | float) or not self.lr > 0:
            bad.append(f"lr={self.lr!r} (expected a number > 0)")
        if self.uninformative_weight < 0:
            bad.append(f"uninformative_weight={self.uninformative_weight!r} (expected >= 0)")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            bad.append(f"patience={self.patience!r} (expected None or an integer >= 1)")
        if not 0 <= self.b <= 1:
            bad.append(f"b={self.b!r} (expected a threshold in [0, 1])")
        bad += self._problems()
        if bad:
            raise ConfigurationError(f"invalid training settings for {type(self).__name__}: " + "; ".join(bad))
        _fraction_or_none("dev_ckpt_delay", self.dev_ckpt_delay)

    def _problems(self) -> list[str]:
        return []

    @property
    def reports(self) -> bool:
        """Whether training reports its epochs."""
        return bool(self.verbose) and self.print_freq > 0

    def first_checkpoint_epoch(self) -> int:
        """0-based index of the first epoch that may be kept (Keras's ``start_from_epoch``).

        0.7's rule keeps 0-based epoch ``t`` when ``t > dev_ckpt_delay * n_epochs``.
        """
        if self.dev_ckpt_delay is None:
            return 0
        return math.floor(self.dev_ckpt_delay * self.n_epochs) + 1

    def replace(self: C, **changes: Any) -> C:
        """A copy with ``changes`` (checked like the constructor's arguments)."""
        return merge_config(type(self), self, changes)


@dataclass(frozen=True, kw_only=True)
class TrainConfig(EpochConfig):
    """Settings of :meth:`~snorkel_ie.learning.discriminative.bilstm.BiLSTM.train`.

    Parameters
    ----------
    dim, embedding_dim, dropout
        Hidden size per direction, word-vector size (default ``dim``, or the vectors'
        size with ``embeddings_path``), dropout rate.
    attention, pooling
        What the classifier reads: ``"arguments"``, the hidden states at the four argument
        markers; ``"final"``, the final states;
        ``"attention"``, an attention-weighted sum of the hidden states
        (``attention=True`` is the original's switch for it). ``None``: the model's default.
    fused
        Run both LSTM directions in one scan (:class:`._rnn.FusedBiLSTM`); LSTM cells only.
    cell_type
        An LSTM, GRU or plain RNN cell, by class (Snorkel 0.7's) or name.
    attn_window
        Snorkel 0.7's in-cell attention; only ``None``/0 (none) is supported.
    max_sentence_length
        Longer sequences are cut to a window around the arguments.
    word_dict, max_vocab
        A fixed vocabulary, or the cap on the one built from the training sequences.
    embeddings_path, embeddings
        Initial word vectors: a word2vec/GloVe text file, or a
        :class:`~.embeddings.WordVectors` (e.g. pretrained on the unlabelled sentences by
        :func:`~.embeddings.pretrain_word_vectors`). Without ``word_dict`` the vocabulary
        also takes the vectors' words, so a word no training candidate has keeps its
        pretrained vector instead of becoming unknown.
    train_embeddings
        Update the word vectors in training (``False`` keeps the initial ones).
    bucket
        Batch sequences of similar length together.
    """

    dim: int = 50
    embedding_dim: int | None = None
    dropout: float = 0.25
    attention: bool = False
    pooling: str | None = None
    fused: bool = True
    cell_type: Any = "lstm"
    attn_window: int | None = None
    max_sentence_length: int | None = 100
    word_dict: Any = None
    max_vocab: int | None = None
    embeddings_path: str | Path | None = None
    embeddings: Any = None
    train_embeddings: bool = True
    bucket: bool = True

    def _problems(self) -> list[str]:
        bad = []
        if not isinstance(self.dim, int) or self.dim < 1:
            bad.append(f"dim={self.dim!r} (expected an integer >= 1)")
        if not isinstance(self.dropout, int | float) or not 0 <= self.dropout < 1:
            bad.append(f"dropout={self.dropout!r} (expected a rate in [0, 1))")
        if self.pooling not in (None, *POOLINGS):
            bad.append(f"pooling={self.pooling!r} (expected one of {', '.join(map(repr, POOLINGS))})")
        if self.attn_window:
            bad.append(
                f"attn_window={self.attn_window!r} (Snorkel 0.7's attention inside the cell is not implemented; "
                "leave attn_window=None and pass attention=True to attend over all hidden states)"
            )
        if self.max_sentence_length is not None and self.max_sentence_length < 1:
            bad.append(f"max_sentence_length={self.max_sentence_length!r} (expected None or >= 1)")
        if self.embeddings is not None and self.embeddings_path is not None:
            bad.append("both embeddings and embeddings_path (give one)")
        return bad


@dataclass(frozen=True, kw_only=True)
class LogisticConfig(EpochConfig):
    """Settings of :meth:`~snorkel_ie.learning.discriminative.logistic.SparseLogisticRegression.train`.

    ``l1_penalty * |W|_1 + l2_penalty * |W|_2^2 / 2`` is added to the loss.
    """

    n_epochs: int = 20
    batch_size: int = 256
    print_freq: int = 5
    l1_penalty: float = 0.0
    l2_penalty: float = 0.0

    def _problems(self) -> list[str]:
        bad = []
        if self.l1_penalty < 0 or self.l2_penalty < 0:
            bad.append(f"l1_penalty={self.l1_penalty!r}, l2_penalty={self.l2_penalty!r} (expected >= 0)")
        return bad


def merge_config(cls: type[C], config: C | None, overrides: dict[str, Any]) -> C:
    """``config`` (default ``cls()``) with the keyword settings ``overrides`` applied.

    Raises
    ------
    ConfigurationError
        For a config of another type or an unknown setting (naming the closest field).
    """
    if config is not None and not isinstance(config, cls):
        raise ConfigurationError(f"config={config!r}; expected a {cls.__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, names, n=1)
            hints.append(f"{key}; did you mean {close[0]}?" if close else key)
        raise ConfigurationError(
            f"unknown training setting {', '.join(hints)} (the settings of {cls.__name__}: {', '.join(names)})"
        )
    base = config if config is not None else cls()
    return dataclasses.replace(base, **overrides) if overrides else base
