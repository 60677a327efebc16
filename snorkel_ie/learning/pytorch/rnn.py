"""``LSTM``: Snorkel 0.7's PyTorch LSTM interface, trained as snorkel-ie's TensorFlow BiLSTM.

0.7's ``snorkel.learning.pytorch.LSTM`` took ``train(X_train, Y_train, n_epochs, lr,
batch_size, rebalance, X_dev, Y_dev, print_freq, dev_ckpt, dev_ckpt_delay, save_dir)``
positionally, with the network's settings as keywords (``embedding_dim``, ``hidden_dim``,
``dropout``, ``bidirectional``, ``num_layers``...). This class takes exactly those and
trains :class:`~snorkel_ie.learning.discriminative.BiLSTM` (``hidden_dim`` is its ``dim``);
``marginals``, ``predictions``, ``score``, ``error_analysis``, ``save`` and ``load`` are
the BiLSTM's. No PyTorch is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative import BiLSTM, Vocabulary

__all__ = ["LSTM"]


class LSTM(BiLSTM):
    """Relation-extraction LSTM with Snorkel 0.7's PyTorch signature (runs on TensorFlow).

    Parameters are :class:`~snorkel_ie.learning.discriminative.BiLSTM`'s; the default
    ``name`` (and checkpoint folder) is ``"LSTM"``.

    Examples
    --------
    >>> lstm = LSTM(n_threads=None)  # doctest: +SKIP
    >>> lstm.train(train_cands, train_marginals, X_dev=dev_cands, Y_dev=L_gold_dev,
    ...            lr=0.01, embedding_dim=50, hidden_dim=50, n_epochs=10, dropout=0.25, seed=1701)  # doctest: +SKIP
    """

    def train(  # type: ignore[override]
        self,
        X_train: Sequence[Any],
        Y_train: Any,
        n_epochs: int = 25,
        lr: float = 0.01,
        batch_size: int = 256,
        rebalance: bool | float = False,
        X_dev: Sequence[Any] | None = None,
        Y_dev: Any = None,
        print_freq: int = 5,
        dev_ckpt: bool = True,
        dev_ckpt_delay: float | None = None,
        save_dir: str | Path | None = None,
        *,
        embedding_dim: int = 50,
        hidden_dim: int = 50,
        dropout: float = 0.25,
        num_layers: int = 1,
        bidirectional: bool = True,
        attention: bool = False,
        use_cudnn: bool = False,
        max_sentence_length: int | None = 100,
        word_dict: Vocabulary | Sequence[str] | None = None,
        max_vocab: int | None = None,
        word_emb_path: str | Path | None = None,
        patience: int | None = None,
        b: float = 0.5,
        seed: int | None = None,
        verbose: bool = True,
    ) -> LSTM:
        """Train on candidates ``X_train`` and their marginals ``Y_train``, in 0.7's PyTorch argument order.

        ``hidden_dim`` is the hidden size per direction, ``embedding_dim`` the word-vector
        size, ``word_emb_path`` a word2vec/GloVe text file of initial vectors. The network is
        one bidirectional layer: ``num_layers`` other than 1 and ``bidirectional=False`` raise
        :class:`~snorkel_ie.errors.ConfigurationError`; ``use_cudnn`` is accepted and has no
        effect (TensorFlow picks its kernels). ``save_dir`` and ``dev_ckpt_delay`` default to
        ``None`` (best weights kept in memory, every epoch eligible), as for the BiLSTM.
        """
        if num_layers != 1 or not bidirectional:
            raise ConfigurationError(
                f"LSTM(num_layers={num_layers}, bidirectional={bidirectional}): snorkel-ie's network is one "
                "bidirectional layer; leave num_layers=1 and bidirectional=True"
            )
        del use_cudnn  # a hardware switch of PyTorch's; TensorFlow chooses its own kernels
        super().train(
            X_train,
            Y_train,
            X_dev,
            Y_dev,
            n_epochs=n_epochs,
            lr=lr,
            batch_size=batch_size,
            dim=hidden_dim,
            embedding_dim=embedding_dim,
            dropout=dropout,
            attention=attention,
            max_sentence_length=max_sentence_length,
            word_dict=word_dict,
            max_vocab=max_vocab,
            embeddings_path=word_emb_path,
            rebalance=rebalance,
            dev_ckpt=dev_ckpt,
            dev_ckpt_delay=dev_ckpt_delay,
            save_dir=save_dir,
            patience=patience,
            b=b,
            seed=seed,
            print_freq=print_freq,
            verbose=verbose,
        )
        return self
